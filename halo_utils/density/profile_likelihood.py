"""Profile-likelihood ratios of a density fit: intervals that follow a non-Gaussian likelihood.

For a parameter held at a value the other shape parameters are re-maximised (L-BFGS-B with
the exact gradient of `~halo_utils.density.gradient`) and the amplitude is profiled
analytically; by Wilks' theorem twice the drop in ln L is chi^2 with one degree of freedom
at the true value (conventions §9 and §10).
"""

from __future__ import annotations

import numpy as np

from ..maximization import hessian_with_gradient, maximize_with_gradient
from .gradient import log_probability_and_gradient, profiled_value_and_shape_gradient
from .likelihood import as_stars, log_likelihood
from .models import get_model
from .selection import SelectionGrid

__all__ = ["profile_likelihood_ratio", "profile_likelihood_ratios"]


def profile_likelihood_ratio(fit: dict, stars, grid: SelectionGrid, name: str, value: float,
                             starts=()) -> float:
    """Profile-likelihood ratio statistic 2 [ln L_max - max ln L | name = value].

    One parameter of `profile_likelihood_ratios`; see there.
    """
    return profile_likelihood_ratios(fit, stars, grid, {name: value}, starts=starts)[name]


def _constrained(m, stars, grid, name, value):
    """ln L (amplitude profiled unless ``name`` is log10_mass) and its gradient in the optimiser's
    coordinates x, with ``name`` held at ``value`` in natural units.

    r2 and q are relative coordinates in x (`DensityModel.to_opt`), so x's entry for
    ``name`` still enters the others; only the held parameter's row of the Jacobian of
    `DensityModel.from_opt` is dropped.
    """
    j = m.free.index(name)
    fixed_mass = name == "log10_mass"

    def func(x):
        params = m.from_opt(x)
        if fixed_mass:
            val, grad = log_probability_and_gradient(m.vector({**params, name: value}), stars, grid, m)
            grad = grad[:-1]
        else:
            val, grad = profiled_value_and_shape_gradient({**params, name: value}, stars, grid, m)
        if not np.isfinite(val):
            return -np.inf, np.zeros(x.size)
        jac = m.from_opt_jacobian(x)
        if not fixed_mass:
            jac[j] = 0.0  # the held parameter does not move with x
        return val, jac.T @ grad
    return func


def profile_likelihood_ratios(fit: dict, stars, grid: SelectionGrid, values: dict, starts=()) -> dict:
    """Profile-likelihood ratio statistics 2 [ln L_max - max ln L | name = value], per name.

    For each ``name: value`` the other shape parameters are re-maximised and the
    amplitude is profiled analytically. By Wilks' theorem the statistic at the true value
    is chi^2 with one degree of freedom, so ``<= 1`` (``<= 3.84``) defines the 68.3 %
    (95 %) profile-likelihood interval: unlike the Laplace interval it follows a skewed,
    kinked or two-peaked likelihood, as the break radii's is (an inner slope near 0 with
    r1 just inside the data, or the true slope with r1 further out).

    Each constrained maximisation is L-BFGS-B with the exact gradient, restarted where it
    stops (`~halo_utils.maximization.maximize_with_gradient`), from every candidate: the
    fit itself, moved to the Gaussian conditional maximum (the MLE shifted along the
    correlations of the Hessian at the MLE, in the optimiser's coordinates, from values and
    gradients once for all names), and each of ``starts``.

    Parameters
    ----------
    fit : dict
        Result of `fit_mle` (the unconstrained maximum).
    stars, grid
        As for `log_likelihood`.
    values : dict
        ``{free parameter: value}`` in natural units (kpc, deg, ...).
    starts : sequence of dict, optional
        Further points to start each constrained maximisation from (the parameter is set
        to its value in each). Each start only adds a candidate, so more starts can only
        tighten the constrained maximum.

    Returns
    -------
    dict
        ``{name: statistic >= 0}``; NaN where no start with ``name = value`` is a valid
        model (ln L finite), so no constrained maximum can be sought.
    """
    m = get_model(fit["model"])
    stars = as_stars(stars)
    for name in values:
        if name not in m.free:
            raise ValueError(f"{name!r} is not a free parameter of {m.name}: {m.free}")
    shape = [n for n in m.free if n != "log10_mass"]
    bounds = np.array(m.opt_bounds())
    steps = np.array(m.opt_steps())
    x_mle = m.to_opt(fit["params"])
    peak = log_likelihood(fit["params"], stars, grid, m)

    def profiled(x):
        val, grad = profiled_value_and_shape_gradient(m.from_opt(x), stars, grid, m)
        return val, m.from_opt_jacobian(x).T @ grad

    inner = np.clip(x_mle, bounds[:, 0] + steps, bounds[:, 1] - steps)
    neg_h = -hessian_with_gradient(profiled, inner, steps) if shape else np.zeros((0, 0))
    out = {}
    for name, value in values.items():
        fixed_mass = name == "log10_mass"
        keep = np.array([n != name for n in shape], dtype=bool)
        func = _constrained(m, stars, grid, name, value)
        cands = [m.to_opt({**fit["params"], **cand, **({} if fixed_mass else {name: value})})
                 for cand in (fit["params"], *starts)]
        if not fixed_mass and keep.any():
            sub = neg_h[np.ix_(keep, keep)]
            if np.all(np.isfinite(sub)) and np.all(np.linalg.eigvalsh(sub) > 0):
                j = shape.index(name)  # Gaussian conditional maximum of the others given x_j
                x0 = cands[0].copy()
                x0[keep] = np.clip(x_mle[keep] - np.linalg.solve(sub, neg_h[keep, j]) * (x0[j] - x_mle[j]),
                                   bounds[keep, 0], bounds[keep, 1])
                # Far from the MLE the Gaussian guess can leave the valid model (ln L = -inf,
                # e.g. at a bound); then the fit itself with name = value is the start.
                if np.isfinite(func(x0)[0]):
                    cands[0] = x0
        # A start where the model is invalid (ln L = -inf) cannot be climbed from: skip it.
        start_values = [func(x)[0] for x in cands]
        cands = [x for x, v in zip(cands, start_values) if np.isfinite(v)]
        if not cands:
            out[name] = float("nan")  # no valid point with name = value to start from
            continue
        best = max(start_values)
        if keep.any():
            def sub_func(y, x_fixed):
                x = x_fixed.copy()
                x[keep] = y
                val, grad = func(x)
                return val, grad[keep]
            for x_fixed in cands:
                res = maximize_with_gradient(lambda y: sub_func(y, x_fixed), [x_fixed[keep]],
                                             bounds=bounds[keep], scale=steps[keep])
                best = max(best, res["value"])
        out[name] = float(max(0.0, 2.0 * (peak - best)))
    return out
