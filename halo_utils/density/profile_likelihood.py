"""Profile-likelihood ratios of a density fit: intervals that follow a non-Gaussian likelihood.

For a parameter held at a value the other shape parameters are re-maximised and the
amplitude is profiled analytically; by Wilks' theorem twice the drop in ln L is chi^2 with
one degree of freedom at the true value (conventions §9 and §10).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ..fitting import hessian
from .likelihood import as_stars, log_likelihood, log_probability
from .mle import profiled_log10_mass
from .models import get_model
from .selection import SelectionGrid

__all__ = ["profile_likelihood_ratio", "profile_likelihood_ratios"]


def profile_likelihood_ratio(fit: dict, stars, grid: SelectionGrid, name: str, value: float,
                             starts=()) -> float:
    """Profile-likelihood ratio statistic 2 [ln L_max - max ln L | name = value].

    One parameter of `profile_likelihood_ratios`; see there.
    """
    return profile_likelihood_ratios(fit, stars, grid, {name: value}, starts=starts)[name]


def profile_likelihood_ratios(fit: dict, stars, grid: SelectionGrid, values: dict, starts=()) -> dict:
    """Profile-likelihood ratio statistics 2 [ln L_max - max ln L | name = value], per name.

    For each ``name: value`` the other shape parameters are re-maximised and the
    amplitude is profiled analytically. By Wilks' theorem the statistic at the true value
    is chi^2 with one degree of freedom, so ``<= 1`` (``<= 3.84``) defines the 68.3 %
    (95 %) profile-likelihood interval: unlike the Laplace interval it follows a skewed,
    kinked or two-peaked likelihood, as the break radii's is (an inner slope near 0 with
    r1 just inside the data, or the true slope with r1 further out).

    The constrained maximisation is Powell's method along the principal axes of the
    Hessian at the MLE (in the optimiser's coordinates, computed once for all names),
    started from the Gaussian conditional maximum: finite-difference L-BFGS-B can stop
    after one iteration on such kinked profiles and overstate the statistic many times.

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
        ``{name: statistic >= 0}``.
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

    def lnl(x, name=None, value=None):
        # x: all shape coordinates of `DensityModel.to_opt`; `name` is held at `value` in natural
        # units (r2 and q are relative coordinates in x); the amplitude is fixed or profiled
        params = {**m.from_opt(x), "log10_mass": 9.0}
        if name is not None:
            params[name] = value
        mass = value if name == "log10_mass" else None
        if m.problems(params):
            return -np.inf
        if mass is None:
            params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
        return log_probability(m.vector(params), stars, grid, m)

    inner = np.clip(x_mle, bounds[:, 0] + steps, bounds[:, 1] - steps)
    neg_h = -hessian(lnl, inner, steps) if shape else np.zeros((0, 0))
    out = {}
    for name, value in values.items():
        mass = value if name == "log10_mass" else None
        keep = np.array([n != name for n in shape], dtype=bool)

        def embed(y, x_fixed):
            x = x_fixed.copy()
            x[keep] = y
            return x

        cands = []
        for cand in (fit["params"], *starts):
            x = m.to_opt({**fit["params"], **cand, **({} if mass is not None else {name: value})})
            cands.append(x)
        if not keep.any() or not shape:
            best = max(lnl(x, name, value) for x in cands)
        else:
            sub = neg_h[np.ix_(keep, keep)]
            w, vec = np.linalg.eigh(sub) if np.all(np.isfinite(sub)) else (np.zeros(1), None)
            direc = (vec / np.sqrt(w)).T if np.all(w > 0) else None
            if direc is not None and mass is None:
                # Gaussian conditional maximum: the MLE shifted along the correlations
                x0 = cands[0].copy()
                j = shape.index(name)
                x0[keep] = x_mle[keep] - np.linalg.solve(sub, neg_h[keep, j]) * (x0[j] - x_mle[j])
                cands[0] = x0
            best = -np.inf
            for x_fixed in cands:
                y0 = np.clip(x_fixed[keep], bounds[keep, 0], bounds[keep, 1])

                def objective(y):
                    val = lnl(embed(y, x_fixed), name, value)
                    return -val if np.isfinite(val) else 1e300

                # ftol: Powell stops when a sweep gains < ~1e-3 in ln L (|ln L| ~ 1e4)
                res = optimize.minimize(objective, y0, method="Powell", bounds=bounds[keep],
                                        options={"direc": direc, "xtol": 1e-2, "ftol": 1e-7})
                best = max(best, -res.fun if res.fun < 1e299 else -np.inf, lnl(embed(y0, x_fixed), name, value))
        out[name] = float(max(0.0, 2.0 * (peak - best)))
    return out

