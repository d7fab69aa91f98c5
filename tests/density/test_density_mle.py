"""Maximum likelihood and Laplace errors (conventions §9)."""

import numpy as np
import pytest
from scipy import stats

from halo_utils import density as dens
from halo_utils.mock import forward_mock


@pytest.mark.slow
def test_likelihood_maximised_at_truth_on_large_mock(survey_small, rng, gse_truth):
    params = {**gse_truth, "log10_mass": 9.8}
    mock = forward_mock(params, survey_small, rng)
    stars = dens.Stars.from_table(mock)
    fit = dens.fit_mle(stars, survey_small, n_starts=0, rng=rng, start=gse_truth)
    sig = dens.laplace_errors(fit, stars, survey_small)["sigma"]
    pulls = {k: (fit["params"][k] - params[k]) / sig[k] for k in sig}
    assert all(abs(p) < 4.5 for p in pulls.values()), pulls
    # and the truth is not beaten by more than chi^2_10 allows (99.9 %)
    assert 2 * (fit["log_likelihood"] - dens.log_likelihood(params, stars, survey_small)) < stats.chi2.ppf(0.999, 10)


def _einasto_stars(rng, n, alpha, r_s, r_lo=6.0, r_hi=60.0):
    """Radii drawn from r^2 f(r) of a spherical Einasto profile (inverse CDF on a fine grid), isotropic."""
    prof = dens.Einasto()
    r = np.geomspace(r_lo, r_hi, 20001)
    cdf = np.array([prof.shell_integral({"alpha_ein": alpha, "r_s": r_s}, r_lo, x) for x in r])
    radius = np.interp(rng.uniform(0, cdf[-1], n), cdf, r)
    vec = rng.standard_normal((3, n))
    return radius * vec / np.linalg.norm(vec, axis=0)


def test_einasto_fit_recovers_its_truth(rng, full_sky_nodes):
    """The whole chain (priors, optimiser coordinates, starts, profiled amplitude, Laplace
    errors) works for a profile outside the broken power-law family: the MLE of a spherical
    Einasto sample lies within 4 Laplace sigma of the truth."""
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=200, nside=4))
    truth = {"alpha_ein": 0.4, "r_s": 18.0}
    stars = dens.Stars(_einasto_stars(rng, 3000, **{"alpha": 0.4, "r_s": 18.0}))
    fit = dens.fit_mle(stars, survey, "spherical_einasto", n_starts=2, rng=rng)
    sig = dens.laplace_errors(fit, stars, survey)["sigma"]
    for k, v in truth.items():
        assert abs(fit["params"][k] - v) < 4 * sig[k], (k, fit["params"][k], sig[k])
    # the amplitude is profiled: the model expects exactly the observed number of stars
    assert survey.expected_number(fit["params"], "spherical_einasto") == pytest.approx(len(stars), rel=1e-6)


def test_fit_mle_start_checked_against_the_models_own_prior(rng, full_sky_nodes):
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=40, nside=2))
    stars = dens.Stars(rng.normal(0, 15, (3, 100)) + np.array([[20.0], [0], [0]]))
    with pytest.raises(ValueError, match=r"r_s = 500.0 outside \[1, 100\]"):
        dens.fit_mle(stars, survey, "spherical_einasto", rng=rng, start={"r_s": 500.0})
