"""Velocity-dispersion and anisotropy maps with Monte Carlo errors (SPEC section 5, S000).

Every estimator bins stars into *cells* (grid points of a projection, HEALPix pixels or
radial shells) and reports, per cell, the plain dispersion of the given velocities and its
Monte Carlo distribution (S000 section 2): each of ``n_mc`` realisations redraws every
star's velocity from a Gaussian with its propagated error and drops a random
``drop_frac`` of the sample (exactly ``round(drop_frac * N)`` stars, the same stars for
every velocity component of a realisation); the median and the 16/84 and 2.5/97.5
percentiles of the realisations are the estimate and its 1- and 2-sigma bands.

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

__all__ = [
    "grid_centres",
    "grid_membership",
    "grid_dispersion",
    "healpix_dispersion",
    "radial_profile",
    "anisotropy",
    "binned_dispersion",
    "membership_from_labels",
    "healpix_pixels",
    "band_coverage",
    "keep_mask",
    "QUADRANTS",
    "quadrant_masks",
]

_PCTS = {"p2_5": 2.5, "p16": 16.0, "median": 50.0, "p84": 84.0, "p97_5": 97.5}


# ------------------------------------------------------------------ validation

def _as_1d(name, values, n=None):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n} (one per star)")
    n_bad = int(np.sum(~np.isfinite(arr)))
    if n_bad:
        raise ValueError(f"{name}: {n_bad} value{'s are' if n_bad > 1 else ' is'} NaN or inf")
    return arr


def _check_common(v, v_err, n_mc, drop_frac, min_stars, rng):
    if v.size == 0:
        raise ValueError("empty sample: no stars to map")
    if np.any(v_err < 0):
        raise ValueError(f"v_err: {int(np.sum(v_err < 0))} values are negative")
    if not 0.0 <= drop_frac < 1.0:
        raise ValueError(f"drop_frac must be in [0, 1), got {drop_frac}")
    if min_stars < 2:
        raise ValueError(f"min_stars must be >= 2 (a dispersion needs two stars), got {min_stars}")
    if n_mc < 0:
        raise ValueError(f"n_mc must be >= 0, got {n_mc}")
    if n_mc > 0 and not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator when n_mc > 0")


# ------------------------------------------------------------------- the core

def membership_from_labels(labels, n_cells):
    """Sparse (n_cells x n_stars) membership from one cell label per star (-1: none)."""
    labels = np.asarray(labels)
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


def _mc_sigma(member, v, v_err, n_mc, drop_frac, rng, deconvolve=False, chunk=125):
    """Monte Carlo dispersions, shape (k, n_cells, n_mc), for k velocity components.

    ``v`` and ``v_err`` have shape (k, n_stars). Only stars that belong to some cell are
    redrawn (the others cannot change any cell); the drop is drawn over the whole sample.
    """
    k, n = v.shape
    used = np.flatnonzero(np.asarray(member.sum(axis=0)).ravel() > 0)
    m = member[:, used].astype(np.float32)
    vu, eu = v[:, used].astype(np.float32), v_err[:, used].astype(np.float32)
    out = np.empty((k, member.shape[0], n_mc))
    for start in range(0, n_mc, chunk):
        c = min(chunk, n_mc - start)
        keep = keep_mask(n, c, drop_frac, rng)[used]
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
    uniform keys), independent between realisations.
    """
    keep = np.ones((n_stars, n_real), np.float32)
    n_drop = int(round(drop_frac * n_stars))
    if n_drop:
        keys = rng.random((n_stars, n_real), dtype=np.float32)
        dropped = np.argpartition(keys, n_drop - 1, axis=0)[:n_drop]
        keep[dropped, np.arange(n_real)[None, :]] = 0.0
    return keep


def _summarise(samples, masked):
    """Median and percentile bands over realisations (last axis); NaN in masked cells."""
    out = {}
    n_cells = samples.shape[0]
    vals = {key: np.full(n_cells, np.nan) for key in _PCTS}
    good = ~masked
    if good.any() and samples.shape[-1] > 0:
        pct = np.nanpercentile(samples[good], list(_PCTS.values()), axis=-1)
        for key, row in zip(_PCTS, pct):
            vals[key][good] = row
    out.update(vals)
    return out


