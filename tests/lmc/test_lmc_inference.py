"""The synthetic likelihood of the LMC mass (halo_utils.lmc.inference): calibrated intervals on a
suite whose truth is known, the posterior's arithmetic, and refusals."""

import numpy as np
import pytest
from scipy.stats import binom, norm

from halo_utils.lmc.inference import MassPosterior, SyntheticLikelihood

MASSES = np.array([0.0, 0.8e11, 1.0e11, 1.8e11, 2.5e11])
SLOPE = np.array([-20.0, 5.0, -30.0]) / 1e11  # km/s per Msun: a travel vector growing with the mass
COV = np.array([[16.0, 4.0, 0.0], [4.0, 25.0, -5.0], [0.0, -5.0, 36.0]])  # (km/s)^2


def _suite(rng, n_per_mass):
    masses = np.repeat(MASSES, n_per_mass)
    return masses, masses[:, None] * SLOPE + rng.multivariate_normal(np.zeros(3), COV, masses.size)


@pytest.mark.parametrize("n_per_mass", [40, 6])
def test_intervals_cover_the_mass_at_their_level(n_per_mass):
    """Masses drawn from the prior, a new suite and one summary each from the true Gaussians:
    the 68 % and 95 % intervals hold the true mass at their nominal rates, within 3 binomial
    sigma, with many realisations per mass and with as few as the predictive allows + 1 (the
    suite's means and covariances are estimates, which the Student-t predictive carries; a
    Gaussian with the sample covariance covered 46 % and 77 % at 6)."""
    rng = np.random.default_rng(n_per_mass)
    n = 300
    hits = {68: 0, 95: 0}
    for mass in rng.uniform(0, 2.5e11, n):
        likelihood = SyntheticLikelihood(*_suite(rng, n_per_mass))
        post = likelihood.posterior(mass * SLOPE + rng.multivariate_normal(np.zeros(3), COV))
        for level in hits:
            hits[level] += post.contains(mass, level)
    for level, k in hits.items():
        lo, hi = binom.ppf([norm.cdf(-3), norm.cdf(3)], n, level / 100)
        assert lo <= k <= hi, (level, k / n)


def test_means_interpolate_linearly_and_the_posterior_peaks_at_the_truth():
    masses = np.repeat(MASSES, 6)
    # every mass's rows average to its exact mean: a symmetric set of offsets around it
    offsets = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float) * 3.0
    summaries = masses[:, None] * SLOPE + np.tile(offsets, (MASSES.size, 1))
    lik = SyntheticLikelihood(masses, summaries)
    np.testing.assert_allclose(lik.mean([1.4e11]), [1.4e11 * SLOPE], rtol=1e-12)
    post = lik.posterior(1.4e11 * SLOPE, n_grid=2001)
    assert post.grid[np.argmax(post.density)] == pytest.approx(1.4e11, rel=2e-3)
    assert post.cdf()[0] == 0.0 and post.cdf()[-1] == pytest.approx(1.0)
    assert post.quantile(0.5) == pytest.approx(post.median)


def test_posterior_arithmetic_on_a_known_density():
    grid = np.linspace(0.0, 1.0, 2001)
    flat = MassPosterior(grid, np.ones_like(grid))
    assert flat.median == pytest.approx(0.5)
    assert flat.interval(50, "central") == pytest.approx((0.25, 0.75))
    falling = MassPosterior(grid, 2.0 * (1.0 - grid))  # peaks at the edge of the prior
    lo, hi = falling.interval(75)
    assert lo == 0.0 and hi == pytest.approx(0.5, abs=1e-3)  # 1 - (1 - x)^2 = 0.75
    assert falling.contains(0.0, 68) and not falling.interval(68, "central")[0] == 0.0
    with pytest.raises(ValueError, match="kind must be"):
        flat.interval(68, "widest")


def test_refusals_name_what_is_wrong():
    rng = np.random.default_rng(2)
    masses, summaries = _suite(rng, n_per_mass=6)
    with pytest.raises(ValueError, match="at least two distinct masses"):
        SyntheticLikelihood(np.zeros(6), summaries[:6])
    with pytest.raises(ValueError, match=r"mass 0 Msun has 4 realisations; the predictive of 3 summaries needs at least 5"):
        SyntheticLikelihood(masses[2:], summaries[2:])
    with pytest.raises(ValueError, match="one row per mass"):
        SyntheticLikelihood(masses[:-1], summaries)
    lik = SyntheticLikelihood(masses, summaries)
    with pytest.raises(ValueError, match="does not extrapolate"):
        lik.log_likelihood(np.zeros(3), [3e11])
    with pytest.raises(ValueError, match="summary must have 3 values"):
        lik.posterior(np.zeros(2))
