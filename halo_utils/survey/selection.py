"""The H3-like survey selection function: one definition for the mock and the forward model.

A star of absolute magnitude ``M`` (Pan-STARRS r, dereddened) at heliocentric distance
``D`` in tile ``t`` enters the catalogue with a good fit and ``SNR > 3`` with probability
(conventions §3)::

    P(M, D, t) = sum_k f_{t,k} W_k(M, m, t) P_plx(m, D) P_snr(m, t) p_good,  m = M + mu(D)

with ``W_k`` the rank-k magnitude window (rank 1: luminous giants, ``M < M_rank1``, in
``13.5 < m < min(17.5, r_lim)`` on tiles that have rank-1 targets; rank 2: everything
else in ``15 < m < min(18, r_lim)``), ``f_{t,k}`` the fibre sampling fraction,
``P_plx`` the probability that the observed parallax passes ``plx < 0.5 + 2 sigma_plx``
given the Gaussian parallax error, ``P_snr`` the probability that the log-normally
scattered S/N exceeds 3, and ``p_good`` the probability of a good spectral fit
(``FLAG == 0``). The mock draws every one of these events star by star; the density
likelihood integrates the same functions over ``M`` and ``D``.

The error model it uses lives in `~halo_utils.survey.errors` (the parallax error enters
the selection); the luminosity-function average over tiles is
`~halo_utils.survey.effective_selection`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import ndtr

from ..validation import check_array, check_flags, check_integer, check_real
from ._broadcast import broadcast
from .errors import _astrometric_error

__all__ = ["SNR_LIMIT", "SelectionConfig", "distance_modulus", "parallax_pass_probability", "snr_model",
           "snr_pass_probability", "rank_windows", "selection_probability"]


#: The S/N a spectrum needs to enter any sample (S000, S001: S/N > 3).
SNR_LIMIT = 3.0


@dataclass(frozen=True)
class SelectionConfig:
    """Numbers that define the survey selection (the defaults of conventions §3).

    Magnitudes are Pan-STARRS r (mag), parallaxes mas. Every value is checked on
    construction (finite, ``bright < faint`` for both windows, probabilities in (0, 1],
    positive scatters and limits); a misspelt field is refused by the constructor.
    """

    rank1_bright: float = 13.5
    rank1_faint: float = 17.5
    rank2_bright: float = 15.0
    rank2_faint: float = 18.0
    #: Giants brighter than this absolute magnitude are rank-1 targets (luminous giants).
    rank1_max_abs_mag: float = -1.5
    plx_limit: float = 0.5
    plx_nsigma: float = 2.0
    snr_limit: float = SNR_LIMIT
    #: Log-normal scatter (natural log) of S/N around 3 * 10**(-0.4 (m - r_lim)).
    snr_log_scatter: float = 0.15
    #: Probability that a spectrum gets a good fit (FLAG == 0), independent of the star.
    p_good_fit: float = 0.97
    n_fibres: int = 200

    def __post_init__(self):
        limits = {"plx_limit": dict(low=0, low_open=True), "plx_nsigma": dict(low=0),
                  "snr_limit": dict(low=0, low_open=True), "snr_log_scatter": dict(low=0, low_open=True),
                  "p_good_fit": dict(low=0, high=1, low_open=True)}
        for f in fields(self):
            if f.name == "n_fibres":
                check_integer("SelectionConfig.n_fibres", self.n_fibres, low=1)
            else:
                check_real(f"SelectionConfig.{f.name}", getattr(self, f.name), **limits.get(f.name, {}))
        for rank in (1, 2):
            bright, faint = getattr(self, f"rank{rank}_bright"), getattr(self, f"rank{rank}_faint")
            if not bright < faint:
                raise ValueError(f"SelectionConfig.rank{rank}_bright must be brighter (smaller) than "
                                 f"rank{rank}_faint, got {bright:g} and {faint:g} mag")


def _check_config(config) -> "SelectionConfig":
    if not isinstance(config, SelectionConfig):
        raise TypeError(f"config must be a SelectionConfig, got {type(config).__name__}")
    return config


def distance_modulus(distance_kpc):
    """mu = 5 log10(D / 10 pc) for D in kpc (finite, > 0)."""
    return _distance_modulus(check_array("distance_kpc", distance_kpc, low=0, low_open=True, unit="kpc"))


def _distance_modulus(distance_kpc):
    return 5.0 * np.log10(distance_kpc) + 10.0


def parallax_pass_probability(r_mag, distance_kpc, config: SelectionConfig = SelectionConfig()):
    """P(observed parallax < plx_limit + nsigma * sigma_plx) for a Gaussian parallax error.

    ``r_mag`` (mag) and ``distance_kpc`` (kpc, > 0) broadcast together.
    """
    r_mag, dist = broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                             distance_kpc=check_array("distance_kpc", distance_kpc, low=0, low_open=True,
                                                      unit="kpc"))
    return _parallax_pass_probability(r_mag, dist, _check_config(config))


def _parallax_pass_probability(r_mag, distance_kpc, config):
    sigma = _astrometric_error(r_mag)
    return ndtr((config.plx_limit - 1.0 / distance_kpc) / sigma + config.plx_nsigma)


def snr_model(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """Expected S/N per pixel: ``snr_limit`` at r = r_lim, scaling as flux."""
    r_mag, r_lim = broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                              r_lim=check_array("r_lim", r_lim, unit="mag"))
    return _check_config(config).snr_limit * 10.0 ** (-0.4 * (r_mag - r_lim))


def snr_pass_probability(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """P(S/N > snr_limit) given the log-normal S/N scatter (``r_mag``, ``r_lim`` in mag)."""
    r_mag, r_lim = broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                              r_lim=check_array("r_lim", r_lim, unit="mag"))
    return _snr_pass_probability(r_mag, r_lim, _check_config(config))


def _snr_pass_probability(r_mag, r_lim, config):
    return ndtr(0.4 * np.log(10.0) * (r_lim - r_mag) / config.snr_log_scatter)


def rank_windows(abs_mag, r_mag, r_lim, has_rank1, config: SelectionConfig = SelectionConfig()):
    """Indicators of the rank-1 and rank-2 target windows (broadcasting arrays of bool).

    Rank 1: luminous giants (``abs_mag < rank1_max_abs_mag``) on tiles with rank-1
    targeting, ``rank1_bright < r < min(rank1_faint, r_lim)``. Rank 2: every star not
    in the rank-1 window with ``rank2_bright < r < min(rank2_faint, r_lim)``.
    ``abs_mag``, ``r_mag`` and ``r_lim`` are finite magnitudes; ``has_rank1`` booleans.
    """
    arrays = broadcast(abs_mag=check_array("abs_mag", abs_mag, unit="mag"),
                        r_mag=check_array("r_mag", r_mag, unit="mag"),
                        r_lim=check_array("r_lim", r_lim, unit="mag"), has_rank1=check_flags("has_rank1", has_rank1))
    return _rank_windows(*arrays, _check_config(config))


def _rank_windows(abs_mag, r_mag, r_lim, has_rank1, config):
    in1 = (
        has_rank1
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
        Heliocentric distance, kpc (> 0).
    r_lim : array_like
        Tile limiting magnitude at S/N = 3, mag.
    has_rank1 : array_like of bool
        Whether the tile targets rank-1 stars.
    f_rank1, f_rank2 : array_like
        Fibre sampling fractions of the tile's rank-1 and rank-2 candidates, in [0, 1].

    Returns
    -------
    ndarray
        Selection probability in [0, 1].

    Raises
    ------
    ValueError, TypeError
        A non-finite or out-of-range value, arrays that do not broadcast, a non-boolean
        ``has_rank1`` or a ``config`` that is not a `SelectionConfig` (the message names it).
    """
    checked = dict(abs_mag=check_array("abs_mag", abs_mag, unit="mag"),
                   distance_kpc=check_array("distance_kpc", distance_kpc, low=0, low_open=True, unit="kpc"),
                   r_lim=check_array("r_lim", r_lim, unit="mag"), has_rank1=check_flags("has_rank1", has_rank1),
                   f_rank1=check_array("f_rank1", f_rank1, low=0, high=1),
                   f_rank2=check_array("f_rank2", f_rank2, low=0, high=1))
    broadcast(**checked)
    return _selection_probability(*checked.values(), _check_config(config))


def _selection_probability(abs_mag, distance_kpc, r_lim, has_rank1, f_rank1, f_rank2, config):
    r_mag = abs_mag + _distance_modulus(distance_kpc)
    in1, in2 = _rank_windows(abs_mag, r_mag, r_lim, has_rank1, config)
    fibre = np.where(in1, f_rank1, 0.0) + np.where(in2, f_rank2, 0.0)
    return (fibre * _parallax_pass_probability(r_mag, distance_kpc, config)
            * _snr_pass_probability(r_mag, r_lim, config) * config.p_good_fit)
