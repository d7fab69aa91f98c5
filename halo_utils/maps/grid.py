"""Dispersion maps on a square grid of a Galactocentric projection (conventions §6; S000 figs 4-5)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..validation import check_array, check_real
from .dispersion import MAX_CELLS, binned_dispersion, check_map_settings, star_array

__all__ = ["grid_centres", "grid_membership", "grid_dispersion"]

#: Most (star, candidate cell) pairs of a grid: beyond this a mistyped step or radius would
#: fill the memory instead of making a map.
_MAX_PAIRS = 200_000_000


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
    if n * n > MAX_CELLS:
        raise ValueError(f"extent {extent} with step {step:g} kpc gives {n} x {n} grid points, expected at most "
                         f"{MAX_CELLS} in all; increase step")
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
    u = star_array("u", u)
    w = star_array("w", w, u.size)
    centres_u, step_u = _check_centres("centres_u", centres_u)
    centres_w, step_w = _check_centres("centres_w", centres_w)
    radius = check_real("radius", radius, low=0, low_open=True, unit="kpc")
    n_u, n_w = centres_u.size, centres_w.size
    ku, kw = int(np.ceil(radius / step_u)), int(np.ceil(radius / step_w))
    if n_u * n_w > MAX_CELLS or u.size * (2 * ku + 1) * (2 * kw + 1) > _MAX_PAIRS:
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
                    n_mc=1000, drop_frac=0.1, rng=None, deconvolve=False, resampling="drop"):
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
    resampling : {"drop", "bootstrap"}
        How each realisation resamples the stars: S000's drop of ``drop_frac`` or a
        bootstrap (`~halo_utils.maps.dispersion`: only the bootstrap's bands measure the
        sampling error of the whole sample).

    Returns
    -------
    dict
        ``centers_u`` (n_u,), ``centers_w`` (n_w,), and arrays of shape (n_w, n_u):
        ``count``, ``sigma`` (plain dispersion), ``median``, ``p16``, ``p84``, ``p2_5``,
        ``p97_5``.
    """
    u = star_array("u", u)
    n = u.size
    w, v, v_err = star_array("w", w, n), star_array("v", v, n), star_array("v_err", v_err, n)
    check_map_settings(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve, resampling)
    cu = grid_centres(extent, step)
    cw = grid_centres(extent, step)
    member = grid_membership(u, w, cu, cw, radius)
    res = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve, resampling=resampling)
    out = {key: val.reshape(cw.size, cu.size) for key, val in res.items()}
    out["centers_u"], out["centers_w"] = cu, cw
    return out

