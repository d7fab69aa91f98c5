"""The suite's inference (compression, emulated likelihood, posterior) and its calibration,
on a toy simulator whose statistics depend on the parameters non-linearly, with a scatter
that changes across the prior, heavy-tailed noise and missing cells: not the emulator's own
Gaussian-with-quadratic-mean model, so that calibration is a test and not a tautology."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from halo_utils import lmc
from halo_utils.lmc.calibration import held_out_calibration, predictive_check, rank_uniformity
from halo_utils.lmc.compression import LinearCompression
from halo_utils.lmc.emulator import GaussianEmulator, SuiteInference, quadratic_features

PRIOR = lmc.SuitePrior()
N_STATS = 40


def toy_simulations(n, seed):
    """Parameters from the prior; 40 statistics, each a random mix of non-linear functions of
    the parameters plus Student-t (5 dof) noise whose size grows with the LMC's mass; 5 % of
    cells missing at random and one statistic missing in 60 % of the simulations. v_travel
    depends on the parameters and on a latent draw (the particles of one simulation) that
    also moves the first ten statistics, so that the data know more of it than the
    parameters do."""
    rng = np.random.default_rng(seed)
    theta = np.array([list(PRIOR.draw(rng).values()) for _ in range(n)])
    u = (theta - PRIOR.bounds[:, 0]) / np.ptp(PRIOR.bounds, axis=1)
    features = np.column_stack([u[:, 0] + 0.5 * u[:, 0] ** 2, np.sqrt(u[:, 1] + 0.1), np.sin(2 * u[:, 2]),
                                u[:, 3] * u[:, 0], np.exp(-u[:, 1]) * u[:, 2]])
    mix = np.random.default_rng(99).normal(size=(features.shape[1], N_STATS))  # the same for every call
    noise = rng.standard_t(5, size=(n, N_STATS)) * (0.15 + 0.1 * u[:, :1])
    latent = rng.normal(size=n)
    stats = features @ mix + noise
    stats[:, :10] += 0.3 * latent[:, None]
    stats[rng.uniform(size=stats.shape) < 0.05] = np.nan
    stats[rng.uniform(size=n) < 0.6, 7] = np.nan
    v_travel = 20 + 30 * u[:, 0] + 5 * u[:, 1] + 4.0 * latent + rng.normal(0, 1.0, n)
    return theta, stats, v_travel


@pytest.fixture(scope="module")
def trained():
    theta, stats, v_travel = toy_simulations(400, 1)
    return SuiteInference(theta, stats, v_travel, PRIOR)


def test_the_emulator_recovers_a_quadratic_mean_and_its_covariance():
    """Data drawn from a quadratic mean and a known covariance: the coefficients' predictions
    and the covariance within their sampling errors (4000 draws: ~2 % on the covariance)."""
    rng = np.random.default_rng(3)
    u = rng.uniform(size=(4000, 4))
    coef = rng.normal(size=(quadratic_features(u).shape[1], 2))
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    y = quadratic_features(u) @ coef + rng.multivariate_normal([0, 0], cov, size=4000)
    emulator = GaussianEmulator(u, y)
    assert np.allclose(emulator.covariance, cov, atol=4 * 0.09 * np.sqrt(2 / 4000))
    grid = rng.uniform(size=(50, 4))
    assert np.max(np.abs(emulator.mean(grid) - quadratic_features(grid) @ coef)) < 0.05


def test_the_heteroscedastic_emulator_follows_a_scatter_that_changes_across_the_prior():
    """sigma(u) = 0.05 exp(1.5 u_0): the fitted scale at u_0 = 0 and 1 within 10 % of the truth
    (4000 draws), while the homoscedastic fit gives both the same."""
    rng = np.random.default_rng(4)
    u = rng.uniform(size=(4000, 4))
    sigma = 0.05 * np.exp(1.5 * u[:, 0])
    y = (u[:, 1] + u[:, 0] ** 2 + sigma * rng.normal(size=4000))[:, None]
    ends = np.array([[0.0, 0.5, 0.5, 0.5], [1.0, 0.5, 0.5, 0.5]])
    fitted = GaussianEmulator(u, y, heteroscedastic=True)
    width = fitted._scale(ends)[:, 0] * np.sqrt(fitted.covariance[0, 0])
    assert np.allclose(width, [0.05, 0.05 * np.exp(1.5)], rtol=0.1), width
    flat = GaussianEmulator(u, y)
    assert np.allclose(flat._scale(ends), 1.0)
    # the likelihood is normalised: it integrates to one over y
    grid = np.linspace(-2, 4, 20001)
    density = np.exp([fitted.log_likelihood([g], ends[1:])[0] for g in grid])
    assert abs(np.trapezoid(density, grid) - 1) < 1e-6


def test_the_compression_predicts_the_parameters_and_ignores_mostly_missing_statistics(trained):
    theta, stats, _ = toy_simulations(200, 2)
    assert 7 not in trained.compression.kept and len(trained.compression.kept) == N_STATS - 1
    predicted = trained.compression.transform(stats)
    u = trained.to_unit(theta)
    # the LMC's mass drives most statistics: its estimate correlates strongly with the truth
    assert np.corrcoef(predicted[:, 0], u[:, 0])[0, 1] > 0.9
    with pytest.raises(ValueError, match="at least 10"):
        LinearCompression(stats[:5], u[:5])


def test_held_out_posteriors_are_calibrated(trained):
    """60 held-out toy simulations: the central 68 % and 95 % intervals of every parameter and
    of the masses within 50 kpc hold the truth at the nominal rate within 3 binomial sigma,
    and the rank histograms are flat (chi-square p > 0.001, 5 bins)."""
    theta, stats, v_travel = toy_simulations(60, 3)
    truths = dict(zip(lmc.PRIOR_PARAMETERS, theta.T))
    truths["lmc_mass_50"], truths["mw_mass_50"] = lmc.derived_masses(theta[:, 0], theta[:, 1])
    truths["v_travel_100"] = v_travel
    table = held_out_calibration(trained, stats, truths, seed=10)
    assert len(table) == 60 and np.mean(table["converged"]) > 0.9
    for name in truths:
        for level in (68, 95):
            p = level / 100
            frac = np.mean(table[f"in{level}_{name}"])
            assert abs(frac - p) < 3 * np.sqrt(p * (1 - p) / 60), (name, level, frac)
        assert rank_uniformity(table[f"rank_{name}"], n_bins=5)["p_value"] > 1e-3, name
    # and informative: the LMC's mass is pinned far better than the prior's width, and v_travel
    # better than the parameters alone would (its latent part, sd 4 km/s, is read from the data)
    posteriors = [trained.posterior(stats[i], seed=i) for i in range(5)]
    widths = [np.ptp(post.interval("lmc_mass", 68)) for post in posteriors]
    assert np.median(widths) < 0.3 * np.ptp(PRIOR.lmc_mass)
    travel_widths = [np.ptp(post.interval("v_travel_100", 68)) for post in posteriors]
    assert np.median(travel_widths) < 2 * np.sqrt(4.0**2 + 1.0**2)


def test_conditional_draws_follow_the_gaussian_conditional():
    """Two outputs with correlation 0.8: given the first, draws of the second have mean
    m_2 + rho s_2 / s_1 (y_1 - m_1) and sd s_2 sqrt(1 - rho^2), within 4 standard errors
    (20,000 draws); a heteroscedastic emulator scales both by its S(u)."""
    rng = np.random.default_rng(6)
    u = rng.uniform(size=(20000, 4))
    cov = np.array([[0.04, 0.8 * 0.2 * 0.5], [0.8 * 0.2 * 0.5, 0.25]])
    y = np.column_stack([u[:, 0], 2 * u[:, 1]]) + rng.multivariate_normal([0, 0], cov, size=len(u))
    emulator = GaussianEmulator(u, y)
    at = np.full((20000, 4), 0.5)
    draws = emulator.draw_conditional(at, [0.5 + 0.1], rng)[:, 0]
    mean, sd = 1.0 + 0.8 * 0.5 / 0.2 * 0.1, 0.5 * np.sqrt(1 - 0.8**2)
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(len(draws)) + 0.01  # + the fitted mean's error
    assert abs(draws.std() - sd) < 4 * sd / np.sqrt(2 * len(draws)) + 0.01 * sd
    with pytest.raises(ValueError, match="known must hold 1 to 1"):
        emulator.draw_conditional(at, [0.1, 0.2], rng)
    # the marginal likelihood of the first output is the one-dimensional Gaussian
    expected = -0.5 * (0.1**2 / emulator.covariance[0, 0] + np.log(2 * np.pi * emulator.covariance[0, 0]))
    assert abs(emulator.log_likelihood([emulator.mean(at[:1])[0, 0] + 0.1], at[:1])[0] - expected) < 1e-9


def test_posterior_is_reproducible_and_rejects_foreign_suites(trained):
    _, stats, _ = toy_simulations(2, 4)
    a, b = trained.posterior(stats[0], seed=5), trained.posterior(stats[0], seed=5)
    assert all(np.array_equal(a.samples[k], b.samples[k]) for k in a.samples)
    theta, stats, v = toy_simulations(30, 5)
    with pytest.raises(ValueError, match="outside the prior"):
        SuiteInference(theta, stats, v, lmc.SuitePrior(beta_0=(0.0, 0.1)))


def test_rank_uniformity_sees_overconfidence():
    """Ranks of posteriors half as wide as they should be pile up at the ends."""
    rng = np.random.default_rng(8)
    truth = rng.normal(size=500)
    ranks = [np.mean(rng.normal(0, 0.5, 400) + 0 < t) for t in truth]
    assert rank_uniformity(ranks)["p_value"] < 1e-6
    assert rank_uniformity(rng.uniform(size=500))["p_value"] > 1e-3


def test_the_predictive_check_passes_exchangeable_data_and_flags_a_shift():
    """2,000 statistics, each observed once and simulated 20 times from the same distribution
    (statistic-dependent means and spreads): the fraction beyond all 20 is 2/21 within 3
    binomial sigma and the ranks are flat; shifted by 3 sd, most are beyond and z ~ 3.
    Statistics missing in the data or in more than 15 of the 20 simulations are not compared,
    and listed."""
    rng = np.random.default_rng(12)
    m, k = 2000, 20
    centre, spread = rng.normal(0, 50, m), rng.uniform(1, 10, m)
    predictive = centre + spread * rng.standard_normal((k, m))
    observed = centre + spread * rng.standard_normal(m)
    predictive[:16, 3] = np.nan
    observed[5] = np.nan
    check = predictive_check(observed, predictive, [f"s{j}" for j in range(m)])
    assert len(check) == m - 2 and check.meta["dropped"] == ["s3", "s5"] and check.meta["n_simulations"] == k
    # the rms z of a Student t with k - 1 dof scaled by sqrt(1 + 1/k), within ~3 standard errors (1.7 %)
    assert abs(np.sqrt(np.mean(check["z"] ** 2)) / check.meta["expected_z_rms"] - 1) < 0.05
    expected = 2 / (k + 1)
    assert abs(np.mean(check["outside"]) - expected) < 3 * np.sqrt(expected * (1 - expected) / len(check))
    assert rank_uniformity(check["rank"])["p_value"] > 1e-3
    shifted = predictive_check(observed + 3 * spread, predictive)
    assert np.mean(shifted["outside"]) > 0.5 and abs(np.median(shifted["z"]) - 3) < 0.3
    with pytest.raises(ValueError, match="at least 5"):
        predictive_check(observed, predictive[:4])
    with pytest.raises(ValueError, match="names"):
        predictive_check(observed, predictive, ["a"])


def test_heteroscedastic_marginals_and_conditionals_use_the_right_scales():
    """Three outputs whose scatter grows differently with u_0: the marginal likelihood of the
    first two is scipy's bivariate normal with covariance S_1 C_11 S_1 at that u, and draws of
    the third given the first two follow m_3 + S_3 C_31 C_11^-1 S_1^-1 (y_1 - m_1) with sd
    S_3 sqrt(C_33 - C_31 C_11^-1 C_13), within 4 standard errors (20,000 draws)."""
    rng = np.random.default_rng(7)
    u = rng.uniform(size=(20000, 4))
    corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, -0.3], [0.6, -0.3, 1.0]])
    sigma = np.column_stack([0.1 * np.exp(u[:, 0]), 0.2 * np.exp(-u[:, 0]), 0.3 * np.exp(0.8 * u[:, 0])])
    noise = rng.multivariate_normal(np.zeros(3), corr, size=len(u)) * sigma
    emulator = GaussianEmulator(u, np.column_stack([u[:, 0], u[:, 1], u[:, 2]]) + noise, heteroscedastic=True)
    at = np.array([[0.9, 0.3, 0.6, 0.5]])
    scale = emulator._scale(at)[0]
    cov = emulator.covariance * np.outer(scale, scale)
    y = emulator.mean(at)[0, :2] + np.array([0.05, -0.1])
    expected = scipy_stats.multivariate_normal(emulator.mean(at)[0, :2], cov[:2, :2]).logpdf(y)
    assert abs(emulator.log_likelihood(y, at)[0] - expected) < 1e-9
    # the fitted scales follow the truth (10 %), so the check below is of the formula, at true values
    assert np.allclose(scale * np.sqrt(np.diag(emulator.covariance)), [0.1 * np.exp(0.9), 0.2 * np.exp(-0.9),
                                                                      0.3 * np.exp(0.72)], rtol=0.1)
    gain = np.linalg.solve(cov[:2, :2], cov[:2, 2])
    mean = emulator.mean(at)[0, 2] + gain @ (y - emulator.mean(at)[0, :2])
    sd = np.sqrt(cov[2, 2] - cov[2, :2] @ gain)
    draws = emulator.draw_conditional(np.repeat(at, 20000, axis=0), y, rng)[:, 0]
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(draws.size)
    assert abs(draws.std() / sd - 1) < 4 / np.sqrt(2 * draws.size)
    with pytest.raises(ValueError, match="known"):
        emulator.draw_conditional(at, y[None, :], rng)
    with pytest.raises(ValueError, match="y"):
        emulator.log_likelihood(y[None, :], at)


def test_a_fold_count_may_replace_leave_one_out():
    """Five folds instead of leave-one-out: a working inference, whose out-of-fold residuals
    (compressions fitted on 80 % of the simulations) make the likelihood's covariance larger."""
    theta, stats, v_travel = toy_simulations(150, 21)
    five = SuiteInference(theta, stats, v_travel, PRIOR, n_folds=5)
    loo = SuiteInference(theta, stats, v_travel, PRIOR)
    assert np.trace(five.emulator.covariance) > np.trace(loo.emulator.covariance)
    with pytest.raises(ValueError, match="n_folds"):
        SuiteInference(theta, stats, v_travel, PRIOR, n_folds=1)
