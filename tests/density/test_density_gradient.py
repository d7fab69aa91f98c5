"""Exact gradients of the density likelihood (conventions §8) against central finite differences.

Tolerances. A central difference with step h has truncation error ~h^2 |f'''| / 6 and
rounding error ~eps |terms| / h, where |terms| bounds the magnitude of the summed terms of
ln L (sum |ln n_i| + Lambda) and eps = 2.2e-16. With h = 1e-6 (relative to the parameter's
scale) the truncation is ~1e-12 relative and the rounding ~1e-9 relative for the problems
here; the checks allow rtol = 1e-6 on top of an absolute floor of 100 eps |terms| / h (the
rounding bound with a wide margin), and require every compared derivative to exceed that
floor tenfold, so that a sign error in any one component fails (and a missing term unless
it is that small). The
parameter points are random inside the prior; a star exactly at a break (where ln f has a
kink) has probability zero, but one within a step of a break spoils the finite difference
itself: at H3 scale (~1.8e5 nodes) a relative step of 1e-6 straddles r1 for a node or two
and the difference is off by ~1e-4 relative, an error that shrinks with the step (a wrong
gradient would not). The problems here have ~8e3 nodes, where that is rare.
"""

import numpy as np
import pytest
from scipy import integrate

from halo_utils import density as dens
from halo_utils.density.geometry import SHAPE_NAMES, quadratic_form, quadratic_form_jacobian
from halo_utils.density.mle import profiled_log10_mass, start_guess
from halo_utils.density.models import GEOMETRIES, MASS_RANGE_KPC, PROFILES
from halo_utils.density.profiles import Profile, _log_moments
from halo_utils.mock import forward_mock

ALL_MODELS = [f"{g}_{p}" for g in GEOMETRIES for p in PROFILES]
EPS = np.finfo(float).eps
REL_STEP = 1e-6
RTOL = 1e-6
FLOOR = 100.0  # the absolute floor, in units of eps |terms| / h


def _steps(values):
    """Central-difference steps: REL_STEP times the parameter's scale (at least 1 unit)."""
    return REL_STEP * np.maximum(np.abs(values), 1.0)


def _central_differences(f, x):
    x = np.asarray(x, float)
    h = _steps(x)
    out = np.empty(x.size)
    for j in range(x.size):
        up, down = x.copy(), x.copy()
        up[j] += h[j]
        down[j] -= h[j]
        out[j] = (f(up) - f(down)) / (2 * h[j])
    return out, h


def _assert_matches(exact, fd, floor, names):
    """Per component: |exact - fd| <= RTOL |fd| + floor, and |fd| > 10 floor (a flipped sign fails)."""
    bad = [f"{n}: exact {e:.12g}, finite differences {d:.12g}" for n, e, d, f in zip(names, exact, fd, floor)
           if abs(e - d) > RTOL * abs(d) + f]
    assert not bad, "\n".join(bad)
    assert np.all(np.abs(fd) > 10 * floor), "a derivative too close to the rounding floor to test"


def _terms(params, stars, grid, m):
    """Magnitude of the summed terms of ln L: sum |ln n_i| + Lambda."""
    ln_n = dens.log_number_density(stars.mono, params, m, grid.giants_per_msun)
    return np.sum(np.abs(ln_n)) + grid.expected_number(params, m)


@pytest.fixture(scope="module")
def small_problem(full_sky_nodes):
    """A uniform full-sky selection in 6 < r < 60 kpc (nodes) and 500 stars at random positions."""
    rng = np.random.default_rng(7)
    grid = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=40, nside=4))
    u = rng.normal(size=(3, 500))
    pos = u / np.linalg.norm(u, axis=0) * np.exp(rng.uniform(np.log(6.0), np.log(60.0), 500))
    return dens.Stars(pos), grid


def _random_params(m, rng, stars, grid):
    """Free parameters inside the prior, with log10_mass 0.3 dex off its profiled value, so
    that N - Lambda (which multiplies the amplitude's derivatives) is far from zero."""
    guess = start_guess(m, rng)
    params = {n: guess[n] for n in m.free}
    params["log10_mass"] = profiled_log10_mass(params, stars, grid, m) + rng.choice([-0.3, 0.3])
    assert not m.problems(params)
    return params


