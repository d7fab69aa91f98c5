"""Coverage statistics of intervals over many mocks: fractions inside, binomial errors, pulls.

A calibrated method's interval of probability ``level`` contains the truth in a fraction
``level`` of independent mocks, within the binomial standard deviation
sqrt(level (1 - level) / n); its pulls (estimate - truth) / sigma are standard normal
(conventions §10). The density recovery of chapter 4 (`halo_utils.density.coverage_table`)
and the reflex coverage study (`halo_utils.reflex_coverage`) both use these. The bottom
layer: it imports nothing from the package.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

__all__ = ["fraction_inside", "binomial_sigma", "within_sigmas", "binomial_p_value", "pulls"]


def fraction_inside(inside) -> float:
    """Fraction of mocks whose interval contains the truth.

    Parameters
    ----------
    inside : array_like of bool
        One flag per mock.
    """
    return float(np.mean(inside))


def binomial_sigma(level: float, n: int, complement: float | None = None):
    """Standard deviation of the fraction of ``n`` calibrated intervals that contain the truth.

    Parameters
    ----------
    level : float
        Probability content of each interval, e.g. 0.68.
    n : int
        Number of mocks.
    complement : float, optional
        1 - level as the caller writes it (default computed as ``1 - level``). In floating
        point 0.68 * 0.32 and 0.68 * (1 - 0.68) differ in the last bit; pass it to
        reproduce a table that used the written complement.

    Returns
    -------
    float
        sqrt(level (1 - level) / n).
    """
    q = 1 - level if complement is None else complement
    return np.sqrt(level * q / n)


def within_sigmas(fraction: float, level: float, sigma: float, n_sigma: float = 3):
    """Whether an observed coverage ``fraction`` lies within ``n_sigma`` binomial sigmas of ``level``."""
    return abs(fraction - level) <= n_sigma * sigma


def binomial_p_value(n_inside: int, n: int, level: float) -> float:
    """Two-sided binomial p-value of ``n_inside`` of ``n`` intervals containing the truth.

    Twice the smaller tail probability of Binomial(n, level) at ``n_inside``, capped at 1.
    """
    return float(min(1.0, 2 * min(binom.cdf(n_inside, n, level), binom.sf(n_inside - 1, n, level))))


def pulls(estimate, truth, sigma, period: float | None = None):
    """Pulls (estimate - truth) / sigma.

    Parameters
    ----------
    estimate, truth, sigma : array_like
        Point estimates, true values and 1-sigma errors, in one unit.
    period : float, optional
        Period of an angle (e.g. 360 deg): the difference is wrapped into
        [-period / 2, period / 2) before dividing.

    Returns
    -------
    ndarray
        The pulls, dimensionless.
    """
    diff = np.asarray(estimate) - np.asarray(truth)
    if period is not None:
        diff = (diff + 0.5 * period) % period - 0.5 * period
    return diff / np.asarray(sigma)
