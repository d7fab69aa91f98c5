"""The Monte Carlo dispersion core shared by every map (conventions §6; S000 section 2).

Every estimator bins stars into *cells* (grid points of a projection, HEALPix pixels or
radial shells) and reports, per cell, the plain dispersion of the given velocities and its
Monte Carlo distribution (S000 section 2): each of ``n_mc`` realisations redraws every
star's velocity from a Gaussian with its propagated error and drops a random
``drop_frac`` of the sample (exactly ``round(drop_frac * N)`` stars, the same stars for
every velocity component of a realisation); the median and the 16/84 and 2.5/97.5
percentiles of the realisations are the estimate and its 1- and 2-sigma bands.

**Which error the bands measure** (``resampling``). The 10 % drop of S000 (``"drop"``) makes
the realisations differ by only ~sqrt(f / (1 - f)) ~ 1/3 of the sampling error of the full
sample for f = 0.1 (a subsample of 90 % of the stars differs little from the whole), so its
bands say how stable a number is against losing a few stars, not how far it may lie from the
population value. ``"bootstrap"`` resamples N stars *with replacement* in each realisation
(Efron 1979; the velocities redrawn from their errors as before): the spread of its
realisations is the sampling error of the whole sample, and its bands cover the population
dispersion at their nominal rate (tested on repeated draws of a population with a known
sigma(r)). Both keep the same realisation count and percentiles.

Conventions: the dispersion is the standard deviation about the cell mean with the
unbiased (N - 1) normalisation; anisotropy beta = 1 - (sigma_theta^2 + sigma_phi^2) /
(2 sigma_r^2). Cells with fewer than ``min_stars`` stars (before the drop) are masked
(NaN).

Measurement errors. The observed velocities already scatter by their errors, and each
Monte Carlo redraw adds the error variance once more, so a realisation's variance
estimates sigma^2 + 2 <err^2>. S000 does not correct for this (``deconvolve=False``, the
default here too): for sigma_r of halo giants the bias is ~<err^2>/sigma ~ 0.1-1 km/s.
For the tangential components (errors of 10-30 km/s) it biases beta low by ~0.05, so
``deconvolve=True`` subtracts 2 <err^2> of the kept stars from each realisation's
variance (and <err^2> from the plain ``sigma``), clipping at zero.

Speed: cell membership is computed once as a sparse (cells x stars) matrix, and all
realisations of a chunk go through one sparse-dense product, so the work is
~ (number of star-cell pairs) x n_mc multiply-adds with no Python loop over cells or
realisations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..validation import check_array, check_bool, check_choice, check_generator, check_integer, check_real

__all__ = ["BANDS", "MAX_CELLS", "RESAMPLINGS", "binned_dispersion", "check_map_settings", "keep_mask",
           "bootstrap_counts", "resample_weights", "membership_from_labels", "star_array", "three_components"]

#: The percentiles of the Monte Carlo realisations each map reports, by key.
BANDS = {"p2_5": 2.5, "p16": 16.0, "median": 50.0, "p84": 84.0, "p97_5": 97.5}
#: How a realisation resamples the stars: S000's drop of ``drop_frac``, or a bootstrap.
RESAMPLINGS = ("drop", "bootstrap")


# ------------------------------------------------------------------ validation

#: Most cells of one map: beyond this a mistyped step, nside or edge array would fill the
#: memory instead of making a map.
MAX_CELLS = 10_000_000


def star_array(name, values, n=None, **limits):
    """``values`` as a finite 1-d float array (`~halo_utils.validation.check_array` limits),
    with ``n`` values (one per star) when ``n`` is given."""
    arr = check_array(name, values, ndim=1, **limits)
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n} (one per star)")
    return arr


def check_map_settings(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve, resampling="drop"):
    """The settings shared by every map; returns them checked (n_mc, drop_frac, min_stars,
    resampling)."""
    if v.size == 0:
        raise ValueError("empty sample: no stars to map")
    if np.any(v_err < 0):
        raise ValueError(f"v_err: {int(np.sum(v_err < 0))} values are negative")
    drop_frac = check_real("drop_frac", drop_frac, low=0.0, high=1.0, high_open=True)
    min_stars = check_integer("min_stars", min_stars, low=2, why="a dispersion needs two stars")
    n_mc = check_integer("n_mc", n_mc, low=0)
    if n_mc > 0:
        check_generator("rng", rng, why="needed when n_mc > 0")
    check_bool("deconvolve", deconvolve)
    resampling = check_choice("resampling", resampling, RESAMPLINGS)
    return n_mc, drop_frac, min_stars, resampling


# ------------------------------------------------------------------- the core

def membership_from_labels(labels, n_cells):
    """Sparse (n_cells x n_stars) membership from one cell label per star.

    ``labels`` is a 1-d integer array with values in [-1, n_cells) (-1: the star is in no
    cell); ``n_cells`` >= 1.
    """
    n_cells = check_integer("n_cells", n_cells, low=1, high=MAX_CELLS)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be a 1-d array of integer cell labels, got dtype {labels.dtype} "
                        f"and shape {labels.shape}")
    n_bad = int(np.count_nonzero((labels < -1) | (labels >= n_cells)))
    if n_bad:
        raise ValueError(f"labels: {n_bad} value{'s lie' if n_bad > 1 else ' lies'} outside [-1, {n_cells}), "
                         f"expected a cell index or -1 (no cell)")
    stars = np.flatnonzero(labels >= 0)
    return sp.csr_matrix((np.ones(stars.size), (labels[stars], stars)), shape=(n_cells, labels.size))


def _sigma_from_sums(s0, s1, s2, s_err2=None, n_err=1.0):
    """Unbiased dispersion from the sums of 1, v and v^2 (NaN where fewer than 2 stars).

    With ``s_err2`` (the sum of err^2), ``n_err`` times the mean err^2 is subtracted from
    the variance first (clipped at zero).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1 * s1 / s0) / (s0 - 1.0)
        if s_err2 is not None:
            var = var - n_err * s_err2 / s0
        return np.where(s0 >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)


