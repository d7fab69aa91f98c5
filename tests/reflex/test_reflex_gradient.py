"""The exact (JAX) derivatives of the reflex likelihood against the numpy likelihood and its
finite differences, and the maximum-likelihood fit that climbs them."""

import pickle

import numpy as np
import pytest

from halo_utils import mock, reflex as rf
from halo_utils.reflex.fit import _cartesian_from_natural
from halo_utils.reflex.gradient import (_PAD_STARS, BatchLogLikelihood, MaximumLikelihoodObjective, log_likelihood_and_gradient,
                                        natural_from_fit_coordinates, supports_gradient)
from halo_utils.reflex.radial import LinearInRadius
from halo_utils.reflex.sky import angles

TRUTH = mock.reflex_truth_vector()
VARIANTS = [(term, kind, mix) for term in rf.DISTANCE_TERMS for kind in ("linear", "constant")
            for mix in (True, False)]


@pytest.fixture(scope="module")
def sample(outer):
    cat, _ = outer
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), sgr_cut=False, clip=False))
    return cat[mask][:300]


def _model(kind, mix):
    return rf.ReflexModel(kind, outliers=rf.OutlierMixture() if mix else None)


def _theta(model, f_out=0.03):
    # off the truth, so that every derivative is far from zero
    base = TRUTH if model.kind == "linear" else TRUTH[:9]
    shift = np.tile([3.0, 7.0, -4.0, 5.0, -6.0, 4.0, 0.1, -0.1, 0.08], model.n_nodes)
    return model.with_f_out(base + shift, f_out)


def _steps(model):
    """Finite-difference steps: 1e-3 km/s or deg, 1e-4 in ln sigma, 1e-5 in f_out."""
    h = np.tile([1e-3] * 6 + [1e-4] * 3, model.n_nodes)
    return h if model.outliers is None else np.append(h, 1e-5)


@pytest.mark.parametrize("term,kind,mix", VARIANTS)
def test_value_equals_numpy(sample, term, kind, mix):
    stars = rf.ReflexStars.from_table(sample, distance_term=term, n_distance_nodes=5)
    model = _model(kind, mix)
    theta = _theta(model)
    value, _ = log_likelihood_and_gradient(theta, stars, model)
    assert value == pytest.approx(rf.log_likelihood(theta, stars, model), rel=1e-12)


def test_value_equals_numpy_where_the_apex_is_extrapolated_past_the_pole(outer):
    """Beyond the outer node B_MS extrapolates past 90 deg; both likelihoods then take |cos B|
    (the apex turns back at the pole). Stars out to ~300 kpc, B_MS = 60 and 85 deg at the nodes."""
    cat, _ = outer
    stars = rf.ReflexStars.from_table(cat[:800], distance_term="marginal", n_distance_nodes=3)
    assert np.max(stars.r) > 200
    model = _model("linear", True)
    theta = _theta(model)
    theta[2], theta[11] = 60.0, 85.0
    assert log_likelihood_and_gradient(theta, stars, model)[0] == pytest.approx(
        rf.log_likelihood(theta, stars, model), rel=1e-12)


@pytest.mark.parametrize("term,kind,mix", VARIANTS)
def test_gradient_matches_central_differences(sample, term, kind, mix):
    """Central differences of the *numpy* likelihood. Their error is estimated from the same
    differences at twice the step (truncation ~h^2 grows 4x; the difference of the two is 3x
    the truncation at h) plus a rounding floor of 1e3 eps |ln L| / h; each derivative must
    also exceed that tolerance tenfold, so that a wrong sign cannot pass."""
    stars = rf.ReflexStars.from_table(sample, distance_term=term, n_distance_nodes=5)
    model = _model(kind, mix)
    theta = _theta(model)
    _, grad = log_likelihood_and_gradient(theta, stars, model)
    f0 = abs(rf.log_likelihood(theta, stars, model))

    def central(h):
        return np.array([(rf.log_likelihood(theta + e, stars, model) - rf.log_likelihood(theta - e, stars, model))
                         / (2 * e[i]) for i, e in enumerate(np.diag(h))])

    h = _steps(model)
    fd, fd2 = central(h), central(2 * h)
    tol = np.abs(fd2 - fd) + 1e3 * np.finfo(float).eps * f0 / h
    assert np.all(np.abs(grad - fd) <= tol), list(zip(model.names, grad, fd, tol))
    assert np.all(np.abs(grad) > 10 * tol), list(zip(model.names, grad, tol))


