"""Density models composed of a geometry and a profile (conventions §7, §9): names, priors, masses."""

import pickle

import numpy as np
import pytest

from halo_utils import density as dens


def test_models_fix_what_they_do_not_fit(gse_truth):
    m = dens.get_model("oblate_single_break")
    assert m.free == ("alpha1", "alpha2", "r1", "q", "log10_mass")
    full = m.complete({**gse_truth, "p": 0.3, "pitch": 40.0})  # ignored
    assert full["p"] == 1.0 and full["pitch"] == 0.0 and full["yaw"] == 0.0
    assert dens.get_model("triaxial_double_break").ndim == 10
    assert dens.get_model("triaxial_aligned_double_break").free == (
        "alpha1", "alpha2", "alpha3", "r1", "r2", "p", "q", "log10_mass")
    with pytest.raises(ValueError, match="unknown density model 'banana'"):
        dens.get_model("banana")
    with pytest.raises(ValueError, match=r"needs parameter\(s\) \['r2'\]"):
        dens.get_model("triaxial_double_break").complete({k: v for k, v in gse_truth.items() if k != "r2"})


def test_registry_composes_geometry_and_profile():
    """Every registered name is its geometry times its profile, with the free parameters in
    `PARAM_NAMES` order; the twelve chapter models are the broken power laws."""
    assert len(dens.MODEL_NAMES) == 12 and dens.MODEL_NAMES[0] == "spherical_no_break"
    assert dens.MODEL_NAMES[-1] == "triaxial_double_break"
    for name in dens.MODEL_NAMES:
        m = dens.get_model(name)
        assert m.name == name == f"{m.geometry.name}_{m.profile.name}"
        assert m.free == tuple(n for n in dens.PARAM_NAMES if n in m.free)
        assert m.names == dens.PARAM_NAMES
        assert m.bounds == dens.PRIOR_BOUNDS
        assert set(m.free) | set(m.fixed) == set(dens.PARAM_NAMES)
    m = dens.DensityModel(dens.Triaxial(), dens.BrokenPowerLaw(2))
    assert m.name == "triaxial_double_break" and m.free == dens.get_model(m.name).free
    assert dens.get_model(m) is m


def test_einasto_is_a_new_profile_not_a_new_branch():
    m = dens.get_model("triaxial_einasto")
    assert m.free == ("alpha_ein", "r_s", "p", "q", "pitch", "yaw", "log10_mass")
    assert "triaxial_einasto" not in dens.MODEL_NAMES
    with pytest.raises(ValueError, match=r"unknown density parameter\(s\) \['alpha1'\]"):
        m.complete({"alpha1": 2.0, "alpha_ein": 0.3, "r_s": 20.0, "p": 0.9, "q": 0.8, "pitch": 0.0, "yaw": 0.0,
                    "log10_mass": 9.0})
    params = {"alpha_ein": 0.3, "r_s": 20.0, "p": 0.9, "q": 0.8, "pitch": 10.0, "yaw": 0.0, "log10_mass": 9.0}
    assert dens.log_prior(params, m) == 0.0
    with pytest.raises(ValueError, match=r"alpha_ein = 4 outside its prior range \[0.05, 3\]"):
        dens.check_params({**params, "alpha_ein": 4.0}, m)
    assert dens.stellar_mass(params, m) == pytest.approx(1e9, rel=1e-12)


@pytest.mark.parametrize("bad, message", [
    ({"q": 0.9, "p": 0.8}, "q = 0.9 > p = 0.8"),
    ({"r1": 30.0, "r2": 20.0}, "r2 = 20 <= r1 = 30"),
    ({"r1": -5.0}, "r1 = -5 outside its prior range"),
    ({"alpha2": np.nan}, "alpha2 = nan is not finite"),
    ({"pitch": 120.0}, "pitch = 120 outside"),
])
def test_bad_parameters_rejected(bad, message, gse_truth, full_sky_nodes):
    params = {**gse_truth, **bad}
    assert dens.log_prior(params) == -np.inf
    with pytest.raises(ValueError, match=message):
        dens.check_params(params)
    stars = dens.Stars(np.array([[10.0], [5.0], [8.0]]))
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=50, nside=2))
    with pytest.raises(ValueError, match=message):
        dens.log_likelihood(params, stars, survey)
    m = dens.get_model("triaxial_double_break")
    assert dens.log_probability(m.vector(params), stars, survey, m) == -np.inf


def test_stellar_mass(gse_truth):
    assert dens.stellar_mass(gse_truth) == pytest.approx(1e9)
    inner = dens.stellar_mass(gse_truth, r_min=1.0, r_max=6.0)
    alphas, breaks = (1.7, 3.1, 4.6), (12.0, 28.0)
    assert inner / 1e9 == pytest.approx(dens.shell_integral(alphas, breaks, 1, 6) / dens.shell_integral(alphas, breaks, 1, 100))


def test_models_pickle_by_value():
    """Models (and the posteriors that hold them) travel to worker processes."""
    for name in ("triaxial_double_break", "spherical_einasto"):
        m = dens.get_model(name)
        back = pickle.loads(pickle.dumps(m))
        assert back.name == m.name and back.free == m.free and back.fixed == m.fixed
