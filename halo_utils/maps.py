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

from .validation import check_array, check_bool, check_generator, check_integer, check_real

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

#: Most cells of one map and most (star, candidate cell) pairs of a grid: beyond these a
#: mistyped step or radius would fill the memory instead of making a map.
_MAX_CELLS = 10_000_000
_MAX_PAIRS = 200_000_000


def _as_1d(name, values, n=None, **limits):
    arr = check_array(name, values, ndim=1, **limits)
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} values, expected {n} (one per star)")
    return arr


def _check_common(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve):
    """The settings shared by every map; returns them checked (n_mc, drop_frac, min_stars)."""
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
    return n_mc, drop_frac, min_stars


# ------------------------------------------------------------------- the core

def membership_from_labels(labels, n_cells):
    """Sparse (n_cells x n_stars) membership from one cell label per star.

    ``labels`` is a 1-d integer array with values in [-1, n_cells) (-1: the star is in no
    cell); ``n_cells`` >= 1.
    """
    n_cells = check_integer("n_cells", n_cells, low=1, high=_MAX_CELLS)
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
        Velocities and 1-sigma errors (>= 0), km/s, finite; with ``beta=True`` the rows
        are (V_r, V_theta, V_phi).
    min_stars, n_mc, drop_frac, rng
        See the module docstring: ``min_stars`` >= 2, ``n_mc`` >= 0 (0: no Monte Carlo,
        the bands are NaN and ``rng`` may be None), ``drop_frac`` in [0, 1).
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
    n_mc, drop_frac, min_stars = _check_common(v2, e2, n_mc, drop_frac, min_stars, rng, deconvolve)
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
    """Grid-point coordinates from extent[0] to extent[1] inclusive, kpc.

    ``extent`` is two finite numbers, first < last; ``step`` > 0 and at most their
    difference, so that the grid has at least two points.
    """
    try:
        lo, hi = extent
    except (TypeError, ValueError):
        raise ValueError(f"extent must be two numbers (first, last grid coordinate in kpc), got {extent!r}") from None
    lo = check_real("extent[0]", lo, unit="kpc")
    hi = check_real("extent[1]", hi, low=lo, low_open=True, unit="kpc", why="after extent[0]")
    step = check_real("step", step, low=0, low_open=True, unit="kpc")
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    if n < 2:
        raise ValueError(f"step = {step:g} kpc is larger than the extent {hi - lo:g} kpc: the grid would have a "
                         "single point per axis; expected step <= extent[1] - extent[0]")
    if n * n > _MAX_CELLS:
        raise ValueError(f"extent {extent} with step {step:g} kpc gives {n} x {n} grid points, expected at most "
                         f"{_MAX_CELLS} in all; increase step")
    return lo + step * np.arange(n)


def _check_centres(name, centres):
    centres = check_array(name, centres, ndim=1, min_size=2, unit="kpc")
    steps = np.diff(centres)
    if steps[0] <= 0 or not np.allclose(steps, steps[0], rtol=1e-6, atol=0.0):
        raise ValueError(f"{name} must be uniformly spaced and increasing (e.g. from grid_centres)")
    return centres, steps[0]


