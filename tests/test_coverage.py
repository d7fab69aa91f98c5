"""Coverage statistics (conventions §10): binomial errors, p-values and pulls."""

import numpy as np
import pytest
from scipy import stats

from halo_utils.coverage import binomial_p_value, binomial_sigma, fraction_inside, pulls, within_sigmas


def test_binomial_sigma_is_the_spread_of_calibrated_coverage(rng):
    """Over many studies of n calibrated intervals the fraction inside scatters by
    sqrt(level (1 - level) / n); 4000 studies measure that spread to 1.1 %, so 5 % is 4 sigma."""
    level, n = 0.68, 50
    fractions = [fraction_inside(rng.uniform(size=n) < level) for _ in range(4000)]
    assert np.mean(fractions) == pytest.approx(level, abs=4 * binomial_sigma(level, n) / np.sqrt(4000))
    assert np.std(fractions) == pytest.approx(binomial_sigma(level, n), rel=0.05)
    assert binomial_sigma(level, n) == np.sqrt(level * (1 - level) / n)
    assert binomial_sigma(0.68, n, complement=0.32) == np.sqrt(0.68 * 0.32 / n)


def test_within_sigmas():
    assert within_sigmas(0.68 + 0.29, 0.68, 0.1)
    assert not within_sigmas(0.68 - 0.31, 0.68, 0.1)
    assert within_sigmas(0.5, 0.68, 0.1, n_sigma=2) == (0.18 <= 0.2)


def test_binomial_p_value():
    # a symmetric binomial: twice the smaller tail is the exact two-sided test
    for k in (3, 10, 14, 20):
        assert binomial_p_value(k, 20, 0.5) == pytest.approx(stats.binomtest(k, 20, 0.5).pvalue, rel=1e-12)
    assert binomial_p_value(34, 50, 0.68) == 1.0  # the expected count: capped at 1
    assert binomial_p_value(5, 50, 0.68) < 1e-12


def test_binomial_p_value_is_valid_under_the_null(rng):
    """For calibrated intervals P(p <= alpha) <= alpha: the test never rejects too often
    (within 4 binomial sigmas of 20,000 draws)."""
    n, level, alpha = 40, 0.68, 0.05
    p = np.array([binomial_p_value(k, n, level) for k in rng.binomial(n, level, size=20000)])
    assert np.mean(p <= alpha) <= alpha + 4 * np.sqrt(alpha * (1 - alpha) / 20000)


def test_pulls(rng):
    truth, sigma = 3.0, 0.2
    est = truth + sigma * rng.standard_normal(5000)
    z = pulls(est, truth, sigma)
    assert abs(np.mean(z)) < 4 / np.sqrt(5000) and abs(np.std(z) - 1) < 4 / np.sqrt(2 * 5000)
    # angles are wrapped by their period before dividing
    np.testing.assert_allclose(pulls([359.0, 1.0, 181.0], [1.0, 359.0, 0.0], 2.0, period=360.0), [-1.0, 1.0, -89.5])
    np.testing.assert_allclose(pulls([359.0], [1.0], 2.0), [179.0])
