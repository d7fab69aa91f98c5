"""Dispersion and anisotropy profiles in shells of Galactocentric radius (conventions §6;
S000 figs 9-10)."""

from __future__ import annotations

import numpy as np

from ..validation import check_array
from .dispersion import MAX_CELLS, binned_dispersion, check_map_settings, membership_from_labels, star_array, \
    three_components

__all__ = ["radial_profile", "anisotropy"]


def _radial_labels(r, edges):
    edges = check_array("edges", edges, unit="kpc")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a strictly increasing 1-d array of at least two values")
    if edges.size > MAX_CELLS:
        raise ValueError(f"edges has {edges.size} values, expected at most {MAX_CELLS}")
    idx = np.searchsorted(edges, r, side="right") - 1
    idx[(r < edges[0]) | (r >= edges[-1])] = -1
    return idx, edges


def radial_profile(r, v, v_err, *, edges, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                   deconvolve=False, resampling="drop"):
    """Dispersion of ``v`` in shells of Galactocentric radius ``r`` (kpc), bins [e_i, e_i+1).

    ``edges`` is a finite, strictly increasing 1-d array (kpc, at least two values); the
    other settings as in `grid_dispersion`. Returns the dict of `binned_dispersion` plus
    ``r_mid`` (bin centres) and ``edges``.
    """
    r = star_array("r", r)
    n = r.size
    v, v_err = star_array("v", v, n), star_array("v_err", v_err, n)
    check_map_settings(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve, resampling)
    idx, edges = _radial_labels(r, edges)
    member = membership_from_labels(idx, edges.size - 1)
    out = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                            deconvolve=deconvolve, resampling=resampling)
    out["r_mid"], out["edges"] = 0.5 * (edges[1:] + edges[:-1]), edges
    return out



def anisotropy(r, v_r, v_theta, v_phi, err_r, err_theta, err_phi, *, edges, min_stars=10,
               n_mc=1000, drop_frac=0.1, rng=None, deconvolve=False, resampling="drop"):
    """Anisotropy beta(r) in radial shells, with the Monte Carlo bands of S000.

    Each realisation redraws all three components and drops the same stars for all
    three, then beta = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2). Pass a subset
    of the stars (e.g. `~halo_utils.maps.sky_quadrant_masks`) for a profile per sky quadrant.

    Returns the dict of `binned_dispersion` (``sigma`` holds the point beta) plus
    ``r_mid`` and ``edges``. Settings as in `radial_profile`; the errors must be >= 0.
    """
    r = star_array("r", r)
    n = r.size
    v_r, err_r = star_array("v_r", v_r, n), star_array("err_r", err_r, n, low=0)
    check_map_settings(v_r, err_r, n_mc, drop_frac, min_stars, rng, deconvolve, resampling)
    vv, ee = three_components(n, v_r, err_r, v_theta, v_phi, err_theta, err_phi)
    idx, edges = _radial_labels(r, edges)
    member = membership_from_labels(idx, edges.size - 1)
    out = binned_dispersion(member, vv, ee, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac,
                            rng=rng, beta=True, deconvolve=deconvolve, resampling=resampling)
    out["r_mid"], out["edges"] = 0.5 * (edges[1:] + edges[:-1]), edges
    return out
