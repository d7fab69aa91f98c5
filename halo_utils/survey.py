"""The H3-like survey selection function: one definition for the mock and the forward model.

A star of absolute magnitude ``M`` (Pan-STARRS r, dereddened) at heliocentric distance
``D`` in tile ``t`` enters the catalogue with a good fit and ``SNR > 3`` with probability
(SPEC sections 3 and 6.2)::

    P(M, D, t) = sum_k f_{t,k} W_k(M, m, t) P_plx(m, D) P_snr(m, t) p_good,  m = M + mu(D)

with ``W_k`` the rank-k magnitude window (rank 1: luminous giants, ``M < M_rank1``, in
``13.5 < m < min(17.5, r_lim)`` on tiles that have rank-1 targets; rank 2: everything
else in ``15 < m < min(18, r_lim)``), ``f_{t,k}`` the fibre sampling fraction,
``P_plx`` the probability that the observed parallax passes ``plx < 0.5 + 2 sigma_plx``
given the Gaussian parallax error, ``P_snr`` the probability that the log-normally
scattered S/N exceeds 3, and ``p_good`` the probability of a good spectral fit
(``FLAG == 0``). The mock draws every one of these events star by star; the density
likelihood integrates the same functions over ``M`` and ``D``.

The error model (functions of r magnitude) lives here too, because the parallax error
enters the selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

__all__ = [
    "SelectionConfig",
    "LuminosityFunction",
    "giant_luminosity_function",
    "distance_modulus",
    "astrometric_error",
    "parallax_pass_probability",
    "snr_pass_probability",
    "rank_windows",
    "selection_probability",
    "effective_selection",
    "dwarf_luminosity_function",
]


@dataclass(frozen=True)
class SelectionConfig:
    """Numbers that define the survey selection (SPEC section 3 defaults).

    Magnitudes are Pan-STARRS r (mag), parallaxes mas.
    """

    rank1_bright: float = 13.5
    rank1_faint: float = 17.5
    rank2_bright: float = 15.0
    rank2_faint: float = 18.0
    #: Giants brighter than this absolute magnitude are rank-1 targets (luminous giants).
    rank1_max_abs_mag: float = -1.5
    plx_limit: float = 0.5
    plx_nsigma: float = 2.0
    snr_limit: float = 3.0
    #: Log-normal scatter (natural log) of S/N around 3 * 10**(-0.4 (m - r_lim)).
    snr_log_scatter: float = 0.15
    #: Probability that a spectrum gets a good fit (FLAG == 0), independent of the star.
    p_good_fit: float = 0.97
    n_fibres: int = 200


def distance_modulus(distance_kpc):
    """mu = 5 log10(D / 10 pc) for D in kpc."""
    return 5.0 * np.log10(np.asarray(distance_kpc, float)) + 10.0


def astrometric_error(r_mag):
    """Gaia-like parallax (mas) and proper-motion (mas/yr) error at r magnitude ``r_mag``.

    sigma = 0.015 + 0.11 * 10**(0.4 (r - 18)) (SPEC section 3).
    """
    return 0.015 + 0.11 * 10.0 ** (0.4 * (np.asarray(r_mag, float) - 18.0))


def parallax_pass_probability(r_mag, distance_kpc, config: SelectionConfig = SelectionConfig()):
    """P(observed parallax < plx_limit + nsigma * sigma_plx) for a Gaussian parallax error."""
    sigma = astrometric_error(r_mag)
    true_plx = 1.0 / np.asarray(distance_kpc, float)
    return ndtr((config.plx_limit - true_plx) / sigma + config.plx_nsigma)


def snr_model(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """Expected S/N per pixel: ``snr_limit`` at r = r_lim, scaling as flux."""
    return config.snr_limit * 10.0 ** (-0.4 * (np.asarray(r_mag, float) - r_lim))


def snr_pass_probability(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """P(S/N > snr_limit) given the log-normal S/N scatter."""
    ln_margin = 0.4 * np.log(10.0) * (np.asarray(r_lim, float) - np.asarray(r_mag, float))
    return ndtr(ln_margin / config.snr_log_scatter)


def rank_windows(abs_mag, r_mag, r_lim, has_rank1, config: SelectionConfig = SelectionConfig()):
    """Indicators of the rank-1 and rank-2 target windows (broadcasting arrays of bool).

    Rank 1: luminous giants (``abs_mag < rank1_max_abs_mag``) on tiles with rank-1
    targeting, ``rank1_bright < r < min(rank1_faint, r_lim)``. Rank 2: every star not
    in the rank-1 window with ``rank2_bright < r < min(rank2_faint, r_lim)``.
    """
    abs_mag, r_mag = np.asarray(abs_mag, float), np.asarray(r_mag, float)
    r_lim = np.asarray(r_lim, float)
    in1 = (
        np.asarray(has_rank1, bool)
        & (abs_mag < config.rank1_max_abs_mag)
        & (r_mag > config.rank1_bright)
        & (r_mag < np.minimum(config.rank1_faint, r_lim))
    )
    in2 = ~in1 & (r_mag > config.rank2_bright) & (r_mag < np.minimum(config.rank2_faint, r_lim))
    return in1, in2


def selection_probability(abs_mag, distance_kpc, r_lim, has_rank1, f_rank1, f_rank2,
                          config: SelectionConfig = SelectionConfig()):
    """Probability that a star enters the catalogue with FLAG == 0 and S/N > 3.

    All arguments broadcast: e.g. ``abs_mag`` of shape (nM, 1, 1), ``distance_kpc`` of
    shape (1, nD, 1) and tile properties of shape (1, 1, nT).

    Parameters
    ----------
    abs_mag : array_like
        Absolute magnitude M_r, mag.
    distance_kpc : array_like
        Heliocentric distance, kpc.
    r_lim : array_like
        Tile limiting magnitude at S/N = 3.
    has_rank1 : array_like of bool
        Whether the tile targets rank-1 stars.
    f_rank1, f_rank2 : array_like
        Fibre sampling fractions of the tile's rank-1 and rank-2 candidates.

    Returns
    -------
    ndarray
        Selection probability in [0, 1].
    """
    r_mag = np.asarray(abs_mag, float) + distance_modulus(distance_kpc)
    in1, in2 = rank_windows(abs_mag, r_mag, r_lim, has_rank1, config)
    fibre = np.where(in1, f_rank1, 0.0) + np.where(in2, f_rank2, 0.0)
    return (fibre * parallax_pass_probability(r_mag, distance_kpc, config)
            * snr_pass_probability(r_mag, r_lim, config) * config.p_good_fit)


class LuminosityFunction:
    """A tabulated luminosity function dN/dM on a magnitude grid (pluggable, e.g. MIST).

    Parameters
    ----------
    abs_mag : array_like
        Increasing absolute-magnitude nodes, mag.
    density : array_like
        Non-negative dN/dM at the nodes (any normalisation; linear between nodes).
    """

    def __init__(self, abs_mag, density):
        abs_mag, density = np.asarray(abs_mag, float), np.asarray(density, float)
        if abs_mag.ndim != 1 or abs_mag.shape != density.shape or abs_mag.size < 2:
            raise ValueError("abs_mag and density must be 1-d arrays of the same length >= 2")
        if np.any(np.diff(abs_mag) <= 0):
            raise ValueError("abs_mag nodes must be strictly increasing")
        if np.any(density < 0) or not np.any(density > 0):
            raise ValueError("density must be non-negative and not all zero")
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
        """Normalised dN/dM (1/mag), zero outside the tabulated range."""
        return np.interp(abs_mag, self.abs_mag, self.density, left=0.0, right=0.0)

    def cdf(self, abs_mag):
        """Fraction of stars brighter than ``abs_mag``."""
        return np.interp(abs_mag, self.abs_mag, self._cdf, left=0.0, right=1.0)

    def ppf(self, q):
        """Inverse of `cdf` (linear between nodes; use a fine grid)."""
        return np.interp(q, self._cdf, self.abs_mag)

    def sample_between(self, lo, hi, rng):
        """Draw one magnitude per element from the LF truncated to [lo, hi]."""
        c_lo, c_hi = self.cdf(lo), self.cdf(hi)
        return self.ppf(c_lo + (c_hi - c_lo) * rng.uniform(size=np.shape(c_lo)))


def giant_luminosity_function(slope: float = 0.3, bright: float = -3.0, faint: float = 2.5,
                              n_nodes: int = 2001) -> LuminosityFunction:
    """The RGB luminosity function of SPEC section 3: dN/dM_r ~ 10**(slope M_r)."""
    m = np.linspace(bright, faint, n_nodes)
    return LuminosityFunction(m, 10.0 ** (slope * m))


def dwarf_luminosity_function(bright: float = 3.5, faint: float = 7.5,
                              n_nodes: int = 401) -> LuminosityFunction:
    """Foreground main-sequence dwarfs: flat in M_r (only their number matters here)."""
    m = np.linspace(bright, faint, n_nodes)
    return LuminosityFunction(m, np.ones_like(m))


def effective_selection(tiles, distance_kpc, lf: LuminosityFunction,
                        config: SelectionConfig = SelectionConfig(), *, mag_step: float = 0.01,
                        tile_chunk: int = 64):
    """S_t(D) of SPEC 6.2: the LF-averaged selection probability per tile and distance.

    S_t(D) = int dM Phi(M) P(M, D, t), with ``Phi`` normalised to one over its range, so
    that the expected number of selected stars of a component with number density
    ``n(x)`` (stars of this LF per kpc^3) is ``sum_t Omega_t int dD D^2 n(x_t(D)) S_t(D)``.

    Parameters
    ----------
    tiles : Table
        Tile table with ``r_lim``, ``has_rank1``, ``f_rank1`` and ``f_rank2``.
    distance_kpc : array_like
        Heliocentric distance nodes, kpc.
    lf : LuminosityFunction
        Luminosity function of the tracer.
    mag_step : float
        Absolute-magnitude integration step (trapezoid; the rank windows have sharp edges,
        so the step sets the accuracy, ~1e-3 relative at 0.01 mag).
    tile_chunk : int
        Tiles per vectorised block (memory ~ 8 * tile_chunk * n_D * n_M bytes).

    Returns
    -------
    ndarray, shape (n_tiles, n_D)
    """
    dist = np.asarray(distance_kpc, float)
    n_mag = int(np.ceil((lf.faint - lf.bright) / mag_step)) + 1
    mags = np.linspace(lf.bright, lf.faint, n_mag)
    weights = lf.pdf(mags) * np.gradient(mags)
    weights[[0, -1]] *= 0.5  # trapezoid end points
    cols = {k: np.asarray(tiles[k]) for k in ("r_lim", "has_rank1", "f_rank1", "f_rank2")}
    out = np.empty((len(tiles), dist.size))
    for start in range(0, len(tiles), tile_chunk):
        sl = slice(start, start + tile_chunk)
        p = selection_probability(mags[:, None, None], dist[None, :, None],
                                  cols["r_lim"][sl][None, None, :], cols["has_rank1"][sl][None, None, :],
                                  cols["f_rank1"][sl][None, None, :], cols["f_rank2"][sl][None, None, :],
                                  config)
        out[sl] = np.tensordot(weights, p, axes=(0, 0)).T
    return out
