"""Reflex models: radial dependences, priors, prior transforms, bad models and parameters."""

import numpy as np
import pytest
from scipy import stats

from halo_utils import mock, reflex as rf

TRUTH = mock.reflex_truth_vector()
LINEAR = rf.ReflexModel("linear", outliers=None)
CONSTANT = rf.ReflexModel("constant", outliers=None)


def test_linear_interpolation_and_periodic_longitude():
    theta = TRUTH.copy()
    theta[1], theta[10] = 170.0, -170.0  # L_MS crosses +-180: the short way is 20 deg
    v = LINEAR.values_at(theta, np.array([40.0, 80.0, 120.0]))
    assert np.allclose(v[1], [170.0, -180.0, -170.0])
    assert np.allclose(v[0], [6.0, 26.5, 47.0])
    assert np.allclose(np.exp(v[6]), [106.0, np.sqrt(106.0 * 69.0), 69.0])  # log-linear dispersions


@pytest.mark.parametrize("index,value", [(0, -1.0), (0, 151.0), (1, 181.0), (2, 91.0), (3, -251.0),
                                         (4, 251.0), (6, -0.1), (8, np.log(301.0)), (9, np.nan)])
def test_priors_reject_out_of_range(index, value):
    theta = TRUTH.copy()
    assert np.isfinite(LINEAR.log_prior(theta))
    theta[index] = value
    assert LINEAR.log_prior(theta) == -np.inf


def test_prior_transform_is_the_stated_prior():
    rng = np.random.default_rng(2)
    draws = np.array([CONSTANT.prior_transform(c) for c in rng.uniform(size=(4000, 9))])
    for i, name in enumerate(rf.BASE_NAMES):
        lo, hi = rf.PRIOR_BOUNDS[name]
        assert draws[:, i].min() >= lo and draws[:, i].max() <= hi
    assert np.all(np.isfinite([CONSTANT.log_prior(t) for t in draws[:50]]))
    # isotropic apex: sin B_MS uniform on [-1, 1]; v_travel uniform on [0, 150]
    assert stats.kstest(np.sin(np.deg2rad(draws[:, 2])), "uniform", args=(-1, 2)).pvalue > 1e-3
    assert stats.kstest(draws[:, 0], "uniform", args=(0, 150)).pvalue > 1e-3


def test_bad_model_and_parameters_raise():
    with pytest.raises(ValueError, match="constant' or 'linear"):
        rf.ReflexModel("quadratic")
    with pytest.raises(ValueError, match="r_nodes"):
        rf.ReflexModel("linear", (120.0, 40.0))
    with pytest.raises(ValueError, match="18 parameters"):
        LINEAR.check(np.zeros(9))
    with pytest.raises(ValueError, match="sampler"):
        rf.fit_reflex(mock.generate_outer_halo(1)[0][:20], "constant", "emcee")


def test_models_compose_a_radial_dependence():
    """A name and the object it stands for give the same model, with the same parameter names."""
    assert rf.ReflexModel("linear", (30.0, 100.0)) == rf.ReflexModel(rf.LinearInRadius((30, 100)))
    assert rf.ReflexModel("linear").names[:2] == ("v_travel_40", "L_MS_40")
    assert rf.ReflexModel("linear").names[9] == "v_travel_120" and rf.ReflexModel("linear").names[-1] == "f_out"
    assert rf.ReflexModel(rf.ConstantInRadius(), outliers=None).names == rf.BASE_NAMES
    assert rf.ReflexModel("constant", (1.0, 2.0), None) == CONSTANT  # no nodes to place
    assert LINEAR.kind == "linear" and CONSTANT.kind == "constant" and LINEAR.ndim == 18
    with pytest.raises(TypeError, match="r_nodes goes with a model name"):
        rf.ReflexModel(rf.LinearInRadius(), (40.0, 120.0))
    with pytest.raises(TypeError, match="RadialDependence"):
        rf.ReflexModel(3)


class _StepInRadius(rf.RadialDependence):
    """A variant the package does not have: the first node's values inside 80 kpc, the second's outside."""

    kind = "step"
    n_nodes = 2

    def node_names(self):
        return tuple(f"{n}_{side}" for side in ("in", "out") for n in rf.BASE_NAMES)

    def values(self, nodes, r, wrap=True):
        nodes = np.moveaxis(nodes, -1, 0)
        return np.where(np.asarray(r) < 80.0, nodes[..., 0, None], nodes[..., 1, None])


def test_a_new_radial_dependence_is_a_new_class(outer):
    """A new variant needs no change elsewhere: its priors, transform and likelihood work, and
    with equal nodes it is the constant model."""
    model = rf.ReflexModel(_StepInRadius(), outliers=None)
    assert model.ndim == 18 and model.names[9] == "v_travel_out"
    theta = model.prior_transform(np.full(18, 0.5))
    assert np.isfinite(model.log_prior(theta))
    stars = rf.ReflexStars.from_table(outer[0][:200])
    both = np.concatenate([TRUTH[:9], TRUTH[:9]])
    assert rf.log_likelihood(both, stars, model) == pytest.approx(rf.log_likelihood(TRUTH[:9], stars, CONSTANT),
                                                                  rel=1e-12)
    assert rf.log_likelihood(TRUTH, stars, model) != rf.log_likelihood(TRUTH, stars, LINEAR)
