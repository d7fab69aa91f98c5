"""Recovery of a known truth: how far a fit sits from it, and interval coverage over mocks.

`truth_consistency` asks whether one sample is an ordinary draw of a model with known
parameters; `recovery_fit` fits one mock drawn at a truth and `coverage_table` summarises
many such fits: the fraction of mocks whose Laplace and profile-likelihood intervals contain
the truth, with binomial errors, and the pulls (conventions §10; the statistics are those of
`halo_utils.coverage`).
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from scipy import stats

from ..coverage import binomial_sigma, fraction_inside, pulls, within_sigmas
from .likelihood import as_stars, log_likelihood
from .mle import fit_mle, laplace_sigmas, profiled_log10_mass
from .models import get_model
from .profile_likelihood import profile_likelihood_ratios
from .selection import SelectionGrid

__all__ = ["truth_consistency", "recovery_fit", "laplace_ok", "coverage_table"]


def truth_consistency(stars, grid: SelectionGrid, truth: dict, model="triaxial_double_break", rng=None) -> dict:
    """How far a sample's maximum likelihood sits from a known truth, in the likelihood's own units.

    Fits the sample from the truth (the amplitude profiled), then reports for every shape
    parameter the MLE, its Laplace pull and its profile-likelihood ratio at the truth, and
    the full likelihood ratio ``2 [ln L_max - ln L(truth shape, profiled amplitude)]``,
    chi^2 with (free parameters - 1) degrees of freedom when the truth is right: a small
    p-value means the sample is an unusual draw of the model, or the model is not the
    generator.

    Parameters
    ----------
    stars, grid
        As for `~halo_utils.density.likelihood.log_likelihood`.
    truth : dict
        True shape parameters of ``model`` (natural units; log10_mass is not used).
    model : str or DensityModel
    rng : numpy.random.Generator, optional
        Source of the fit's random start (default: seed 0).

    Returns
    -------
    dict
        ``fit``, ``params`` ({name: {"mle", "truth", "sigma", "pull", "profile_lr"}}),
        ``full_lr``, ``dof`` and ``p_value``.
    """
    m = get_model(model)
    stars = as_stars(stars)
    rng = rng if rng is not None else np.random.default_rng(0)
    shape = {n: float(truth[n]) for n in m.free if n != "log10_mass"}
    at_truth = {**shape, "log10_mass": 9.0}
    at_truth["log10_mass"] = profiled_log10_mass(at_truth, stars, grid, m)
    fit = fit_mle(stars, grid, m, n_starts=0, rng=rng, start=at_truth)
    sigma = laplace_sigmas(fit, stars, grid)  # NaN when not at a maximum
    plr = profile_likelihood_ratios(fit, stars, grid, shape)
    full = max(0.0, 2.0 * (fit["log_likelihood"] - log_likelihood(at_truth, stars, grid, m)))
    dof = len(shape)
    params = {n: {"mle": fit["params"][n], "truth": v, "sigma": float(sigma[n]),
                  "pull": float((fit["params"][n] - v) / sigma[n]), "profile_lr": plr[n]}
              for n, v in shape.items()}
    return {"fit": fit, "params": params, "full_lr": float(full), "dof": dof,
            "p_value": float(stats.chi2.sf(full, dof))}


def recovery_fit(stars, grid: SelectionGrid, truth: dict, model="triaxial_double_break", *, rng) -> dict:
    """Fit a sample drawn at ``truth``; its Laplace errors and profile-likelihood ratios at the truth.

    One maximum-likelihood fit (`fit_mle` started at the truth), the
    Laplace sigmas (NaN when the Hessian is not negative definite: a failed fit) and each
    free parameter's profile-likelihood ratio at its true value.

    Parameters
    ----------
    stars, grid
        As for `~halo_utils.density.likelihood.log_likelihood`.
    truth : dict
        True values of every free parameter of ``model`` (natural units).
    model : str or DensityModel
    rng : numpy.random.Generator
        Source of the fit's random start.

    Returns
    -------
    dict
        A flat row: ``n_stars``, then ``<name>_fit``, ``<name>_sigma`` and ``<name>_plr``
        for each free parameter, the input of `coverage_table`.
    """
    m = get_model(model)
    stars = as_stars(stars)
    fit = fit_mle(stars, grid, m, n_starts=0, rng=rng, start=truth)
    sig = laplace_sigmas(fit, stars, grid)  # NaN when not at a maximum: counted as a failed fit
    plr = profile_likelihood_ratios(fit, stars, grid, {k: truth[k] for k in m.free})
    return {"n_stars": len(stars), **{f"{k}_fit": fit["params"][k] for k in m.free},
            **{f"{k}_sigma": sig[k] for k in m.free}, **{f"{k}_plr": plr[k] for k in m.free}}


def laplace_ok(fits, names) -> np.ndarray:
    """Mocks (rows of `recovery_fit` results) whose Laplace errors are finite for all ``names``."""
    return np.isfinite(np.stack([fits[f"{k}_sigma"] for k in names])).all(axis=0)


def coverage_table(fits, truth: dict, names) -> Table:
    """Coverage of the Laplace and profile-likelihood intervals over many `recovery_fit` rows.

    Laplace intervals (MLE +- k sigma) count only the mocks of `laplace_ok`; profile
    intervals (2 Delta ln L <= 1 for 68.3 %, <= 3.84 for 95 %) count every mock, a NaN
    statistic (no valid constrained start) as a miss. With no mock of `laplace_ok` the
    Laplace columns are NaN (``within_3sigma`` False). The
    binomial sigmas are those of probability 0.68 for the Laplace interval and 0.683 for
    the profile interval.

    Parameters
    ----------
    fits : Table or dict of arrays
        Columns ``<name>_fit``, ``<name>_sigma``, ``<name>_plr`` per parameter.
    truth : dict
        True values (natural units): one per parameter, or an array with one per mock (e.g. a
        mass that differs from mock to mock).
    names : sequence of str
        Parameters to report.

    Returns
    -------
    Table
        One row per parameter: ``n_mocks`` (Laplace), ``coverage_68``, ``binomial_sigma_68``,
        ``within_3sigma``, ``coverage_95``, ``mean_pull``, ``std_pull``,
        ``profile_coverage_68``, ``profile_coverage_95`` and ``profile_within_3sigma``.
    """
    ok = laplace_ok(fits, names)
    rows = []
    for k in names:
        fit_v = np.asarray(fits[f"{k}_fit"])[ok]
        sig_v = np.asarray(fits[f"{k}_sigma"])[ok]
        pull = pulls(fit_v, np.broadcast_to(np.asarray(truth[k], float), ok.shape)[ok], sig_v)
        n = pull.size
        if n:
            laplace = {"coverage_68": fraction_inside(np.abs(pull) <= 1.0),
                       "binomial_sigma_68": binomial_sigma(0.68, n, complement=0.32),
                       "coverage_95": fraction_inside(np.abs(pull) <= 1.96), "mean_pull": float(np.mean(pull)),
                       "std_pull": float(np.std(pull))}
            laplace["within_3sigma"] = bool(within_sigmas(laplace["coverage_68"], 0.68, laplace["binomial_sigma_68"]))
        else:  # no mock with Laplace errors (e.g. one mock, not at a clean maximum): nothing to count
            laplace = {**dict.fromkeys(("coverage_68", "binomial_sigma_68", "coverage_95", "mean_pull", "std_pull"),
                                       float("nan")), "within_3sigma": False}
        plr = np.asarray(fits[f"{k}_plr"])  # every mock: no Hessian needed
        plr68 = fraction_inside(plr <= 1.0)
        rows.append({"parameter": k, "n_mocks": n, "coverage_68": laplace["coverage_68"],
                     "binomial_sigma_68": laplace["binomial_sigma_68"], "within_3sigma": laplace["within_3sigma"],
                     "coverage_95": laplace["coverage_95"], "mean_pull": laplace["mean_pull"],
                     "std_pull": laplace["std_pull"],
                     "profile_coverage_68": plr68, "profile_coverage_95": fraction_inside(plr <= 3.84),
                     "profile_within_3sigma": within_sigmas(plr68, 0.683,
                                                            binomial_sigma(0.683, plr.size, complement=0.317))})
    return Table(rows=rows)