def test_hessian_is_the_derivative_of_the_gradient(sample):
    """The exact Hessian in fit coordinates against central differences of the exact gradient,
    relative to the largest entry of its row (its scale); symmetric."""
    stars = rf.ReflexStars.from_table(sample, distance_term="marginal", n_distance_nodes=5)
    model = _model("linear", True)
    objective = MaximumLikelihoodObjective(stars, model)
    x = _cartesian_from_natural(_theta(model), model)
    hess = objective.hessian(x)
    h = np.append(np.tile([1e-3] * 6 + [1e-4] * 3, 2), 1e-4)
    fd = np.column_stack([(objective.value_and_gradient(x + e)[1] - objective.value_and_gradient(x - e)[1]) / (2 * e[i])
                          for i, e in enumerate(np.diag(h))])
    scale = np.max(np.abs(hess), axis=1, keepdims=True)
    assert np.max(np.abs(hess - fd) / scale) < 1e-5
    assert np.allclose(hess, hess.T, rtol=0, atol=1e-9 * np.max(np.abs(hess)))


@pytest.mark.parametrize("n", [_PAD_STARS - 1, _PAD_STARS, _PAD_STARS + 1])
def test_padding_stars_change_nothing(sample, n):
    """Catalogues are padded to a multiple of _PAD_STARS stars; the padding adds nothing."""
    stars = rf.ReflexStars.from_table(sample[:n], distance_term="marginal", n_distance_nodes=3)
    model = _model("linear", True)
    theta = _theta(model)
    assert log_likelihood_and_gradient(theta, stars, model)[0] == pytest.approx(
        rf.log_likelihood(theta, stars, model), rel=1e-12)


def test_fit_coordinates_round_trip():
    """natural_from_fit_coordinates inverts the fit's start conversion, with the apex of sky.angles."""
    model = _model("linear", True)
    rng = np.random.default_rng(3)
    thetas = np.array([_theta(model, f) for f in (0.01, 0.1)])
    thetas[:, 1] = rng.uniform(-179, 179, 2)
    x = _cartesian_from_natural(thetas, model)
    back = natural_from_fit_coordinates(x, model)
    assert np.allclose(back, thetas, rtol=1e-12, atol=1e-10)
    lon, lat = angles(x[:, :3])
    assert np.allclose(back[:, 1], lon, atol=1e-10) and np.allclose(back[:, 2], lat, atol=1e-10)


def test_objective_is_minus_inf_outside_the_prior(sample):
    """v_travel = |travel vector| > 150 km/s lies outside the prior inside the fit's box."""
    stars = rf.ReflexStars.from_table(sample, distance_term="none")
    model = _model("constant", False)
    x = _cartesian_from_natural(_theta(model), model)
    x[:3] = 100.0  # |w| = 173 km/s
    value, grad = MaximumLikelihoodObjective(stars, model).value_and_gradient(x)
    assert value == -np.inf and not np.any(grad)


class _NotLinearInNodes(LinearInRadius):
    """The continuity model without offset_weights: the fit falls back to finite differences."""

    def offset_weights(self, r):
        raise NotImplementedError


