"""The fit result: circular percentiles and the S004 numbers of the truth vector."""

import numpy as np
import pytest

from halo_utils import mock, reflex as rf
from halo_utils.frames import wrap_longitude

TRUTH = mock.reflex_truth_vector()
LINEAR = rf.ReflexModel("linear", outliers=None)
CONSTANT = rf.ReflexModel("constant", outliers=None)


def test_circular_percentiles_wrap_longitude():
    samples = np.tile(TRUTH[:9], (1000, 1))
    samples[:, 1] = wrap_longitude(180.0 + np.random.default_rng(4).normal(0, 5, 1000))
    fit = rf.ReflexFit(CONSTANT, samples, samples[0], 0.0, "test", 0, {})
    p50, p16, p84 = fit.at(100.0)["L_MS"]
    assert abs(abs(p50) - 180) < 1 and 8 < (p84 - p16) < 12


def test_truth_vector_reproduces_the_s004_numbers():
    truth = rf.ReflexFit(LINEAR, TRUTH[None], TRUTH, 0.0, "truth", 0, {})
    for r in (40.0, 100.0, 120.0):
        at = truth.at(r)
        assert at["l_apex"][0] == pytest.approx(-80.0, abs=1e-6)
        assert at["b_apex"][0] == pytest.approx(-59.0, abs=1e-6)
    at100 = truth.at(100.0)
    assert at100["v_travel"][0] == pytest.approx(6 + 41 * 60 / 80)
    assert at100["sigma_los"][0] == pytest.approx(106 * (69 / 106) ** 0.75)
    # S004 table 2: v_travel = (3, -17, -31) km/s for 37 km/s towards (-80, -59)
    l, b = np.deg2rad([-80.0, -59.0])
    expected = at100["v_travel"][0] * np.array([np.cos(b) * np.cos(l), np.cos(b) * np.sin(l), np.sin(b)])
    assert np.allclose([at100[f"v_travel_{a}"][0] for a in "xyz"], expected, atol=1e-9)
    assert np.allclose(expected, [3.3, -18.6, -31.5], atol=0.1)
    table = truth.table((40.0, 100.0), truth=truth)
    assert len(table) == 2 * len(rf.AT_NAMES) and np.all(table["in_95"])


def _gaussian_fit(n=4000, seed=1):
    """A constant-model 'posterior' of Gaussian draws around v_travel 30 km/s, apex (L_MS, B_MS) = (-70, -40)."""
    model = rf.ReflexModel("constant", outliers=None)
    rng = np.random.default_rng(seed)
    centre = np.array([30.0, -70.0, -40.0, 0.0, 0.0, 0.0, np.log(90.0), np.log(80.0), np.log(80.0)])
    spread = np.array([3.0, 5.0, 5.0, 2.0, 2.0, 2.0, 0.01, 0.01, 0.01])
    samples = centre + spread * rng.standard_normal((n, model.ndim))
    return rf.ReflexFit(model, samples, centre, 0.0, "test", 100, {})


def test_apex_credible_level_ranks_directions_by_angle():
    fit = _gaussian_fit()
    d = fit.draws_at(100.0)
    l0, b0 = rf.ms_to_galactic(-70.0, -40.0)
    assert fit.apex_credible_level(100.0, l0, b0) < 2.0  # the centre itself
    assert fit.apex_credible_level(100.0, l0 + 180.0, -b0) == 100.0  # the opposite direction
    # the posterior's own draws sit at uniformly distributed levels
    levels = [fit.apex_credible_level(100.0, d["l_apex"][i], d["b_apex"][i]) for i in range(200)]
    assert abs(np.mean(np.array(levels) < 68.0) - 0.68) < 3 * np.sqrt(0.68 * 0.32 / 200)


def test_travel_vector_distance_is_the_mahalanobis_distance():
    """Over the posterior's own draws, the squared distance follows chi^2 with 3 degrees of
    freedom: its median is 2.366 (within the sampling error of 300 draws)."""
    fit = _gaussian_fit()
    d = fit.draws_at(100.0)
    dist = np.array([fit.travel_vector_distance(100.0, [d["v_travel_x"][i], d["v_travel_y"][i], d["v_travel_z"][i]])
                     for i in range(300)])
    assert np.median(dist**2) == pytest.approx(2.366, rel=0.15)


def test_check_against_a_reference_vector_and_one_without_travel():
    """S004 appendix C's comparison with a simulation; with no LMC the simulated travel is
    zero and its apex undefined (NaN): no apex entries, no crash (chapter 6 with mock_lmc_mass 0)."""
    fit = _gaussian_fit()
    centre = {q: v[0] for q, v in fit.at(100.0).items()}
    checks = fit.check_against(100.0, centre)
    assert checks["v_travel"] and checks["l_apex"] and checks["b_apex"] and checks["apex_in_cap"]
    assert checks["apex_cap_level"] < 10.0 and checks["travel_vector_mahalanobis"] < 0.5
    far = dict(centre, v_travel=centre["v_travel"] + 30.0)  # 10 sigma off
    assert not fit.check_against(100.0, far)["v_travel"]
    none = {"v_travel": 0.0, "l_apex": np.nan, "b_apex": np.nan, "v_travel_x": 0.0, "v_travel_y": 0.0,
            "v_travel_z": 0.0}
    checks = fit.check_against(100.0, none)
    assert checks["l_apex"] is None and checks["b_apex"] is None and checks["apex_cap_level"] is None
    assert checks["apex_in_cap"] is None and checks["v_travel"] is False
    assert checks["travel_vector_mahalanobis"] == pytest.approx(fit.travel_vector_distance(100.0, [0.0, 0.0, 0.0]))
