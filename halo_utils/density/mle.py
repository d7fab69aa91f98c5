"""Maximum likelihood for a density model, with the amplitude profiled, and Laplace errors.

At fixed shape the likelihood is maximised by the amplitude that makes Lambda = N, so the
optimiser searches the shape only, in the box-bounded coordinates of
`~halo_utils.density.models.DensityModel.to_opt` (conventions §9).
"""

from __future__ import annotations

import numpy as np

from ..fitting import check_sample_size, laplace_covariance, maximize
from ..validation import check_integer
from .likelihood import aic, as_stars, log_likelihood, log_probability
from .models import get_model
from .selection import SelectionGrid

__all__ = ["start_guess", "profiled_log10_mass", "fit_mle", "laplace_errors"]


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
            start=None, polish: bool = True):
    """Maximum-likelihood fit from several starts (the amplitude is profiled analytically).

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
        Source of the starting points.
    start : dict, optional
        An extra starting point (e.g. a previous fit).
    polish : bool
        Polish the best L-BFGS-B result with Nelder-Mead (slower, more robust at kinks).

    Returns
    -------
    dict
        ``params`` (all free parameters, including log10_mass), ``log_likelihood``,
        ``model`` (name), ``n_params`` and ``aic``.
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

    def profiled(x):
        shape = m.from_opt(x)
        params = {**shape, "log10_mass": 9.0}
        if m.problems(params):
            return -np.inf
        params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
        return log_probability(m.vector(params), stars, grid, m)

    guesses = [start_guess(m, rng) for _ in range(n_starts)]
    if start is not None:
        guesses.insert(0, {**start_guess(m, rng), **start})
    starts = [m.to_opt(g) for g in guesses]
    x, _, _ = maximize(profiled, starts, bounds=m.opt_bounds(), polish=polish)
    shape = m.from_opt(x)
    params = {**shape, "log10_mass": 9.0}
    params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
    params = {n: params[n] for n in m.free}
    lnl = log_likelihood(params, stars, grid, m)
    return {"params": params, "log_likelihood": lnl, "model": m.name, "n_params": m.ndim,
            "aic": aic(lnl, m.ndim)}


def laplace_errors(fit: dict, stars, grid: SelectionGrid) -> dict:
    """Covariance of the free parameters at a maximum-likelihood fit (inverse Hessian).

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
        (``{name: 1-sigma}``). Raises ValueError if ``fit`` is not at a maximum.
    """
    m = get_model(fit["model"])
    stars = as_stars(stars)
    x = m.vector(fit["params"])
    cov = laplace_covariance(lambda v: log_probability(v, stars, grid, m), x, [m.steps[n] for n in m.free])
    return {"names": m.free, "cov": cov, "sigma": dict(zip(m.free, np.sqrt(np.diag(cov))))}
