"""The survey's one error model, as functions of r magnitude (conventions §3).

Gaia-like astrometric errors (`astrometric_error`, which also enters the selection through
the parallax cut) and the spectroscopic errors of the mock catalogues (`faintness`,
`median_rv_error`, `abundance_errors`). Both mocks draw their errors from these functions.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_array

__all__ = ["astrometric_error", "faintness", "median_rv_error", "abundance_errors"]


def astrometric_error(r_mag):
    """Gaia-like parallax (mas) and proper-motion (mas/yr) error at r magnitude ``r_mag``.

    sigma = 0.015 + 0.11 * 10**(0.4 (r - 18)) (conventions §3).
    """
    return _astrometric_error(check_array("r_mag", r_mag, unit="mag"))


def _astrometric_error(r_mag):
    return 0.015 + 0.11 * 10.0 ** (0.4 * (r_mag - 18.0))


def faintness(r_mag):
    """Where a star sits between bright (r = 13.5, 0) and faint (r = 18.5, 1), clipped to [0, 1].

    The spectroscopic errors of the mock grow with it (`median_rv_error`, `abundance_errors`).
    """
    return _faintness(check_array("r_mag", r_mag, unit="mag"))


def _faintness(r_mag):
    return np.clip((r_mag - 13.5) / 5.0, 0.0, 1.0)


def median_rv_error(r_mag):
    """Typical radial-velocity error (km/s) at r magnitude ``r_mag``: 0.5 + 2 faintness^2.

    The mock scatters each star's error log-normally about it (0.2 dex in e) and clips it to
    0.5-2.5 km/s; the forward-model mock uses it as it is.
    """
    return 0.5 + 2.0 * faintness(r_mag) ** 2


def abundance_errors(r_mag):
    """``([Fe/H] error, [a/Fe] error)`` in dex at r magnitude ``r_mag``.

    [Fe/H]: 0.05 + 0.07 faintness; [a/Fe]: 0.03 + 0.03 faintness.
    """
    faint = faintness(r_mag)
    return 0.05 + 0.07 * faint, 0.03 + 0.03 * faint
