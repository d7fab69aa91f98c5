"""Luminosity functions of the tracers, and giants per solar mass (conventions §3)."""

from __future__ import annotations

import numpy as np

from ..validation import check_array, check_generator, check_integer, check_real
from ._broadcast import broadcast

__all__ = ["GIANTS_PER_MSUN", "LuminosityFunction", "giant_luminosity_function", "dwarf_luminosity_function"]


#: Red giants (-3 <= M_r <= 2.5) per solar mass of an old, metal-poor population: converts
#: the stellar mass of a halo component into the number of tracers the survey can see
#: (approximate; the density fit reports masses through it).
GIANTS_PER_MSUN = 1.5e-3


class LuminosityFunction:
    """A tabulated luminosity function dN/dM on a magnitude grid (pluggable, e.g. MIST).

    Parameters
    ----------
    abs_mag : array_like
        Strictly increasing, finite absolute-magnitude nodes, mag (at least two).
    density : array_like
        Finite, non-negative dN/dM at the nodes, not all zero (any normalisation; linear
        between nodes).
    """

    def __init__(self, abs_mag, density):
        abs_mag = check_array("abs_mag", abs_mag, ndim=1, min_size=2, unit="mag")
        density = check_array("density", density, shape=abs_mag.shape)
        if np.any(np.diff(abs_mag) <= 0):
            raise ValueError("abs_mag nodes must be strictly increasing")
        if np.any(density < 0) or not np.any(density > 0):
            raise ValueError(f"density must be non-negative and not all zero, got {np.sum(density < 0)} "
                             f"negative and {np.sum(density > 0)} positive values")
        self.abs_mag = abs_mag
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(abs_mag))])
        self.norm = cum[-1]
        self.density = density / self.norm
        self._cdf = cum / self.norm

    @property
    def bright(self) -> float:
        return float(self.abs_mag[0])

    @property
    def faint(self) -> float:
        return float(self.abs_mag[-1])

    def pdf(self, abs_mag):
        """Normalised dN/dM (1/mag), zero outside the tabulated range (finite ``abs_mag``)."""
        return np.interp(check_array("abs_mag", abs_mag, unit="mag"), self.abs_mag, self.density,
                         left=0.0, right=0.0)

    def cdf(self, abs_mag):
        """Fraction of stars brighter than ``abs_mag`` (finite, mag)."""
        return np.interp(check_array("abs_mag", abs_mag, unit="mag"), self.abs_mag, self._cdf,
                         left=0.0, right=1.0)

    def ppf(self, q):
        """Inverse of `cdf` for ``q`` in [0, 1] (linear between nodes; use a fine grid)."""
        return np.interp(check_array("q", q, low=0, high=1), self._cdf, self.abs_mag)

    def sample_between(self, lo, hi, rng):
        """Draw one magnitude per element from the LF truncated to [lo, hi] (mag, ``lo <= hi``,
        broadcasting) with the `numpy.random.Generator` ``rng``."""
        lo, hi = broadcast(lo=check_array("lo", lo, unit="mag"), hi=check_array("hi", hi, unit="mag"))
        n_bad = int(np.count_nonzero(lo > hi))
        if n_bad:
            raise ValueError(f"lo > hi for {n_bad} element{'s' if n_bad > 1 else ''}; expected lo <= hi")
        check_generator("rng", rng)
        c_lo, c_hi = self.cdf(lo), self.cdf(hi)
        return self.ppf(c_lo + (c_hi - c_lo) * rng.uniform(size=np.shape(c_lo)))


def _tabulated(bright, faint, n_nodes):
    bright = check_real("bright", bright, unit="mag")
    faint = check_real("faint", faint, low=bright, low_open=True, unit="mag", why="fainter than bright")
    return np.linspace(bright, faint, check_integer("n_nodes", n_nodes, low=2))


def giant_luminosity_function(slope: float = 0.3, bright: float = -3.0, faint: float = 2.5,
                              n_nodes: int = 2001) -> LuminosityFunction:
    """The RGB luminosity function of conventions §3: dN/dM_r ~ 10**(slope M_r) between
    ``bright`` and ``faint`` (mag, bright < faint) on ``n_nodes`` (>= 2) nodes."""
    slope = check_real("slope", slope)
    m = _tabulated(bright, faint, n_nodes)
    return LuminosityFunction(m, 10.0 ** (slope * m))


def dwarf_luminosity_function(bright: float = 3.5, faint: float = 7.5,
                              n_nodes: int = 401) -> LuminosityFunction:
    """Foreground main-sequence dwarfs: flat in M_r (only their number matters here)."""
    m = _tabulated(bright, faint, n_nodes)
    return LuminosityFunction(m, np.ones_like(m))
