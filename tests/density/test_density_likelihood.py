"""The Poisson likelihood (conventions §8) and model comparison."""

import numpy as np
import pytest

from halo_utils import density as dens


def test_log_probability_never_nan(rng, full_sky_nodes):
    m = dens.get_model("triaxial_double_break")
    stars = dens.Stars(rng.normal(0, 20, (3, 200)))
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=40, nside=2))
    lo = np.array([dens.PRIOR_BOUNDS[n][0] for n in m.free]) - 5
    hi = np.array([dens.PRIOR_BOUNDS[n][1] for n in m.free]) + 5
    for _ in range(300):
        val = dens.log_probability(rng.uniform(lo, hi), stars, survey, m)
        assert not np.isnan(val)


def test_aic():
    assert dens.aic(-100.0, 5) == 210.0
    rel = dens.relative_likelihoods({"a": 100.0, "b": 104.0})
    assert rel == {"a": 1.0, "b": pytest.approx(np.exp(-2.0))}
