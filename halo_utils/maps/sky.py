"""Dispersion and anisotropy per HEALPix pixel, and the four (l, b) sky quadrants
(conventions §6; S000 figs 6 and 10)."""

from __future__ import annotations

import healpy as hp

from ..validation import check_array, check_integer
from .dispersion import MAX_CELLS, binned_dispersion, check_map_settings, membership_from_labels, star_array, \
    three_components

__all__ = ["check_nside", "healpix_pixels", "healpix_dispersion", "SKY_QUADRANTS", "sky_quadrant_masks"]


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
    nside = check_nside(nside)
    l, b = check_array("l", l, unit="deg"), check_array("b", b, low=-90, high=90, unit="deg")
    if l.shape != b.shape:
        raise ValueError(f"l and b must have one shape, got {l.shape} and {b.shape}")
    return hp.ang2pix(nside, l, b, lonlat=True)


def healpix_dispersion(l, b, v, v_err, *, nside=4, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                       v_theta=None, v_phi=None, err_theta=None, err_phi=None, deconvolve=False, resampling="drop"):
    """Dispersion of ``v`` per HEALPix pixel of Galactic (l, b) (RING order, healpy).

    With ``v_theta``, ``v_phi`` (and their errors) given, ``v`` is V_r and the result is
    the anisotropy beta per pixel instead (same Monte Carlo). Returns the dict of
    `binned_dispersion` with arrays of length 12 nside^2, plus ``nside``. ``nside`` is a
    power of 2 (at most 512); the other settings as in `grid_dispersion`.
    """
    l = star_array("l", l)
    n = l.size
    b, v, v_err = star_array("b", b, n, low=-90, high=90), star_array("v", v, n), star_array("v_err", v_err, n)
    check_map_settings(v, v_err, n_mc, drop_frac, min_stars, rng, deconvolve, resampling)
    nside = check_nside(nside, MAX_CELLS)
    pix = healpix_pixels(l, b, nside)
    member = membership_from_labels(pix, 12 * nside**2)
    if v_theta is None:
        out = binned_dispersion(member, v, v_err, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
                                deconvolve=deconvolve, resampling=resampling)
    else:
        vv, ee = three_components(n, v, v_err, v_theta, v_phi, err_theta, err_phi)
        out = binned_dispersion(member, vv, ee, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac,
                                rng=rng, beta=True, deconvolve=deconvolve, resampling=resampling)
    out["nside"] = nside
    return out


#: Names of the four (l, b) sky quadrants of S000 fig 10, in the order of `sky_quadrant_masks`.
SKY_QUADRANTS = ("l<180, b>0", "l>=180, b>0", "l<180, b<0", "l>=180, b<0")


def sky_quadrant_masks(l, b):
    """Boolean masks of the four (l, b) sky quadrants (l < 180 / l >= 180 times b > 0 / b < 0),
    keyed by `SKY_QUADRANTS`.

    ``l``, ``b`` in deg: finite, of one shape, ``|b| <= 90``.
    """
    l = check_array("l", l, unit="deg") % 360.0
    b = check_array("b", b, low=-90, high=90, unit="deg")
    if l.shape != b.shape:
        raise ValueError(f"l and b must have one shape, got {l.shape} and {b.shape}")
    return {SKY_QUADRANTS[0]: (l < 180) & (b > 0), SKY_QUADRANTS[1]: (l >= 180) & (b > 0),
            SKY_QUADRANTS[2]: (l < 180) & (b < 0), SKY_QUADRANTS[3]: (l >= 180) & (b < 0)}