def grid_membership(u, w, centres_u, centres_w, radius):
    """Sparse (n_w * n_u, n_stars) matrix: star within ``radius`` of grid point (i_w, i_u).

    Cells are numbered row-major, ``cell = i_w * n_u + i_u``. Uniform grids only (at
    least two points per axis): each star is tested against the (2k+1)^2 grid points
    around its nearest one, k = ceil(radius / step), all in array operations.

    Parameters
    ----------
    u, w : array_like
        Projected positions of the stars, kpc (1-d, finite, one length).
    centres_u, centres_w : array_like
        Uniformly spaced increasing grid coordinates, kpc (`grid_centres`).
    radius : float
        Membership radius, kpc (> 0).
    """
    u = _as_1d("u", u)
    w = _as_1d("w", w, u.size)
    centres_u, step_u = _check_centres("centres_u", centres_u)
    centres_w, step_w = _check_centres("centres_w", centres_w)
    radius = check_real("radius", radius, low=0, low_open=True, unit="kpc")
    n_u, n_w = centres_u.size, centres_w.size
    ku, kw = int(np.ceil(radius / step_u)), int(np.ceil(radius / step_w))
    if n_u * n_w > _MAX_CELLS or u.size * (2 * ku + 1) * (2 * kw + 1) > _MAX_PAIRS:
        raise ValueError(f"radius {radius:g} kpc on a grid of step {step_u:g} x {step_w:g} kpc and "
                         f"{n_u} x {n_w} points is too large to map {u.size} stars; reduce radius / step")
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
        Velocity and 1-sigma error (>= 0) of each star, km/s (e.g. V_r).
    extent : (float, float)
        First and last grid coordinate, kpc, in both u and w (first < last).
    step : float
        Grid spacing, kpc (> 0, at most the extent: two grid points per axis at least).
    radius : float
        Stars within this distance (kpc, in the projection) of a grid point count for it (> 0).
    min_stars : int
        Grid points with fewer stars are masked (NaN); >= 2.
    n_mc, drop_frac, rng
        Monte Carlo realisations (>= 0; 0: none, NaN bands), fraction dropped per
        realisation (in [0, 1)), numpy Generator (needed when n_mc > 0).
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
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve)
    cu = grid_centres(extent, step)
    cw = grid_centres(extent, step)
    member = grid_membership(u, w, cu, cw, radius)
    res = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve)
    out = {key: val.reshape(cw.size, cu.size) for key, val in res.items()}
    out["centers_u"], out["centers_w"] = cu, cw
    return out


# ------------------------------------------------------------------ HEALPix

def check_nside(nside, max_cells=None) -> int:
    """``nside`` as an int: a power of 2 (HEALPix), with at most ``max_cells`` pixels."""
    nside = check_integer("nside", nside, low=1, high=2**29)
    if nside & (nside - 1):
        raise ValueError(f"nside must be a power of 2 (HEALPix), got {nside}")
    if max_cells is not None and 12 * nside**2 > max_cells:
        raise ValueError(f"nside = {nside} gives {12 * nside**2} pixels, expected at most {max_cells}")
    return nside


def healpix_pixels(l, b, nside=4):
    """HEALPix pixel (RING order) of Galactic (l, b) in deg, via healpy.

    ``l``, ``b`` finite, of one shape, ``|b| <= 90``; ``nside`` a power of 2.
    """
    import healpy as hp

    nside = check_nside(nside)
    l, b = check_array("l", l, unit="deg"), check_array("b", b, low=-90, high=90, unit="deg")
    if l.shape != b.shape:
        raise ValueError(f"l and b must have one shape, got {l.shape} and {b.shape}")
    return hp.ang2pix(nside, l, b, lonlat=True)


def healpix_dispersion(l, b, v, v_err, *, nside=4, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                       v_theta=None, v_phi=None, err_theta=None, err_phi=None, deconvolve=False):
    """Dispersion of ``v`` per HEALPix pixel of Galactic (l, b) (RING order, healpy).

    With ``v_theta``, ``v_phi`` (and their errors) given, ``v`` is V_r and the result is
    the anisotropy beta per pixel instead (same Monte Carlo). Returns the dict of
    `binned_dispersion` with arrays of length 12 nside^2, plus ``nside``. ``nside`` is a
    power of 2 (at most 512); the other settings as in `grid_dispersion`.
    """
    l = _as_1d("l", l)
    n = l.size
    b, v, v_err = _as_1d("b", b, n, low=-90, high=90), _as_1d("v", v, n), _as_1d("v_err", v_err, n)
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve)
    nside = check_nside(nside, _MAX_CELLS)
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
    edges = check_array("edges", edges, unit="kpc")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a strictly increasing 1-d array of at least two values")
    if edges.size > _MAX_CELLS:
        raise ValueError(f"edges has {edges.size} values, expected at most {_MAX_CELLS}")
    idx = np.searchsorted(edges, r, side="right") - 1
    idx[(r < edges[0]) | (r >= edges[-1])] = -1
    return idx, edges