def binned_dispersion(member, v, v_err, *, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                      beta=False, deconvolve=False):
    """Dispersion (or anisotropy) per cell for a precomputed membership matrix.

    Parameters
    ----------
    member : scipy.sparse matrix, shape (n_cells, n_stars)
        1 where a star belongs to a cell (a star may belong to several cells).
    v, v_err : array_like, shape (n_stars,) or (3, n_stars)
        Velocities and 1-sigma errors, km/s; with ``beta=True`` the rows are
        (V_r, V_theta, V_phi).
    min_stars, n_mc, drop_frac, rng
        See the module docstring.
    beta : bool
        Return the anisotropy instead of the dispersion.
    deconvolve : bool
        Subtract the measurement-error variance (see the module docstring).

    Returns
    -------
    dict
        ``count`` (stars per cell), ``sigma`` (dispersion of ``v`` itself, or ``beta``
        of ``v`` itself with ``beta=True``), ``median``, ``p16``, ``p84``, ``p2_5``,
        ``p97_5`` (NaN where ``count < min_stars``), and for ``beta=True`` also
        ``sigma_r``, ``sigma_theta``, ``sigma_phi`` point values.
    """
    v2 = np.atleast_2d(np.asarray(v, float))
    e2 = np.atleast_2d(np.asarray(v_err, float))
    if beta and v2.shape[0] != 3:
        raise ValueError("beta=True needs three velocity components (V_r, V_theta, V_phi)")
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
        out.update({key: np.full(count.size, np.nan) for key in _PCTS})
        return out
    draws = _mc_sigma(member, v2, e2, n_mc, drop_frac, rng, deconvolve)
    samples = _beta(draws) if beta else draws[0]
    out.update(_summarise(samples, masked))
    return out