@pytest.mark.parametrize("hide", [False, True])
def test_gradient_fit_needs_ten_times_fewer_calls_and_ends_as_high(sample, hide):
    """The same model fitted on the exact gradient and derivative-free (``gradient=False``, or
    a dependence that hides its linearity): >= 10x fewer likelihood calls (about 100 against
    ~10^4), a maximum at least as high (to 1e-6 of ln L), the same best fit and Laplace
    sigmas within the noise of 4000 draws (~2 % at 2 sigma)."""
    stars = rf.ReflexStars.from_table(sample, distance_term="marginal", n_distance_nodes=3)
    exact = rf.ReflexModel("linear", outliers=rf.OutlierMixture())
    hidden = rf.ReflexModel(_NotLinearInNodes(), outliers=rf.OutlierMixture())
    assert supports_gradient(exact) and not supports_gradient(hidden)
    fit_exact = rf.fit_reflex(stars, exact, "mle", rng=4)
    fit_fd = rf.fit_reflex(stars, hidden, "mle", rng=4) if hide else rf.fit_reflex(stars, exact, "mle", rng=4,
                                                                                  gradient=False)
    assert fit_exact.info["gradient"] == "exact" and fit_fd.info["gradient"] == "finite differences"
    assert 10 * fit_exact.info["n_calls"] <= fit_fd.info["n_calls"], (fit_exact.info["n_calls"], fit_fd.info["n_calls"])
    assert fit_exact.max_log_likelihood >= fit_fd.max_log_likelihood - 1e-6
    sd = fit_exact.samples.std(axis=0)
    assert np.all(np.abs(fit_exact.best - fit_fd.best) < 0.05 * sd)
    assert np.allclose(sd, fit_fd.samples.std(axis=0), rtol=0.05)


def test_a_dependence_without_weights_has_no_exact_gradient(sample):
    stars = rf.ReflexStars.from_table(sample, distance_term="none")
    model = rf.ReflexModel(_NotLinearInNodes(), outliers=None)
    with pytest.raises(ValueError, match="not linear in its nodes"):
        log_likelihood_and_gradient(_theta(_model("linear", False)), stars, model)
    with pytest.raises(ValueError, match="not linear in its nodes"):
        MaximumLikelihoodObjective(stars, model)


@pytest.mark.parametrize("term,kind,mix", VARIANTS)
def test_batch_likelihood_equals_numpy_row_by_row(sample, term, kind, mix):
    """`BatchLogLikelihood` on 11 vectors (padded to 16 and to 8): each the numpy likelihood to
    rounding, and the same value whatever the batch around it."""
    stars = rf.ReflexStars.from_table(sample, distance_term=term, n_distance_nodes=5)
    model = _model(kind, mix)
    rng = np.random.default_rng(4)
    thetas = np.array([_theta(model, f_out=0.01 + 0.01 * i) + rng.normal(0, 0.5, model.ndim) * (i > 0)
                       for i in range(11)])
    thetas[:, -1] = np.clip(thetas[:, -1], 0.0, 0.2) if mix else thetas[:, -1]
    batch = BatchLogLikelihood(stars, model)
    want = np.array([rf.LogLikelihood(stars, model)(t) for t in thetas])
    got = batch(thetas, pad_to=16)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[0] == batch(thetas[:1])[0]  # one vector, padded to 8


def test_batch_likelihood_outside_the_prior_and_bad_shapes(sample):
    stars = rf.ReflexStars.from_table(sample)
    model = _model("linear", True)
    batch = BatchLogLikelihood(stars, model)
    theta = _theta(model)
    rows = np.array([theta, theta, theta])
    rows[1, 0], rows[2, 3] = 500.0, np.nan  # v_travel beyond its prior; a NaN
    got = batch(rows)
    assert np.isfinite(got[0]) and got[1] == got[2] == -np.inf
    assert np.all(batch(rows[1:]) == -np.inf)
    with pytest.raises(ValueError, match=r"shape \(P, 19\)"):
        batch(theta)
    again = pickle.loads(pickle.dumps(batch))
    assert again(rows[:1])[0] == got[0]
    with pytest.raises(TypeError, match="ReflexStars"):
        BatchLogLikelihood(sample, model)