def _point_sigma(member, v, v_err=None):
    """Dispersion of the given velocities per cell (no Monte Carlo), shape (k, n_cells).

    With ``v_err`` the mean error variance is subtracted (one copy: the data's own).
    """
    s0 = np.asarray(member.sum(axis=1)).ravel()
    k = v.shape[0]
    cols = [v.T, (v**2).T] + ([(v_err**2).T] if v_err is not None else [])
    sums = member @ np.concatenate(cols, axis=1)
    return np.stack([_sigma_from_sums(s0, sums[:, i], sums[:, k + i],
                                      sums[:, 2 * k + i] if v_err is not None else None, 1.0)
                     for i in range(k)])


def _mc_sigma(member, v, v_err, n_mc, drop_frac, rng, deconvolve=False, chunk=125, resampling="drop"):
    """Monte Carlo dispersions, shape (k, n_cells, n_mc), for k velocity components.

    ``v`` and ``v_err`` have shape (k, n_stars). Only stars that belong to some cell are
    redrawn (the others cannot change any cell); the drop or the bootstrap is drawn over the
    whole sample, and a star drawn several times counts with its weight (its one redrawn
    velocity several times).
    """
    k, n = v.shape
    used = np.flatnonzero(np.asarray(member.sum(axis=0)).ravel() > 0)
    m = member[:, used].astype(np.float32)
    vu, eu = v[:, used].astype(np.float32), v_err[:, used].astype(np.float32)
    out = np.empty((k, member.shape[0], n_mc))
    for start in range(0, n_mc, chunk):
        c = min(chunk, n_mc - start)
        keep = resample_weights(n, c, rng, resampling, drop_frac)[used]
        blocks = [keep]
        for i in range(k):
            draw = vu[i][:, None] + eu[i][:, None] * rng.standard_normal((used.size, c), dtype=np.float32)
            kept = keep * draw
            blocks += [kept, kept * draw] + ([keep * (eu[i] ** 2)[:, None]] if deconvolve else [])
        sums = np.asarray(m @ np.concatenate(blocks, axis=1), dtype=np.float64)
        s0 = sums[:, :c]
        per = 3 if deconvolve else 2
        for i in range(k):
            base = (1 + per * i) * c
            s1, s2 = sums[:, base:base + c], sums[:, base + c:base + 2 * c]
            se = sums[:, base + 2 * c:base + 3 * c] if deconvolve else None
            out[i, :, start:start + c] = _sigma_from_sums(s0, s1, s2, se, 2.0)
    return out


