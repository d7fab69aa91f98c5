"""The selection on nodes (conventions §8): normalisation of Lambda, and the kinematic completeness."""

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.cuts import satellite_mask


def test_uniform_selection_normalisation_is_analytic(full_sky_nodes):
    """Spherical power law over 1 < r < 100 with S = 1: Lambda = N_giants exactly."""
    pos, w = full_sky_nodes(1.0, 100.0)
    survey = dens.SelectionGrid.from_nodes(pos, w)
    params = {"alpha1": 3.2, "log10_mass": 9.0}
    expected = 1e9 * 1.5e-3
    assert survey.expected_number(params, "spherical_no_break") == pytest.approx(expected, rel=2e-4)


def test_tilted_triaxial_normalisation_over_all_space(gse_truth, full_sky_nodes):
    """With integrable slopes, Lambda over all space = N (1 < r_q < 100) * I(0, inf) / I(1, 100)."""
    params = {**gse_truth, "alpha1": 1.0, "alpha3": 4.5}
    pos, w = full_sky_nodes(1e-3, 1e5, n_r=1500, nside=32)
    survey = dens.SelectionGrid.from_nodes(pos, w)
    alphas, breaks = (1.0, 3.1, 4.5), (12.0, 28.0)
    ratio = dens.shell_integral(alphas, breaks, 1e-9, 1e9) / dens.shell_integral(alphas, breaks, 1.0, 100.0)
    expected = 1e9 * 1.5e-3 * ratio
    assert survey.expected_number(params) == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("model", ["spherical_einasto", "triaxial_einasto"])
def test_einasto_normalisation_over_all_space(model, full_sky_nodes):
    """A new profile normalises like the old ones: Lambda over all space is N (1 < r_q < 100)
    times the profile's shell integral over all radii / over 1-100 kpc."""
    params = {"alpha_ein": 0.5, "r_s": 15.0, "p": 0.8, "q": 0.6, "pitch": 20.0, "yaw": -30.0, "log10_mass": 9.0}
    m = dens.get_model(model)
    params = {k: v for k, v in params.items() if k in m.free}
    full = m.complete(params)
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(1e-3, 1e3, n_r=800, nside=16))
    ratio = m.profile.shell_integral(full, 1e-9, 1e9) / m.profile.shell_integral(full, 1.0, 100.0)
    assert survey.expected_number(params, m) == pytest.approx(1e9 * 1.5e-3 * ratio, rel=2e-3)


def test_kinematic_completeness_recovers_logistic(rng):
    true = dens.KinematicCompleteness([1.0, -0.3, -0.8, 0.2, -0.3, 0.1, 0.0])
    n = 40000
    pos = rng.normal(0, 15, (3, n))
    passed = rng.uniform(size=n) < true(pos)
    fit = dens.KinematicCompleteness.fit(pos, passed)
    np.testing.assert_allclose(fit.coef, true.coef, atol=0.15)
    with pytest.raises(ValueError, match="pass and fail"):
        dens.KinematicCompleteness.fit(pos, np.ones(n, bool))


def test_apply_completeness_multiplies_the_selection(survey_small):
    """A constant completeness c scales every weight, and so Lambda, by c."""
    params = {"alpha1": 3.0, "log10_mass": 8.0}
    scaled = dens.apply_completeness(survey_small, lambda pos: np.full(pos.shape[1], 0.25))
    np.testing.assert_allclose(scaled.weight, 0.25 * survey_small.weight, rtol=1e-14)
    assert scaled.expected_number(params, "spherical_no_break") == pytest.approx(
        0.25 * survey_small.expected_number(params, "spherical_no_break"), rel=1e-12)


def test_height_cut_of_the_selection(small_survey, survey_small, gse_truth):
    """A sample selected by height (z_min, S001 figure 10): Lambda equals the same sum over a
    fine distance grid with a hard |Z| > z_min and r-range indicator at each node, and is
    smaller than without the cut by the share of the model's rate near the plane."""
    tiles = small_survey[0]
    keep = ~satellite_mask(tiles["RA"], tiles["DEC"], 1.0)
    high = dens.SelectionGrid.from_tiles(tiles, exclude=~keep, distance=np.geomspace(1, 150, 200), z_min=5.0)
    assert high.z_min == 5.0
    fine_d = np.geomspace(1, 150, 1200)
    fine = dens.SelectionGrid.from_tiles(tiles, exclude=~keep, distance=fine_d)  # r range only
    z = fine.pos[2]
    ln_d = np.log(fine_d)
    dln = np.gradient(ln_d)
    dln[[0, -1]] *= 0.5
    r = np.sqrt(np.sum(fine.pos**2, axis=0))
    inside = (np.abs(z) > 5.0) & (r > fine.r_range[0]) & (r < fine.r_range[1])
    w = np.asarray(fine.tiles["solid_angle"], float)[:, None] * fine_d**3 * dln * fine.selection * inside
    reference = dens.SelectionGrid.from_nodes(fine.pos, w)
    assert high.expected_number(gse_truth) == pytest.approx(reference.expected_number(gse_truth), rel=3e-3)
    assert high.expected_number(gse_truth) < 0.9 * survey_small.expected_number(gse_truth)
    assert dens.apply_completeness(high, lambda pos: np.ones(pos.shape[1])).z_min == 5.0
    with pytest.raises(ValueError, match="z_min"):
        dens.SelectionGrid.from_tiles(tiles, z_min=-1.0)
