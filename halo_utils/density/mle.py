"""Maximum likelihood for a density model, with the amplitude profiled, and Laplace errors.

At fixed shape the likelihood is maximised by the amplitude that makes Lambda = N, so the
optimiser searches the shape only, in the box-bounded coordinates of
`~halo_utils.density.models.DensityModel.to_opt` (conventions §9), with the exact gradient
of `~halo_utils.density.gradient` (L-BFGS-B, `~halo_utils.maximization.maximize_with_gradient`);
the Laplace Hessian comes from the same values and gradients.
"""

from __future__ import annotations

import numpy as np

from ..fitting import check_sample_size
from ..maximization import covariance_from_hessian, hessian_with_gradient, maximize_with_gradient
from ..validation import check_integer
from .gradient import log_probability_and_gradient, profiled_log_likelihood_and_gradient
from .likelihood import aic, as_stars, log_likelihood
from .models import get_model
from .selection import SelectionGrid

__all__ = ["start_guess", "profiled_log10_mass", "fit_mle", "laplace_errors", "laplace_sigmas"]


def start_guess(model, rng) -> dict:
    """A random but sensible starting point for the optimiser (log10_mass 9, set afterwards).

    The profile draws first, then the geometry, then the profile may refine its draws.
    """
    m = get_model(model)
    g = {**m.profile.draw_start(rng), **m.geometry.draw_start(rng), "log10_mass": 9.0}
    m.profile.refine_start(g, rng)
    return g


def profiled_log10_mass(params: dict, stars, grid: SelectionGrid, model) -> float:
    """log10_mass (log10 Msun) maximising the likelihood at the shape of ``params``: Lambda = N."""
    lam = grid.expected_number(params, model)
    return params["log10_mass"] + np.log10(len(stars) / lam)


def fit_mle(stars, grid: SelectionGrid, model="triaxial_double_break", n_starts: int = 8, rng=None,
            start=None, n_agree: int = 2):
    """Maximum-likelihood fit from several starts (the amplitude is profiled analytically).

    Each start runs L-BFGS-B with the exact gradient of the profiled likelihood
    (`~halo_utils.density.gradient.profiled_log_likelihood_and_gradient`) in the optimiser's
    coordinates scaled by the model's steps, restarted from where it stops until a restart
    gains < 1e-4 in ln L (`~halo_utils.maximization.maximize_with_gradient`). Starts run in
    order (``start`` first) and the rest are skipped once ``n_agree`` of them have ended at
    the best ln L (within 1e-3).

    Parameters
    ----------
    stars : Stars, Table or (3, N) array
        Star positions (Galactocentric, kpc).
    grid : SelectionGrid
        Precomputed selection.
    model : str or DensityModel
        Variant to fit.
    n_starts : int
        Random starting points (plus ``start`` if given).
    rng : numpy.random.Generator
        Source of the starting points (all are drawn, whether or not they run, so the
        generator's state afterwards does not depend on the data).
    start : dict, optional
        An extra starting point (e.g. a previous fit or the truth of a mock).
    n_agree : int
        Starts that must reach the best ln L before the remaining ones are skipped (>= 1; at
        least ``n_starts + 1`` runs every start).

    Returns
    -------
    dict
        ``params`` (all free parameters, including log10_mass), ``log_likelihood``,
        ``model`` (name), ``n_params``, ``aic``, ``n_calls`` (likelihood-and-gradient
        evaluations) and ``n_starts_run``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    n_starts = check_integer("n_starts", n_starts, low=0 if start is not None else 1,
                             why="random starts, besides `start` if given")
    m = get_model(model)
    stars = as_stars(stars)
    check_sample_size(len(stars), m.ndim, f"the {m.name} density model")
    if start is not None:  # a misspelt or impossible start must not silently become a random one
        unknown = sorted(set(start) - set(m.names))
        if unknown:
            raise ValueError(f"fit_mle start has unknown parameter(s) {unknown}; expected names from {list(m.names)}")
        bad = [f"{n} = {start[n]!r} outside [{m.bounds[n][0]:g}, {m.bounds[n][1]:g}]" for n in start
               if n in m.free and not (np.isfinite(start[n]) and m.bounds[n][0] <= start[n] <= m.bounds[n][1])]
        if bad:
            raise ValueError(f"fit_mle start lies outside the prior of {m.name!r}: " + "; ".join(bad))

    guesses = [start_guess(m, rng) for _ in range(n_starts)]
    if start is not None:
        guesses.insert(0, {**start_guess(m, rng), **start})
    best = maximize_with_gradient(lambda x: profiled_log_likelihood_and_gradient(x, stars, grid, m),
                                  [m.to_opt(g) for g in guesses], bounds=m.opt_bounds(), scale=m.opt_steps(),
                                  n_agree=n_agree)
    params = {**m.from_opt(best["x"]), "log10_mass": 9.0}
    params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
    params = {n: params[n] for n in m.free}
    lnl = log_likelihood(params, stars, grid, m)
    return {"params": params, "log_likelihood": lnl, "model": m.name, "n_params": m.ndim,
            "aic": aic(lnl, m.ndim), "n_calls": best["n_calls"], "n_starts_run": best["n_starts_run"]}


def laplace_errors(fit: dict, stars, grid: SelectionGrid) -> dict:
    """Covariance of the free parameters at a maximum-likelihood fit (inverse Hessian).

    The Hessian of ln L in natural units comes from values and exact gradients at
    +- one step of ``model.steps`` along each axis
    (`~halo_utils.maximization.hessian_with_gradient`: 2 x ndim + 1 calls).

    Parameters
    ----------
    fit : dict
        Result of `fit_mle`.
    stars, grid
        As for `fit_mle`.

    Returns
    -------
    dict
        ``names`` (free parameters), ``cov`` (natural units) and ``sigma``
        (``{name: 1-sigma}``). Raises ValueError if ``fit`` is not at a maximum, or sits
        within a step of a prior edge.
    """
    m = get_model(fit["model"])
    stars = as_stars(stars)

    H = hessian_with_gradient(lambda v: log_probability_and_gradient(v, stars, grid, m), m.vector(fit["params"]),
                              [m.steps[n] for n in m.free])
    cov = covariance_from_hessian(H)
    return {"names": m.free, "cov": cov, "sigma": dict(zip(m.free, np.sqrt(np.diag(cov))))}


def laplace_sigmas(fit: dict, stars, grid: SelectionGrid) -> dict:
    """``laplace_errors(fit, stars, grid)["sigma"]``, or NaN for every free parameter where the
    fit is not at a maximum (or sits within a step of a prior edge): a failed fit, counted as
    such instead of stopping a study or a chapter."""
    try:
        return laplace_errors(fit, stars, grid)["sigma"]
    except ValueError:
        return {k: np.nan for k in get_model(fit["model"]).free}
