"""Exact gradients of the density log-likelihood, for every geometry and profile (conventions §8; S001 section 3).

The Poisson log-likelihood is ln L = sum_i ln n(x_i) - sum_k w_k n(x_k) (stars i, selection
nodes k), with ln n = ln A(theta) + ln f(ln r_q^2; theta) and r_q^2 = c(p, q, pitch, yaw) . m(x)
(`~halo_utils.density.models.log_amplitude`, the profile's ``log_profile``, the geometry's
`~halo_utils.density.geometry.quadratic_form` and `~halo_utils.density.geometry.monomials`).
By the chain rule, with weights v = 1 on the stars (with distance errors folded in, each
point's share of its star's term, `~halo_utils.density.likelihood.Stars.point_weights`) and
v = -w n on the nodes,

    d ln L / d theta = (N - Lambda) d ln A / d theta
                       + sum v (d ln f / d ln r_q^2) (m . dc/d theta) / r_q^2
                       + sum v d ln f / d theta,

where d ln A / d theta is ln 10 per dex of log10_mass, -1/p, -1/q and minus the derivative
of the profile's ln(shell integral); the geometric sum is six numbers, (sum v f' m / r_q^2),
contracted with the geometry's ``quadratic_form_jacobian``. The components supply the pieces
(``quadratic_form_jacobian``; ``log_profile_gradient``, ``log_shell_integral_gradient``), so a
new geometry or profile that gives them gets the exact gradient here. Angles are in degrees,
radii in kpc and log10_mass in dex, so every derivative is per those units.
"""

from __future__ import annotations

import numpy as np

from .likelihood import as_stars
from .models import MASS_RANGE_KPC, check_params, get_model, log_amplitude
from .selection import SelectionGrid

__all__ = ["log_likelihood_and_gradient", "log_probability_and_gradient", "profiled_log_likelihood_and_gradient",
           "profiled_value_and_shape_gradient"]


def _point_terms(mono, full, m, giants_per_msun):
    """(r_q^2, ln r_q^2, ln n) at `monomials` ``mono``; ln n as `log_number_density` computes it."""
    r_q2 = mono @ m.geometry.quadratic_form(full)
    ln_rq2 = np.log(r_q2)
    return r_q2, ln_rq2, log_amplitude(full, m, giants_per_msun) + m.profile.log_profile(ln_rq2, full)


def _pullback(mono, r_q2, ln_rq2, v, full, m):
    """sum_i v_i d ln f(x_i) / d theta for the profile's, then the geometry's free parameters."""
    d_ln_rq2, d_profile = m.profile.log_profile_gradient(ln_rq2, full)
    moment = mono.T @ (v * d_ln_rq2 / r_q2)  # sum v f' m / r_q^2, six numbers (kpc^-2 kpc^2)
    return np.concatenate([d_profile @ v, m.geometry.quadratic_form_jacobian(full) @ moment])


def _log_amplitude_gradient(full, m):
    """d ln A / d(free parameters), order of ``m.free``."""
    shape = {"p": -1.0 / full["p"], "q": -1.0 / full["q"]}
    return np.concatenate([-m.profile.log_shell_integral_gradient(full, *MASS_RANGE_KPC),
                           [shape.get(n, 0.0) for n in m.geometry.free], [np.log(10.0)]])


def _value_and_gradient(full, stars, grid, m):
    """ln L and its gradient (order of ``m.free``) at completed parameters ``full``."""
    r2_s, ln_rq2_s, ln_n_s = _point_terms(stars.mono, full, m, grid.giants_per_msun)
    r2_k, ln_rq2_k, ln_n_k = _point_terms(grid._mono, full, m, grid.giants_per_msun)
    n_k = np.exp(ln_n_k)
    lam = float(grid._w @ n_k)  # as SelectionGrid.expected_number
    value = stars.sum_log_density(ln_n_s) - lam
    pull = (_pullback(stars.mono, r2_s, ln_rq2_s, stars.point_weights(ln_n_s), full, m)
            + _pullback(grid._mono, r2_k, ln_rq2_k, -grid._w * n_k, full, m))
    grad = (len(stars) - lam) * _log_amplitude_gradient(full, m)
    grad[:-1] += pull
    return value, grad


def log_likelihood_and_gradient(params: dict, stars, grid: SelectionGrid, model="triaxial_double_break"):
    """`~halo_utils.density.likelihood.log_likelihood` and its exact gradient (conventions §8).

    The value equals ``log_likelihood(params, stars, grid, model)`` (same operations); the
    gradient is analytic (chain rule through the geometry, the profile and the shell
    integral that normalises the amplitude; see the module docstring), for every
    registered geometry and profile. Raises ValueError for parameters outside the prior.

    Parameters
    ----------
    params : dict
        Free parameters of ``model`` (radii kpc, angles deg, log10_mass log10 Msun).
    stars : Stars, Table or array_like (3, N)
        Star positions (Galactocentric, kpc).
    grid : SelectionGrid
        Precomputed selection.
    model : str or DensityModel

    Returns
    -------
    value : float
        ln L.
    gradient : ndarray, shape (model.ndim,)
        d ln L / d(free parameter), in the order of ``model.free`` (per kpc, per deg, per
        dex; ``dict(zip(model.free, gradient))`` names them).
    """
    m = get_model(model)
    full = check_params(params, m)
    return _value_and_gradient(full, as_stars(stars), grid, m)