def _beta(sig):
    """beta = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2) from stacked (3, ...) sigmas."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - (sig[1] ** 2 + sig[2] ** 2) / (2.0 * sig[0] ** 2)


# -------------------------------------------------------------------- grids

def grid_centres(extent=(-30.0, 30.0), step=1.0):
    """Grid-point coordinates from extent[0] to extent[1] inclusive, kpc."""
    lo, hi = extent
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    return lo + step * np.arange(n)


def grid_membership(u, w, centres_u, centres_w, radius):
    """Sparse (n_w * n_u, n_stars) matrix: star within ``radius`` of grid point (i_w, i_u).

    Cells are numbered row-major, ``cell = i_w * n_u + i_u``. Uniform grids only: each
    star is tested against the (2k+1)^2 grid points around its nearest one,
    k = ceil(radius / step), all in array operations.
    """
    step_u, step_w = centres_u[1] - centres_u[0], centres_w[1] - centres_w[0]
    n_u, n_w = centres_u.size, centres_w.size
    ku, kw = int(np.ceil(radius / step_u)), int(np.ceil(radius / step_w))
    du, dw = np.meshgrid(np.arange(-ku, ku + 1), np.arange(-kw, kw + 1))
    iu = np.rint((u - centres_u[0]) / step_u).astype(np.int64)[:, None] + du.ravel()[None, :]
    iw = np.rint((w - centres_w[0]) / step_w).astype(np.int64)[:, None] + dw.ravel()[None, :]
    inside = (iu >= 0) & (iu < n_u) & (iw >= 0) & (iw < n_w)
    iu_c, iw_c = np.clip(iu, 0, n_u - 1), np.clip(iw, 0, n_w - 1)
    d2 = (u[:, None] - centres_u[iu_c]) ** 2 + (w[:, None] - centres_w[iw_c]) ** 2
    hit = inside & (d2 <= radius**2)
    star = np.broadcast_to(np.arange(u.size)[:, None], hit.shape)[hit]
    cell = (iw_c * n_u + iu_c)[hit]
    return sp.csr_matrix((np.ones(star.size), (cell, star)), shape=(n_u * n_w, u.size))


def grid_dispersion(u, w, v, v_err, *, extent=(-30.0, 30.0), step=1.0, radius=2.0, min_stars=10,
                    n_mc=1000, drop_frac=0.1, rng=None, deconvolve=False):
    """Dispersion of ``v`` around every point of a square grid in the (u, w) projection.

    Parameters
    ----------
    u, w : array_like
        Projected positions of the stars, kpc (e.g. Galactocentric X and Y).
    v, v_err : array_like
        Velocity and 1-sigma error of each star, km/s (e.g. V_r).
    extent : (float, float)
        First and last grid coordinate, kpc, in both u and w.
    step : float
        Grid spacing, kpc.
    radius : float
        Stars within this distance (kpc, in the projection) of a grid point count for it.
    min_stars : int
        Grid points with fewer stars are masked (NaN).
    n_mc, drop_frac, rng
        Monte Carlo realisations, fraction dropped per realisation, numpy Generator.
    deconvolve : bool
        Subtract the measurement-error variance (module docstring).

    Returns
    -------
    dict
        ``centers_u`` (n_u,), ``centers_w`` (n_w,), and arrays of shape (n_w, n_u):
        ``count``, ``sigma`` (plain dispersion), ``median``, ``p16``, ``p84``, ``p2_5``,
        ``p97_5``.
    """
    u = _as_1d("u", u)
    n = u.size
    w, v, v_err = _as_1d("w", w, n), _as_1d("v", v, n), _as_1d("v_err", v_err, n)
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng)
    if step <= 0 or radius <= 0:
        raise ValueError(f"step and radius must be positive, got step={step}, radius={radius}")
    cu = grid_centres(extent, step)
    cw = grid_centres(extent, step)
    member = grid_membership(u, w, cu, cw, radius)
    res = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve)
    out = {key: val.reshape(cw.size, cu.size) for key, val in res.items()}
    out["centers_u"], out["centers_w"] = cu, cw
    return out


# ------------------------------------------------------------------ HEALPix

def healpix_pixels(l, b, nside=4):
    """HEALPix pixel (RING order) of Galactic (l, b) in deg, via healpy."""
    import healpy as hp

    return hp.ang2pix(nside, np.asarray(l, float), np.asarray(b, float), lonlat=True)


def healpix_dispersion(l, b, v, v_err, *, nside=4, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                       v_theta=None, v_phi=None, err_theta=None, err_phi=None, deconvolve=False):
    """Dispersion of ``v`` per HEALPix pixel of Galactic (l, b) (RING order, healpy).

    With ``v_theta``, ``v_phi`` (and their errors) given, ``v`` is V_r and the result is
    the anisotropy beta per pixel instead (same Monte Carlo). Returns the dict of
    `binned_dispersion` with arrays of length 12 nside^2, plus ``nside``.
    """
    l = _as_1d("l", l)
    n = l.size
    b, v, v_err = _as_1d("b", b, n), _as_1d("v", v, n), _as_1d("v_err", v_err, n)
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng)
    if np.any(np.abs(b) > 90):
        raise ValueError(f"b: {int(np.sum(np.abs(b) > 90))} values have |b| > 90 deg")
    pix = healpix_pixels(l, b, nside)
    member = membership_from_labels(pix, 12 * nside**2)
    if v_theta is None:
        out = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                                deconvolve=deconvolve)
    else:
        vv, ee = _three_components(n, v, v_err, v_theta, v_phi, err_theta, err_phi)
        out = binned_dispersion(member, vv, ee, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac,
                                rng=rng, beta=True, deconvolve=deconvolve)
    out["nside"] = nside
    return out


# ------------------------------------------------------------------ radial

def _radial_labels(r, edges):
    edges = np.asarray(edges, float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a strictly increasing 1-d array of at least two values")
    idx = np.searchsorted(edges, r, side="right") - 1
    idx[(r < edges[0]) | (r >= edges[-1])] = -1
    return idx, edges


def radial_profile(r, v, v_err, *, edges, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                   deconvolve=False):
    """Dispersion of ``v`` in shells of Galactocentric radius ``r`` (kpc), bins [e_i, e_i+1).

    Returns the dict of `binned_dispersion` plus ``r_mid`` (bin centres) and ``edges``.
    """
    r = _as_1d("r", r)
    n = r.size
    v, v_err = _as_1d("v", v, n), _as_1d("v_err", v_err, n)
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng)
    idx, edges = _radial_labels(r, edges)
    member = membership_from_labels(idx, edges.size - 1)
    out = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve)
    out["r_mid"], out["edges"] = 0.5 * (edges[1:] + edges[:-1]), edges
    return out


def _three_components(n, v_r, err_r, v_theta, v_phi, err_theta, err_phi):
    if any(x is None for x in (v_theta, v_phi, err_theta, err_phi)):
        raise ValueError("anisotropy needs v_theta, v_phi, err_theta and err_phi")
    vv = np.stack([v_r, _as_1d("v_theta", v_theta, n), _as_1d("v_phi", v_phi, n)])
    ee = np.stack([err_r, _as_1d("err_theta", err_theta, n), _as_1d("err_phi", err_phi, n)])
    if np.any(ee < 0):
        raise ValueError("velocity errors must be non-negative")
    return vv, ee


def anisotropy(r, v_r, v_theta, v_phi, err_r, err_theta, err_phi, *, edges, min_stars=10,
               n_mc=1000, drop_frac=0.1, rng=None, deconvolve=False):
    """Anisotropy beta(r) in radial shells, with the Monte Carlo bands of S000.

    Each realisation redraws all three components and drops the same stars for all
    three, then beta = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2). Pass a subset
    of the stars (e.g. `quadrant_masks`) for a profile per sky quadrant.

    Returns the dict of `binned_dispersion` (``sigma`` holds the point beta) plus
    ``r_mid`` and ``edges``.
    """
    r = _as_1d("r", r)
    n = r.size
    v_r, err_r = _as_1d("v_r", v_r, n), _as_1d("err_r", err_r, n)
    _check_common(v_r, err_r, n_mc, drop_frac, min_stars, rng)
    vv, ee = _three_components(n, v_r, err_r, v_theta, v_phi, err_theta, err_phi)
    idx, edges = _radial_labels(r, edges)
    member = membership_from_labels(idx, edges.size - 1)
    out = binned_dispersion(member, vv, ee, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac,
                            rng=rng, beta=True, deconvolve=deconvolve)
    out["r_mid"], out["edges"] = 0.5 * (edges[1:] + edges[:-1]), edges
    return out


#: The four (l, b) sky quadrants of S000 fig 10.
QUADRANTS = ("l<180, b>0", "l>=180, b>0", "l<180, b<0", "l>=180, b<0")


def quadrant_masks(l, b):
    """Boolean masks of the four (l, b) quadrants (l < 180 / l >= 180 times b > 0 / b < 0)."""
    l = np.asarray(l, float) % 360.0
    b = np.asarray(b, float)
    return {QUADRANTS[0]: (l < 180) & (b > 0), QUADRANTS[1]: (l >= 180) & (b > 0),
            QUADRANTS[2]: (l < 180) & (b < 0), QUADRANTS[3]: (l >= 180) & (b < 0)}


def band_coverage(truth, result):
    """Fraction of unmasked cells whose ``truth`` lies inside the 68 % and 95 % bands.

    ``truth`` is an array shaped like the result's bands (e.g. the dispersion of the true
    velocities of the same stars). Returns ``{"n_cells", "in_68", "in_95"}``.
    """
    truth = np.asarray(truth, float)
    good = np.isfinite(result["median"]) & np.isfinite(truth)
    n = int(good.sum())
    if n == 0:
        return {"n_cells": 0, "in_68": float("nan"), "in_95": float("nan")}
    t = truth[good]
    in68 = (t >= result["p16"][good]) & (t <= result["p84"][good])
    in95 = (t >= result["p2_5"][good]) & (t <= result["p97_5"][good])
    return {"n_cells": n, "in_68": float(in68.mean()), "in_95": float(in95.mean())}