@pytest.mark.parametrize("name", ALL_MODELS)
def test_gradient_matches_finite_differences(name, small_problem):
    stars, grid = small_problem
    m = dens.get_model(name)
    rng = np.random.default_rng(ALL_MODELS.index(name))
    for _ in range(3):
        params = _random_params(m, rng, stars, grid)
        value, grad = dens.log_likelihood_and_gradient(params, stars, grid, m)
        assert value == dens.log_likelihood(params, stars, grid, m)  # the same operations
        fd, h = _central_differences(lambda v: dens.log_likelihood(m.params(v), stars, grid, m), m.vector(params))
        _assert_matches(grad, fd, FLOOR * EPS * _terms(params, stars, grid, m) / h, m.free)


def test_gradient_on_a_forward_mock(survey_small, gse_truth):
    """The fiducial and the restricted models on a mock of the survey (tile-based selection)."""
    rng = np.random.default_rng(3)
    stars = dens.Stars.from_table(forward_mock({**gse_truth, "log10_mass": 8.8}, survey_small, rng))
    for name in ("triaxial_double_break", "oblate_single_break", "spherical_no_break"):
        m = dens.get_model(name)
        params = {n: v for n, v in {**gse_truth, "log10_mass": 8.6, "q": 0.65}.items() if n in m.free}
        value, grad = dens.log_likelihood_and_gradient(params, stars, survey_small, m)
        assert value == dens.log_likelihood(params, stars, survey_small, m)
        fd, h = _central_differences(lambda v: dens.log_likelihood(m.params(v), stars, survey_small, m),
                                     m.vector(params))
        _assert_matches(grad, fd, FLOOR * EPS * _terms(params, stars, survey_small, m) / h, m.free)


@pytest.mark.parametrize("name", ["triaxial_double_break", "triaxial_aligned_single_break", "oblate_no_break",
                                  "triaxial_einasto", "spherical_double_break"])
def test_profiled_gradient_in_optimiser_coordinates(name, small_problem):
    """fit_mle's objective (amplitude profiled, to_opt coordinates) and its gradient."""
    stars, grid = small_problem
    m = dens.get_model(name)
    rng = np.random.default_rng(5)

    def objective(x):  # as fit_mle composes it
        params = {**m.from_opt(x), "log10_mass": 9.0}
        params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
        return dens.log_likelihood(params, stars, grid, m)

    for _ in range(2):
        x = np.array(m.to_opt(start_guess(m, rng)))
        value, grad = dens.profiled_log_likelihood_and_gradient(x, stars, grid, m)
        assert value == pytest.approx(objective(x), rel=1e-12)
        fd, h = _central_differences(objective, x)
        shape = {**m.from_opt(x), "log10_mass": 9.0}
        shape["log10_mass"] = profiled_log10_mass(shape, stars, grid, m)
        floor = FLOOR * EPS * _terms(shape, stars, grid, m) / h
        _assert_matches(grad, fd, floor, [f"x[{j}]" for j in range(x.size)])


def test_profiled_gradient_where_lambda_underflows(small_problem, full_sky_nodes):
    """A steep Einasto with a small scale radius (a corner of the optimiser's box) leaves no
    tracer in a distant survey, Lambda = 0 in floating point: -inf, not a division by zero."""
    stars, _ = small_problem
    far = dens.SelectionGrid.from_nodes(*full_sky_nodes(30.0, 60.0, n_r=10, nside=2))
    m = dens.get_model("spherical_einasto")
    value, grad = dens.profiled_log_likelihood_and_gradient(m.to_opt({"alpha_ein": 2.99, "r_s": 1.01}), stars, far, m)
    assert value == -np.inf and np.all(grad == 0.0)


