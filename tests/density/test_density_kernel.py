"""The compiled (JAX) density log-likelihood against numpy's (halo_utils.density.kernel)."""

import pickle

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.density.kernel import CompiledLogProbability, supports_kernel
from halo_utils.mock import forward_mock


@pytest.fixture(scope="module")
def h3_scale(survey_small, gse_truth):
    stars = dens.Stars.from_table(forward_mock({**gse_truth, "log10_mass": 9.3}, survey_small,
                                               np.random.default_rng(11)))
    return stars, survey_small


@pytest.mark.parametrize("model", [n for n in dens.MODEL_NAMES])
def test_kernel_equals_numpy_for_every_power_law_variant(model, h3_scale):
    """At 20 random points of each variant's prior (slopes, breaks on either side of the
    data, any tilt), the compiled ln posterior equals numpy's to 1e-12 relative: the same
    function, only fused. Outside the prior both are -inf."""
    stars, grid = h3_scale
    m = dens.get_model(model)
    lp = CompiledLogProbability(stars, grid, m)
    rng = np.random.default_rng(3)
    checked = 0
    while checked < 20:
        x = np.array([rng.uniform(*m.bounds[n]) for n in m.free])
        x[-1] = rng.uniform(8.0, 10.0)  # log10_mass: keep Lambda representable
        if m.problems(m.params(x)):
            assert lp(x) == -np.inf
            continue
        ref = dens.log_probability(x, stars, grid, m)
        assert lp(x) == pytest.approx(ref, rel=1e-12, abs=1e-9), (model, x)
        checked += 1
    outside = m.vector({**{n: np.mean(m.bounds[n]) for n in m.free}, "log10_mass": 13.0})
    assert lp(outside) == -np.inf and dens.log_probability(outside, stars, grid, m) == -np.inf


def test_kernel_pickles_without_its_device_arrays(h3_scale, gse_truth):
    stars, grid = h3_scale
    lp = CompiledLogProbability(stars, grid, "triaxial_double_break")
    x = dens.get_model("triaxial_double_break").vector({**gse_truth, "log10_mass": 9.3})
    value = lp(x)
    state = lp.__getstate__()
    assert state["_arrays"] is None  # the JAX arrays are rebuilt in the receiving process
    assert pickle.loads(pickle.dumps(lp))(x) == value


def test_posterior_uses_the_kernel_where_the_profile_has_one(h3_scale):
    stars, grid = h3_scale
    assert supports_kernel("oblate_single_break") and not supports_kernel("spherical_einasto")
    assert dens.DensityPosterior(stars, grid, "triaxial_no_break").compiled
    assert not dens.DensityPosterior(stars, grid, "triaxial_no_break", compiled=False).compiled
    assert not dens.DensityPosterior(stars, grid, "spherical_einasto").compiled
    with pytest.raises(ValueError, match="power-law profiles"):
        CompiledLogProbability(stars, grid, "spherical_einasto")


@pytest.mark.parametrize("model", ["triaxial_double_break", "triaxial_no_break", "oblate_single_break"])
def test_batch_equals_one_call_per_row(model, h3_scale):
    """The vmapped batch (emcee's vectorised mode) gives each row's single-call value to 1e-12
    relative, -inf for rows outside the prior (also when every row is outside), whatever the
    batch's size."""
    stars, grid = h3_scale
    m = dens.get_model(model)
    lp = CompiledLogProbability(stars, grid, m)
    rng = np.random.default_rng(8)
    rows = np.array([[rng.uniform(*m.bounds[n]) for n in m.free] for _ in range(30)])
    rows[:, -1] = rng.uniform(8.0, 10.0, len(rows))
    rows[3, -1] = 13.0  # outside the prior
    single = np.array([lp(x) for x in rows])
    assert np.isneginf(single[3]) and np.isfinite(single).sum() >= 4
    for size in (30, 7, 1):
        got = np.concatenate([lp.batch(rows[i:i + size]) for i in range(0, len(rows), size)])
        np.testing.assert_array_equal(np.isneginf(got), np.isneginf(single))
        ok = np.isfinite(single)
        np.testing.assert_allclose(got[ok], single[ok], rtol=1e-12)
    assert np.all(np.isneginf(lp.batch(rows[[3, 3]])))
    np.testing.assert_array_equal(dens.DensityPosterior(stars, grid, m).batch(rows), lp.batch(rows))
    with pytest.raises(ValueError, match=r"vectors must have shape \(n, "):
        lp.batch(rows[0])
