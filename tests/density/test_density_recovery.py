"""Recovery of a known truth (conventions §10): one draw's consistency, per-mock fits, coverage tables."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from astropy.table import Table
from scipy import stats

from halo_utils import density as dens
from halo_utils.cuts import satellite_mask
from halo_utils.mock import GSE_TRUTH, generate_survey
from halo_utils.plotting import plot_coverage
from halo_utils.samples import true_component_positions


def test_mock_survey_generator_agrees_with_the_density_likelihood():
    """The mock survey (`mock.generate_survey`: line-of-sight sampling, targeting, S/N and
    fit quality drawn star by star) and the density likelihood (`SelectionGrid.from_tiles`) are two
    code paths for the same selection. On the true positions of one mock's GSE giants the
    likelihood ratio of the true shape is chi^2 with 9 degrees of freedom if they agree; a
    mismatch of selection or density convention makes it grow with the ~10,000 stars."""
    tiles, catalog, truth = generate_survey(7)
    pos = true_component_positions(catalog, truth, "gse")
    assert pos.shape[1] > 9000  # the default GSE config gives ~10,000 (Poisson sd ~100): the cuts kept them
    survey = dens.SelectionGrid.from_tiles(tiles, exclude=satellite_mask(tiles["RA"], tiles["DEC"], 1.0))
    check = dens.truth_consistency(dens.Stars(pos), survey, GSE_TRUTH)
    assert check["dof"] == 9
    assert check["p_value"] > 1e-3, check["full_lr"]
    with pytest.raises(ValueError, match="truth table lacks column 'component'"):
        true_component_positions(catalog, truth[["star_id", "x", "y", "z"]], "gse")


def _power_law_sample(rng, n_mean, full_sky_nodes):
    """A spherical r^-3 halo seen through a uniform 6-60 kpc selection: N ~ Poisson(n_mean).

    With alpha = 3, dN/d ln r is flat, and Lambda = 1.5e-3 M ln(10) / ln(100) = 7.5e-4 M.
    """
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=200, nside=4))
    truth = {"alpha1": 3.0, "log10_mass": float(np.log10(n_mean / 7.5e-4))}
    n = rng.poisson(n_mean)
    r = 6.0 * 10.0 ** rng.uniform(size=n)
    vec = rng.standard_normal((3, n))
    return dens.Stars(r * vec / np.linalg.norm(vec, axis=0)), survey, truth


def test_recovery_fit_is_one_fit_from_the_truth(rng, full_sky_nodes):
    """`recovery_fit` is `fit_mle` from the truth with its Laplace errors and profile ratios at
    the truth; for this nearly Gaussian likelihood each ratio is close to the squared pull."""
    stars, survey, truth = _power_law_sample(rng, 2000, full_sky_nodes)
    row = dens.recovery_fit(stars, survey, truth, "spherical_no_break", rng=np.random.default_rng(8))
    fit = dens.fit_mle(stars, survey, "spherical_no_break", n_starts=0, rng=np.random.default_rng(8), start=truth)
    sig = dens.laplace_errors(fit, stars, survey)["sigma"]
    assert list(row) == ["n_stars", "alpha1_fit", "log10_mass_fit", "alpha1_sigma", "log10_mass_sigma",
                         "alpha1_plr", "log10_mass_plr"]
    assert row["n_stars"] == len(stars)
    for k in ("alpha1", "log10_mass"):
        assert row[f"{k}_fit"] == fit["params"][k] and row[f"{k}_sigma"] == sig[k]
        pull2 = ((fit["params"][k] - truth[k]) / sig[k]) ** 2
        assert row[f"{k}_plr"] == pytest.approx(pull2, rel=0.15, abs=0.02), k


def _synthetic_fits(rng, n_mocks, truth, sigma, n_failed=0):
    """Gaussian estimates with known sigma; the profile ratio of a Gaussian likelihood is the squared pull."""
    cols = {}
    for k, v in truth.items():
        est = v + sigma[k] * rng.standard_normal(n_mocks)
        cols[f"{k}_fit"], cols[f"{k}_sigma"] = est, np.full(n_mocks, sigma[k])
        cols[f"{k}_plr"] = ((est - v) / sigma[k]) ** 2
    first = next(iter(truth))
    cols[f"{first}_sigma"][:n_failed] = np.nan  # failed Laplace errors
    return Table(cols)


def test_coverage_table_of_calibrated_intervals(rng):
    truth, sigma = {"alpha1": 3.0, "q": 0.7}, {"alpha1": 0.1, "q": 0.02}
    n_mocks, n_failed = 2000, 37
    fits = _synthetic_fits(rng, n_mocks, truth, sigma, n_failed)
    ok = dens.laplace_ok(fits, truth)
    assert ok.sum() == n_mocks - n_failed and not ok[:n_failed].any()
    table = dens.coverage_table(fits, truth, list(truth))
    assert list(table["parameter"]) == ["alpha1", "q"]
    n = n_mocks - n_failed
    for row in table:
        assert row["n_mocks"] == n
        assert row["binomial_sigma_68"] == np.sqrt(0.68 * 0.32 / n)
        # a Gaussian +-1 sigma interval holds 68.27 %, +-1.96 sigma 95 %: binomial scatter only
        assert abs(row["coverage_68"] - 0.6827) < 4 * np.sqrt(0.6827 * 0.3173 / n)
        assert abs(row["coverage_95"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / n)
        assert row["within_3sigma"] == (abs(row["coverage_68"] - 0.68) <= 3 * row["binomial_sigma_68"])
        # pulls are standard normal: mean within 4 / sqrt(n), spread within 4 / sqrt(2 n)
        assert abs(row["mean_pull"]) < 4 / np.sqrt(n)
        assert abs(row["std_pull"] - 1.0) < 4 / np.sqrt(2 * n)
        # for a Gaussian likelihood |pull| <= 1 exactly when 2 Delta ln L <= 1: the profile
        # interval of the same mocks is the Laplace interval
        # (Laplace: the mocks with finite errors; profile: every mock)
        k = row["parameter"]
        pull = (np.asarray(fits[f"{k}_fit"]) - truth[k]) / sigma[k]
        assert row["coverage_68"] == np.mean(np.abs(pull[ok]) <= 1.0)
        assert row["profile_coverage_68"] == np.mean(np.abs(pull) <= 1.0)
        assert abs(row["profile_coverage_95"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / n_mocks)


def test_coverage_table_detects_underestimated_errors(rng):
    """Errors quoted 30 % too small: the 68 % Laplace coverage drops to P(|z| < 0.7) = 0.516,
    far outside 3 binomial sigmas, and the pulls spread by 1 / 0.7."""
    truth, sigma = {"alpha1": 3.0}, {"alpha1": 0.1}
    fits = _synthetic_fits(rng, 1000, truth, sigma)
    fits["alpha1_sigma"] *= 0.7
    row = dens.coverage_table(fits, truth, ["alpha1"])[0]
    expected = stats.norm.cdf(0.7) - stats.norm.cdf(-0.7)
    assert abs(row["coverage_68"] - expected) < 4 * np.sqrt(expected * (1 - expected) / 1000)
    assert not row["within_3sigma"]
    assert abs(row["std_pull"] - 1 / 0.7) < 4 / 0.7 / np.sqrt(2000)


def test_coverage_table_without_any_laplace_errors(rng):
    """Every mock off a clean maximum (NaN sigmas, e.g. the ci profile's single mock): the Laplace
    columns are NaN and not 'within', the profile columns still count every mock; the coverage
    plot draws what there is."""
    truth, sigma = {"alpha1": 3.0}, {"alpha1": 0.1}
    fits = _synthetic_fits(rng, 3, truth, sigma)
    fits["alpha1_sigma"][:] = np.nan
    table = dens.coverage_table(fits, truth, ["alpha1"])
    row = table[0]
    assert row["n_mocks"] == 0 and np.isnan(row["coverage_68"]) and np.isnan(row["mean_pull"])
    assert not row["within_3sigma"]
    assert row["profile_coverage_68"] == np.mean(np.asarray(fits["alpha1_plr"]) <= 1.0)
    ax = plot_coverage(table, 3)
    assert len(ax.get_legend().get_texts()) == 2  # the profile intervals only
    plt.close(ax.figure)