def test_log_probability_and_gradient(small_problem):
    stars, grid = small_problem
    m = dens.get_model("triaxial_double_break")
    params = _random_params(m, np.random.default_rng(2), stars, grid)
    value, grad = dens.log_probability_and_gradient(m.vector(params), stars, grid, m)
    assert value == dens.log_probability(m.vector(params), stars, grid, m)
    np.testing.assert_array_equal(grad, dens.log_likelihood_and_gradient(params, stars, grid, m)[1])
    bad = {**params, "q": params["p"] + 0.05}  # q > p: outside the prior
    value, grad = dens.log_probability_and_gradient(m.vector(bad), stars, grid, m)
    assert value == -np.inf and np.all(grad == 0.0)
    with pytest.raises(ValueError, match="q ="):
        dens.log_likelihood_and_gradient(bad, stars, grid, m)


# ---- the pieces, each against finite differences -------------------------------------------

def test_quadratic_form_jacobian():
    rng = np.random.default_rng(0)
    for _ in range(5):
        shape = np.array([rng.uniform(0.5, 1.0), rng.uniform(0.2, 0.5), rng.uniform(-80, 80), rng.uniform(-80, 80)])
        fd = np.array([(quadratic_form(*(shape + h * e)) - quadratic_form(*(shape - h * e))) / (2 * h)
                       for e, h in zip(np.eye(4), 1e-6 * np.maximum(np.abs(shape), 1.0))])
        np.testing.assert_allclose(quadratic_form_jacobian(*shape), fd, rtol=1e-7, atol=1e-8)
    # a geometry returns the rows of its free parameters
    full = dict(zip(SHAPE_NAMES, shape))
    assert dens.get_model("oblate_no_break").geometry.quadratic_form_jacobian(full).shape == (1, 6)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_log_profile_gradient(profile):
    prof = PROFILES[profile]
    rng = np.random.default_rng(1)
    full = {**prof.fixed, **prof.draw_start(rng)}
    ln_rq2 = 2 * np.log(rng.uniform(2.0, 90.0, 50))
    d_u, d_theta = prof.log_profile_gradient(ln_rq2, full)
    h = 1e-6
    fd_u = (prof.log_profile(ln_rq2 + h, full) - prof.log_profile(ln_rq2 - h, full)) / (2 * h)
    np.testing.assert_allclose(d_u, fd_u, rtol=1e-7, atol=1e-9)
    for j, n in enumerate(prof.free):
        hn = 1e-6 * max(abs(full[n]), 1.0)
        fd = (prof.log_profile(ln_rq2, {**full, n: full[n] + hn}) - prof.log_profile(ln_rq2, {**full, n: full[n] - hn}))
        np.testing.assert_allclose(d_theta[j], fd / (2 * hn), rtol=1e-7, atol=1e-8, err_msg=n)


def _fd_log_shell(prof, full, r_min, r_max):
    out = []
    for n in prof.free:
        h = 1e-6 * max(abs(full[n]), 1.0)
        up = prof.shell_integral({**full, n: full[n] + h}, r_min, r_max)
        down = prof.shell_integral({**full, n: full[n] - h}, r_min, r_max)
        out.append((np.log(up) - np.log(down)) / (2 * h))
    return np.array(out)


def _leibniz_reference(prof, full, r_min, r_max):
    """d ln I / d theta = int r^2 f (d ln f / d theta) dr / I by quadrature in ln r, split at the breaks."""
    kinks = [np.log(full[b]) for b in ("r1", "r2") if b in prof.free and r_min < full[b] < r_max]
    edges = [np.log(r_min), *kinks, np.log(r_max)]

    def integrand(t, j):
        u = np.array([2.0 * t])
        return np.exp(3.0 * t + prof.log_profile(u, full)[0]) * prof.log_profile_gradient(u, full)[1][j, 0]

    num = [sum(integrate.quad(integrand, a, b, args=(j,), epsabs=0, epsrel=1e-13)[0] for a, b in zip(edges, edges[1:]))
           for j in range(len(prof.free))]
    return np.array(num) / prof.shell_integral(full, r_min, r_max)


