"""Tabulated luminosity functions against the analytic one, and bad tables."""

import numpy as np
import pytest
from scipy import stats

from halo_utils.survey import LuminosityFunction, giant_luminosity_function


def test_luminosity_function_against_analytic(rng):
    lf = giant_luminosity_function()
    m = np.linspace(-3, 2.5, 7)
    a = 0.3 * np.log(10)
    cdf = (np.exp(a * m) - np.exp(a * -3.0)) / (np.exp(a * 2.5) - np.exp(a * -3.0))
    np.testing.assert_allclose(lf.cdf(m), cdf, atol=1e-6)
    np.testing.assert_allclose(lf.cdf(lf.ppf(np.linspace(0, 1, 11))), np.linspace(0, 1, 11), atol=1e-9)
    draws = lf.sample_between(np.full(20000, -1.0), np.full(20000, 1.0), rng)
    assert draws.min() >= -1.0 and draws.max() <= 1.0
    trunc_cdf = lambda x: (lf.cdf(x) - lf.cdf(-1.0)) / (lf.cdf(1.0) - lf.cdf(-1.0))  # noqa: E731
    assert stats.kstest(draws, trunc_cdf).pvalue > 1e-3


def test_luminosity_function_rejects_bad_tables():
    with pytest.raises(ValueError, match="strictly increasing"):
        LuminosityFunction([0, 0, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        LuminosityFunction([0, 1], [-1, 1])
