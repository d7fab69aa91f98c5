"""Sky maps and binned profiles of outer-halo velocities (conventions §11; S004 figs 3-5)."""

from __future__ import annotations

import healpy as hp
import numpy as np
from astropy.table import Table

from ..validation import check_array, check_bool, check_integer, check_real, make_generator
from ..maps import check_nside
from .sky import unit_vector

__all__ = ["smoothed_sky_mean", "binned_mean", "lmc_quadrant_masks"]

#: Most (pixel, star) weights of one smoothed map (~1.6 GB of doubles).
_MAX_WEIGHTS = 200_000_000


def _sky(l, b, min_size=0, **more):
    """Finite 1-d ``l``, ``b`` (|b| <= 90 deg) and ``more`` arrays, one value per star."""
    arrays = {"l": check_array("l", l, ndim=1, min_size=min_size, unit="deg"),
              "b": check_array("b", b, ndim=1, low=-90, high=90, unit="deg"),
              **{k: check_array(k, v, ndim=1) for k, v in more.items()}}
    sizes = {k: v.size for k, v in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError("arrays must have one value per star, got sizes "
                         + ", ".join(f"{k} {n}" for k, n in sizes.items()))
    return arrays.values()


def smoothed_sky_mean(l, b, values, *, nside: int = 16, kernel_deg: float = 45.0,
                      subtract_mean: bool = True) -> np.ndarray:
    """Gaussian-kernel weighted mean of ``values`` on a HEALPix grid (Galactic, RING).

    Every pixel centre averages all stars with weights exp(-theta^2 / (2 s^2)), theta the
    angular separation and s = ``kernel_deg`` the kernel's standard deviation (S004
    fig 3). With ``subtract_mean`` the unweighted sky mean is removed.

    ``l``, ``b`` (deg) and ``values`` are finite, one per star (at least one star);
    ``nside`` a power of 2; ``kernel_deg`` in (0, 180].
    """
    l, b, values = _sky(l, b, min_size=1, values=values)
    nside = check_nside(nside, _MAX_WEIGHTS // values.size)
    kernel_deg = check_real("kernel_deg", kernel_deg, low=0, high=180, low_open=True, unit="deg")
    check_bool("subtract_mean", subtract_mean)
    pix_vec = np.stack(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))), axis=-1)
    star_vec = unit_vector(l, b)
    cosang = np.clip(pix_vec @ star_vec.T, -1, 1)
    w = np.exp(-np.arccos(cosang) ** 2 / (2 * np.deg2rad(kernel_deg) ** 2))
    out = w @ values / w.sum(axis=1)
    return out - values.mean() if subtract_mean else out


def binned_mean(x, values, bins, *, n_boot: int = 1000, rng=None, min_count: int = 3):
    """Mean of ``values`` in bins of ``x`` with bootstrap 1-sigma errors.

    Returns a Table with ``x_lo``, ``x_hi``, ``x_mid`` (median x of the bin), ``n``,
    ``mean`` and ``err`` (std of ``n_boot`` bootstrap means; NaN with < ``min_count`` stars).

    ``x`` and ``values`` are finite, one per star; ``bins`` strictly increasing edges (at
    least two); ``n_boot`` and ``min_count`` integers >= 1; ``rng`` a seed or a
    `numpy.random.Generator` (required: the bootstrap is seeded).
    """
    x = check_array("x", x, ndim=1)
    values = check_array("values", values, shape=x.shape)
    bins = check_array("bins", bins, ndim=1, min_size=2)
    if np.any(np.diff(bins) <= 0):
        raise ValueError(f"bins must be strictly increasing edges, got {bins}")
    n_boot = check_integer("n_boot", n_boot, low=1)
    rng = make_generator("rng", rng)
    min_count = check_integer("min_count", min_count, low=1)
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        v = values[(x >= lo) & (x < hi)]
        if v.size < min_count:
            rows.append((lo, hi, 0.5 * (lo + hi), v.size, np.nan, np.nan))
            continue
        boot = v[rng.integers(0, v.size, (n_boot, v.size))].mean(axis=1)
        rows.append((lo, hi, float(np.median(x[(x >= lo) & (x < hi)])), v.size, v.mean(), boot.std()))
    return Table(rows=rows, names=("x_lo", "x_hi", "x_mid", "n", "mean", "err"))


def lmc_quadrant_masks(l, b):
    """The two sky quadrants of S004 fig 4: the one holding the LMC, ``"LMC"`` (180 <= l < 360,
    b < 0), and the ``"opposite"`` one (l < 180, b > 0).

    ``l``, ``b`` (deg) finite, one per star, ``|b| <= 90``.
    """
    l, b = _sky(l, b)
    l = l % 360.0
    return {"LMC": (l >= 180) & (b < 0), "opposite": (l < 180) & (b > 0)}
