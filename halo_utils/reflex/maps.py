"""Sky maps and binned profiles of outer-halo velocities (S004 figs 3-5)."""

from __future__ import annotations

import healpy as hp
import numpy as np
from astropy.table import Table

from .sky import unit_vector

__all__ = ["smoothed_sky_mean", "binned_mean", "quadrant_masks"]


def smoothed_sky_mean(l, b, values, *, nside: int = 16, kernel_deg: float = 45.0,
                      subtract_mean: bool = True) -> np.ndarray:
    """Gaussian-kernel weighted mean of ``values`` on a HEALPix grid (Galactic, RING).

    Every pixel centre averages all stars with weights exp(-theta^2 / (2 s^2)), theta the
    angular separation and s = ``kernel_deg`` the kernel's standard deviation (S004
    fig 3). With ``subtract_mean`` the unweighted sky mean is removed.
    """
    values = np.asarray(values, float)
    pix_vec = np.stack(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))), axis=-1)
    star_vec = unit_vector(np.asarray(l, float), np.asarray(b, float))
    cosang = np.clip(pix_vec @ star_vec.T, -1, 1)
    w = np.exp(-np.arccos(cosang) ** 2 / (2 * np.deg2rad(kernel_deg) ** 2))
    out = w @ values / w.sum(axis=1)
    return out - values.mean() if subtract_mean else out


def binned_mean(x, values, bins, *, n_boot: int = 1000, rng=None, min_count: int = 3):
    """Mean of ``values`` in bins of ``x`` with bootstrap 1-sigma errors.

    Returns a Table with ``x_lo``, ``x_hi``, ``x_mid`` (median x of the bin), ``n``,
    ``mean`` and ``err`` (std of ``n_boot`` bootstrap means; NaN with < ``min_count`` stars).
    """
    rng = np.random.default_rng(rng)
    x, values = np.asarray(x, float), np.asarray(values, float)
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        v = values[(x >= lo) & (x < hi)]
        if v.size < min_count:
            rows.append((lo, hi, 0.5 * (lo + hi), v.size, np.nan, np.nan))
            continue
        boot = v[rng.integers(0, v.size, (n_boot, v.size))].mean(axis=1)
        rows.append((lo, hi, float(np.median(x[(x >= lo) & (x < hi)])), v.size, v.mean(), boot.std()))
    return Table(rows=rows, names=("x_lo", "x_hi", "x_mid", "n", "mean", "err"))


def quadrant_masks(l, b):
    """S004 fig 4 quadrants: ``"LMC"`` (180 <= l < 360, b < 0) and ``"opposite"`` (l < 180, b > 0)."""
    l = np.asarray(l, float) % 360.0
    b = np.asarray(b, float)
    return {"LMC": (l >= 180) & (b < 0), "opposite": (l < 180) & (b > 0)}