def radial_profile(r, v, v_err, *, edges, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                   deconvolve=False):
    """Dispersion of ``v`` in shells of Galactocentric radius ``r`` (kpc), bins [e_i, e_i+1).

    ``edges`` is a finite, strictly increasing 1-d array (kpc, at least two values); the
    other settings as in `grid_dispersion`. Returns the dict of `binned_dispersion` plus
    ``r_mid`` (bin centres) and ``edges``.
    """
    r = _as_1d("r", r)
    n = r.size
    v, v_err = _as_1d("v", v, n), _as_1d("v_err", v_err, n)
    _check_common(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve)
    idx, edges = _radial_labels(r, edges)
    member = membership_from_labels(idx, edges.size - 1)
    out = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve)
    out["r_mid"], out["edges"] = 0.5 * (edges[1:] + edges[:-1]), edges
    return out


def _three_components(n, v_r, err_r, v_theta, v_phi, err_theta, err_phi):
    given = {"v_theta": v_theta, "v_phi": v_phi, "err_theta": err_theta, "err_phi": err_phi}
    missing = [k for k, x in given.items() if x is None]
    if missing:
        raise ValueError(f"anisotropy needs v_theta, v_phi, err_theta and err_phi; missing {missing}")
    vv = np.stack([v_r, _as_1d("v_theta", v_theta, n), _as_1d("v_phi", v_phi, n)])
    ee = np.stack([err_r, _as_1d("err_theta", err_theta, n, low=0), _as_1d("err_phi", err_phi, n, low=0)])
    return vv, ee


def anisotropy(r, v_r, v_theta, v_phi, err_r, err_theta, err_phi, *, edges, min_stars=10,
               n_mc=1000, drop_frac=0.1, rng=None, deconvolve=False):
    """Anisotropy beta(r) in radial shells, with the Monte Carlo bands of S000.

    Each realisation redraws all three components and drops the same stars for all
    three, then beta = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2). Pass a subset
    of the stars (e.g. `quadrant_masks`) for a profile per sky quadrant.

    Returns the dict of `binned_dispersion` (``sigma`` holds the point beta) plus
    ``r_mid`` and ``edges``. Settings as in `radial_profile`; the errors must be >= 0.
    """
    r = _as_1d("r", r)
    n = r.size
    v_r, err_r = _as_1d("v_r", v_r, n), _as_1d("err_r", err_r, n, low=0)
    _check_common(v_r, err_r, n_mc, drop_frac, min_stars, rng, deconvolve)
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
    """Boolean masks of the four (l, b) quadrants (l < 180 / l >= 180 times b > 0 / b < 0).

    ``l``, ``b`` in deg: finite, of one shape, ``|b| <= 90``.
    """
    l = check_array("l", l, unit="deg") % 360.0
    b = check_array("b", b, low=-90, high=90, unit="deg")
    if l.shape != b.shape:
        raise ValueError(f"l and b must have one shape, got {l.shape} and {b.shape}")
    return {QUADRANTS[0]: (l < 180) & (b > 0), QUADRANTS[1]: (l >= 180) & (b > 0),
            QUADRANTS[2]: (l < 180) & (b < 0), QUADRANTS[3]: (l >= 180) & (b < 0)}


def band_coverage(truth, result):
    """Fraction of unmasked cells whose ``truth`` lies inside the 68 % and 95 % bands.

    ``truth`` is an array shaped like the result's bands (e.g. the dispersion of the true
    velocities of the same stars; NaN where unknown). ``result`` is a map's dict with
    ``median``, ``p16``, ``p84``, ``p2_5`` and ``p97_5``. Returns ``{"n_cells", "in_68",
    "in_95"}``.
    """
    if not isinstance(result, dict):
        raise TypeError(f"result must be the dict of a map, got {type(result).__name__}")
    missing = [k for k in _PCTS if k not in result]
    if missing:
        raise ValueError(f"result lacks the band(s) {missing}; expected the dict of a map with n_mc > 0")
    truth = check_array("truth", truth, finite=False)
    if truth.shape != np.shape(result["median"]):
        raise ValueError(f"truth has shape {truth.shape}, expected the shape of the map {np.shape(result['median'])}")
    good = np.isfinite(result["median"]) & np.isfinite(truth)
    n = int(good.sum())
    if n == 0:
        return {"n_cells": 0, "in_68": float("nan"), "in_95": float("nan")}
    t = truth[good]
    in68 = (t >= result["p16"][good]) & (t <= result["p84"][good])
    in95 = (t >= result["p2_5"][good]) & (t <= result["p97_5"][good])
    return {"n_cells": n, "in_68": float(in68.mean()), "in_95": float(in95.mean())}