def log_probability_and_gradient(vector, stars, grid: SelectionGrid, model):
    """`~halo_utils.density.likelihood.log_probability` of a free-parameter vector and its gradient.

    The uniform prior is flat inside its bounds, so the gradient is that of the likelihood;
    outside the prior the value is -inf and the gradient zero. ``stars`` must be `Stars`.

    Returns
    -------
    value : float
        ln prior + ln L.
    gradient : ndarray, shape (model.ndim,)
        In the order of ``model.free`` (natural units).
    """
    m = get_model(model)
    params = m.params(vector)
    if m.problems(params):
        return -np.inf, np.zeros(m.ndim)
    return _value_and_gradient(m.complete(params), stars, grid, m)


def profiled_log_likelihood_and_gradient(x, stars, grid: SelectionGrid, model):
    """ln L with log10_mass profiled (Lambda = N), and its gradient in the optimiser's coordinates.

    The objective `~halo_utils.density.mle.fit_mle` maximises (conventions §9): the shape
    from `DensityModel.from_opt` of ``x``, the amplitude from Lambda = N
    (`~halo_utils.density.mle.profiled_log10_mass`). Its value agrees with that objective to
    rounding (~1e-13 relative: the amplitude is applied as a shift of ln n instead of a
    second pass over the nodes). Since d ln L / d log10_mass = ln 10 (N - Lambda) vanishes
    there, the gradient is the partial one in the shape parameters at the profiled amplitude
    (envelope theorem), mapped to ``x`` by the transpose of `DensityModel.from_opt_jacobian`,
    ready for e.g. ``scipy.optimize.minimize(jac=True)``. Outside the prior (never inside
    the optimiser's box), or where Lambda at log10_mass = 9 under- or overflows (e.g. an
    Einasto profile at the edge of its prior), the value is -inf and the gradient zero.

    Parameters
    ----------
    x : array_like
        Optimiser coordinates (`DensityModel.to_opt`).
    stars : Stars, Table or array_like (3, N)
        Star positions (Galactocentric, kpc).
    grid : SelectionGrid
    model : str or DensityModel

    Returns
    -------
    value : float
        The profiled ln L.
    gradient : ndarray, shape (len(x),)
        d value / d x.
    """
    m = get_model(model)
    x = np.asarray(x, float)
    value, grad = profiled_value_and_shape_gradient(m.from_opt(x), as_stars(stars), grid, m)
    return value, (m.from_opt_jacobian(x).T @ grad if np.isfinite(value) else np.zeros(x.size))


def profiled_value_and_shape_gradient(shape: dict, stars, grid: SelectionGrid, model):
    """ln L at the shape parameters ``shape`` with log10_mass profiled, and its gradient in natural units.

    The building block of `profiled_log_likelihood_and_gradient` and of the constrained
    maximisations of `~halo_utils.density.profile_likelihood`: the amplitude makes
    Lambda = N, and by the envelope theorem the gradient is the partial one in the shape
    parameters there.

    Parameters
    ----------
    shape : dict
        Every free parameter of ``model`` but log10_mass (natural units; log10_mass, if
        given, is ignored).
    stars : Stars
    grid : SelectionGrid
    model : str or DensityModel

    Returns
    -------
    value : float
        The profiled ln L; -inf outside the prior or where Lambda at log10_mass = 9 under-
        or overflows.
    gradient : ndarray, shape (model.ndim - 1,)
        d value / d(shape parameter), order of ``model.free`` without log10_mass (per kpc,
        per deg); zeros where the value is -inf.
    """
    m = get_model(model)
    params = {**shape, "log10_mass": 9.0}
    if m.problems(params):
        return -np.inf, np.zeros(m.ndim - 1)
    full = m.complete(params)
    r2_s, ln_rq2_s, ln_n_s = _point_terms(stars.mono, full, m, grid.giants_per_msun)
    r2_k, ln_rq2_k, ln_n_k = _point_terms(grid._mono, full, m, grid.giants_per_msun)
    n_k = np.exp(ln_n_k)
    lam = float(grid._w @ n_k)
    if not 0.0 < lam < np.inf:  # a shape whose Lambda under- or overflows at any amplitude we can represent
        return -np.inf, np.zeros(m.ndim - 1)
    ratio = len(stars) / lam  # 10**(profiled log10_mass - 9)
    n_k = n_k * ratio
    value = float(stars.sum_log_density(ln_n_s) + len(stars) * np.log(ratio) - grid._w @ n_k)
    grad = (_pullback(stars.mono, r2_s, ln_rq2_s, stars.point_weights(ln_n_s), full, m)
            + _pullback(grid._mono, r2_k, ln_rq2_k, -grid._w * n_k, full, m))
    return value, grad