def keep_mask(n_stars, n_real, drop_frac, rng):
    """float32 (n_stars, n_real) mask: each column drops exactly round(drop_frac * n_stars) stars.

    The dropped stars of each realisation are a uniform random subset (the smallest of
    uniform keys), independent between realisations. ``n_stars``, ``n_real`` >= 0,
    ``drop_frac`` in [0, 1), ``rng`` a `numpy.random.Generator`.
    """
    n_stars = check_integer("n_stars", n_stars, low=0)
    n_real = check_integer("n_real", n_real, low=0)
    drop_frac = check_real("drop_frac", drop_frac, low=0.0, high=1.0, high_open=True)
    check_generator("rng", rng)
    keep = np.ones((n_stars, n_real), np.float32)
    n_drop = int(round(drop_frac * n_stars))
    if n_drop:
        keys = rng.random((n_stars, n_real), dtype=np.float32)
        dropped = np.argpartition(keys, n_drop - 1, axis=0)[:n_drop]
        keep[dropped, np.arange(n_real)[None, :]] = 0.0
    return keep


def bootstrap_counts(n_stars, n_real, rng):
    """float32 (n_stars, n_real) counts: how often each star is drawn in each of ``n_real``
    bootstrap resamples of ``n_stars`` stars with replacement (each column sums to n_stars)."""
    n_stars = check_integer("n_stars", n_stars, low=0)
    n_real = check_integer("n_real", n_real, low=0)
    check_generator("rng", rng)
    picks = rng.integers(0, n_stars, size=(n_real, n_stars)) if n_stars else np.zeros((n_real, 0), np.int64)
    offsets = (np.arange(n_real) * n_stars)[:, None]
    counts = np.bincount((picks + offsets).ravel(), minlength=n_real * n_stars)
    return counts.reshape(n_real, n_stars).T.astype(np.float32)


def resample_weights(n_stars, n_real, rng, resampling="drop", drop_frac=0.1):
    """float32 (n_stars, n_real) weight of each star in each realisation: ``"drop"`` (S000)
    keeps every star once but ``round(drop_frac * n_stars)`` of them (`keep_mask`);
    ``"bootstrap"`` counts the draws of a resample with replacement (`bootstrap_counts`;
    ``drop_frac`` unused)."""
    resampling = check_choice("resampling", resampling, RESAMPLINGS)
    if resampling == "bootstrap":
        return bootstrap_counts(n_stars, n_real, rng)
    return keep_mask(n_stars, n_real, drop_frac, rng)


def _summarise(samples, masked):
    """Median and percentile bands over realisations (last axis); NaN in masked cells."""
    out = {}
    n_cells = samples.shape[0]
    vals = {key: np.full(n_cells, np.nan) for key in BANDS}
    good = ~masked
    if good.any() and samples.shape[-1] > 0:
        pct = np.nanpercentile(samples[good], list(BANDS.values()), axis=-1)
        for key, row in zip(BANDS, pct):
            vals[key][good] = row
    out.update(vals)
    return out