def test_default_shell_gradient_is_the_leibniz_quadrature():
    """The base class's numerical default equals the closed form where the integrand is smooth."""
    prof, full = PROFILES["no_break"], {**PROFILES["no_break"].fixed, "alpha1": 2.7}
    np.testing.assert_allclose(Profile.log_shell_integral_gradient(prof, full, 1.0, 100.0),
                               prof.log_shell_integral_gradient(full, 1.0, 100.0), rtol=1e-10)


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("r_range", [MASS_RANGE_KPC, (15.0, 35.0), (40.0, 80.0)])
def test_log_shell_integral_gradient(profile, r_range):
    """Breaks inside and outside the range; slopes near the alpha = 3 (log) case of the integral."""
    prof = PROFILES[profile]
    rng = np.random.default_rng(4)
    for _ in range(3):
        full = {**prof.fixed, **prof.draw_start(rng)}
        exact = prof.log_shell_integral_gradient(full, *r_range)
        np.testing.assert_allclose(exact, _fd_log_shell(prof, full, *r_range), rtol=1e-6, atol=1e-9)
        # an independent Leibniz quadrature, split at the breaks, agrees with the closed forms
        np.testing.assert_allclose(_leibniz_reference(prof, full, *r_range), exact, rtol=1e-9, atol=1e-12)
    if "alpha2" in prof.free:
        for a2 in (3.001, 3.05, 3.3):  # series and closed branches of the segment moments
            full = {**prof.fixed, **prof.draw_start(rng), "alpha2": a2}
            np.testing.assert_allclose(prof.log_shell_integral_gradient(full, *r_range),
                                       _fd_log_shell(prof, full, *r_range), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("e", [-2.0, -0.0501, -0.0499, -1e-9, 0.0, 1e-9, 0.03, 0.0499, 0.0501, 1.0, 2.5])
def test_log_moments(e):
    """Both moments of a power law on [lo, hi] (e = power + 1), on both sides of the series switch."""
    lo, hi = 7.0, 20.0  # ln(hi / lo) ~ 1.05, so the switch |e ln(hi/lo)| = 0.1 sits near |e| = 0.095
    j0, j1 = _log_moments(lo, hi, e)
    q0 = integrate.quad(lambda r: r ** (e - 1), lo, hi, epsabs=0, epsrel=1e-13)[0]
    q1 = integrate.quad(lambda r: r ** (e - 1) * np.log(r / lo), lo, hi, epsabs=0, epsrel=1e-13)[0]
    assert j0 == pytest.approx(q0, rel=1e-13) and j1 == pytest.approx(q1, rel=1e-13)


@pytest.mark.parametrize("name", ["triaxial_double_break", "triaxial_aligned_single_break", "oblate_einasto"])
def test_from_opt_jacobian(name):
    m = dens.get_model(name)
    x = np.array(m.to_opt(start_guess(m, np.random.default_rng(6))))
    h = 1e-6
    fd = np.array([(m.vector({**m.from_opt(x + h * e), "log10_mass": 0.0})[:-1]
                    - m.vector({**m.from_opt(x - h * e), "log10_mass": 0.0})[:-1]) / (2 * h) for e in np.eye(x.size)]).T
    np.testing.assert_allclose(m.from_opt_jacobian(x), fd, rtol=1e-8, atol=1e-8)


def test_a_sign_error_would_fail(small_problem):
    """The per-component comparison catches a flipped component (here the smallest one)."""
    stars, grid = small_problem
    m = dens.get_model("triaxial_double_break")
    params = _random_params(m, np.random.default_rng(8), stars, grid)
    _, grad = dens.log_likelihood_and_gradient(params, stars, grid, m)
    fd, h = _central_differences(lambda v: dens.log_likelihood(m.params(v), stars, grid, m), m.vector(params))
    broken = grad.copy()
    broken[np.argmin(np.abs(grad))] *= -1
    floor = FLOOR * EPS * _terms(params, stars, grid, m) / h
    _assert_matches(grad, fd, floor, m.free)
    with pytest.raises(AssertionError, match="exact"):
        _assert_matches(broken, fd, floor, m.free)
