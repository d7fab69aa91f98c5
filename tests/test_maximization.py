"""Multi-start maximisation and Hessians (halo_utils.maximization), on functions with known answers."""

import numpy as np
import pytest

from halo_utils.maximization import (covariance_from_hessian, hessian, hessian_with_gradient, laplace_covariance,
                                     maximize, maximize_with_gradient)

#: A concave quadratic with coordinates on very different scales (1e-3 vs 1e2), as a
#: likelihood in (p, r2) is: ln L = -1/2 (x - mu)^T A (x - mu).
MU = np.array([0.7, 30.0, -2.0])
SD = np.array([1e-3, 1e2, 1.0])
CORR = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
COV = CORR * np.outer(SD, SD)
A = np.linalg.inv(COV)


def quadratic(x):
    d = np.asarray(x) - MU
    return -0.5 * d @ A @ d, -A @ d


def test_maximize_with_gradient_finds_the_peak_of_a_badly_scaled_quadratic():
    bounds = [(0.0, 1.0), (-500.0, 500.0), (-10.0, 10.0)]
    res = maximize_with_gradient(quadratic, [np.array([0.2, 300.0, 5.0])], bounds=bounds, scale=SD)
    # the peak to 1e-4 of each coordinate's width: ln L within 1e-8 of 0
    assert np.all(np.abs(res["x"] - MU) < 1e-4 * SD), (res["x"] - MU) / SD
    assert res["value"] > -1e-8
    assert res["n_calls"] < 100  # a quadratic in three dimensions: a few tens of calls


def test_maximize_with_gradient_respects_bounds_and_minus_infinity():
    def func(x):  # peak outside the box at x = 2; -inf left of -0.5
        if x[0] < -0.5:
            return -np.inf, np.zeros(1)
        return -(x[0] - 2.0) ** 2, np.array([-2.0 * (x[0] - 2.0)])
    res = maximize_with_gradient(func, [np.array([-0.4])], bounds=[(-1.0, 1.0)], scale=[0.1])
    assert res["x"][0] == pytest.approx(1.0)
    assert res["value"] == pytest.approx(-1.0)


def test_starts_stop_once_the_best_mode_is_found_twice():
    # two peaks: heights 0 at x = 3 and -1 at x = -3
    def func(x):
        a, b = np.exp(-0.5 * (x[0] - 3) ** 2), np.exp(-1.0 - 0.5 * (x[0] + 3) ** 2)
        return np.log(a + b), np.array([(-(x[0] - 3) * a - (x[0] + 3) * b) / (a + b)])
    starts = [np.array([v]) for v in (-4.0, 2.0, 4.0, 5.0, -2.0)]
    res = maximize_with_gradient(func, starts, bounds=[(-10, 10)], scale=[1.0], n_agree=2)
    assert res["n_starts_run"] == 3  # -4 -> lower peak; 2 and 4 -> the higher one twice: stop
    assert res["x"][0] == pytest.approx(3.0, abs=1e-4)
    assert res["values"][0] == pytest.approx(-1.0, abs=1e-3)
    every = maximize_with_gradient(func, starts, bounds=[(-10, 10)], scale=[1.0], n_agree=10)
    assert every["n_starts_run"] == 5


def test_maximize_with_gradient_checks_its_scale():
    with pytest.raises(ValueError, match="scale must be positive"):
        maximize_with_gradient(quadratic, [MU], bounds=[(-1, 1)] * 3, scale=[1.0, 0.0, 1.0])


def test_derivative_free_maximize_agrees_on_a_well_scaled_quadratic():
    def func(x):
        return -0.5 * np.sum((np.asarray(x) - 1.0) ** 2)
    x, val, values = maximize(func, [np.zeros(2), np.full(2, 3.0)], bounds=[(-5, 5)] * 2)
    assert np.allclose(x, 1.0, atol=1e-3) and val > -1e-6 and len(values) == 2


def test_hessians_of_a_quadratic_are_exact():
    steps = 0.1 * SD
    exact = -A
    by_gradient = hessian_with_gradient(quadratic, MU + 0.3 * SD, steps)
    by_values = hessian(lambda x: quadratic(x)[0], MU + 0.3 * SD, steps)
    scale = np.outer(SD, SD)  # compare in units of each coordinate's width
    assert np.allclose(by_gradient * scale, exact * scale, atol=1e-6)
    assert np.allclose(by_values * scale, exact * scale, atol=1e-4)
    cov = covariance_from_hessian(by_gradient)
    assert np.allclose(cov / scale, COV / scale, atol=1e-6)
    assert np.allclose(laplace_covariance(lambda x: quadratic(x)[0], MU, steps) / scale, COV / scale, atol=1e-4)


def test_hessian_with_gradient_costs_two_n_plus_one_calls():
    calls = []

    def func(x):
        calls.append(1)
        return quadratic(x)

    hessian_with_gradient(func, MU, 0.1 * SD)
    assert len(calls) == 2 * MU.size + 1


def test_a_saddle_or_an_edge_is_not_a_maximum():
    with pytest.raises(ValueError, match="not positive definite"):
        covariance_from_hessian(np.diag([-1.0, 2.0]))

    def edge(x):  # -inf beyond x0 = 0.05: a maximum within one step of a prior edge
        return (-np.inf, np.zeros(2)) if x[0] > 0.05 else quadratic(np.array([*x, -2.0]))[0:1] + (np.zeros(2),)
    with pytest.raises(ValueError, match="non-finite"):
        covariance_from_hessian(hessian_with_gradient(edge, np.array([0.0, 30.0]), [0.1, 1.0]))