def binned_dispersion(member, v, v_err, *, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                      beta=False, deconvolve=False, resampling="drop"):
    """Dispersion (or anisotropy) per cell for a precomputed membership matrix.

    Parameters
    ----------
    member : scipy.sparse matrix, shape (n_cells, n_stars)
        1 where a star belongs to a cell (a star may belong to several cells).
    v, v_err : array_like, shape (n_stars,) or (3, n_stars)
        Velocities and 1-sigma errors (>= 0), km/s, finite; with ``beta=True`` the rows
        are (V_r, V_theta, V_phi).
    min_stars, n_mc, drop_frac, rng
        See the module docstring: ``min_stars`` >= 2, ``n_mc`` >= 0 (0: no Monte Carlo,
        the bands are NaN and ``rng`` may be None), ``drop_frac`` in [0, 1) (used by the
        ``"drop"`` resampling).
    beta : bool
        Return the anisotropy instead of the dispersion.
    deconvolve : bool
        Subtract the measurement-error variance (see the module docstring).
    resampling : {"drop", "bootstrap"}
        How each realisation resamples the stars (module docstring; `RESAMPLINGS`): S000's
        drop of ``drop_frac`` (the default, as in the paper) or a bootstrap, whose bands
        are the sampling error of the whole sample.

    Returns
    -------
    dict
        ``count`` (stars per cell), ``sigma`` (dispersion of ``v`` itself, or ``beta``
        of ``v`` itself with ``beta=True``), ``median``, ``p16``, ``p84``, ``p2_5``,
        ``p97_5`` (NaN where ``count < min_stars``), and for ``beta=True`` also
        ``sigma_r``, ``sigma_theta``, ``sigma_phi`` point values.
    """
    if not sp.issparse(member):
        raise TypeError(f"member must be a scipy.sparse matrix (cells x stars), got {type(member).__name__}")
    v2 = np.atleast_2d(check_array("v", v, unit="km/s"))
    e2 = np.atleast_2d(check_array("v_err", v_err, unit="km/s"))
    if v2.ndim != 2 or e2.shape != v2.shape:
        raise ValueError(f"v and v_err must have one shape, (n_stars,) or (3, n_stars), got {np.shape(v)} "
                         f"and {np.shape(v_err)}")
    if v2.shape[1] != member.shape[1]:
        raise ValueError(f"v has {v2.shape[1]} stars, but member has {member.shape[1]} star columns")
    if check_bool("beta", beta) and v2.shape[0] != 3:
        raise ValueError("beta=True needs three velocity components (V_r, V_theta, V_phi)")
    n_mc, drop_frac, min_stars, resampling = check_map_settings(v2, e2, n_mc, drop_frac, min_stars, rng,
                                                                deconvolve, resampling)
    count = np.asarray(member.sum(axis=1)).ravel().astype(np.int64)
    masked = count < min_stars
    point = _point_sigma(member, v2, e2 if deconvolve else None)
    out = {"count": count}
    if beta:
        out["sigma_r"], out["sigma_theta"], out["sigma_phi"] = point
        out["sigma"] = np.where(masked, np.nan, _beta(point))
    else:
        out["sigma"] = np.where(masked, np.nan, point[0])
    if n_mc == 0:
        out.update({key: np.full(count.size, np.nan) for key in BANDS})
        return out
    draws = _mc_sigma(member, v2, e2, n_mc, drop_frac, rng, deconvolve, resampling=resampling)
    samples = _beta(draws) if beta else draws[0]
    out.update(_summarise(samples, masked))
    return out


def _beta(sig):
    """beta = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2) from stacked (3, ...) sigmas."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - (sig[1] ** 2 + sig[2] ** 2) / (2.0 * sig[0] ** 2)


def three_components(n, v_r, err_r, v_theta, v_phi, err_theta, err_phi):
    """(V_r, V_theta, V_phi) and their errors stacked as two (3, n) arrays, checked (km/s)."""
    given = {"v_theta": v_theta, "v_phi": v_phi, "err_theta": err_theta, "err_phi": err_phi}
    missing = [k for k, x in given.items() if x is None]
    if missing:
        raise ValueError(f"anisotropy needs v_theta, v_phi, err_theta and err_phi; missing {missing}")
    vv = np.stack([v_r, star_array("v_theta", v_theta, n), star_array("v_phi", v_phi, n)])
    ee = np.stack([err_r, star_array("err_theta", err_theta, n, low=0), star_array("err_phi", err_phi, n, low=0)])
    return vv, ee
