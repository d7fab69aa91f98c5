"""Coverage of the reflex fit over many mocks drawn from one *population* truth.

Each mock is a new draw of the outer-halo survey (`halo_utils.mock.generate_outer_halo`,
messy by default) from a truth whose parameters do not change with radius, so that the
constant model is the right model; each is selected and fitted by maximum likelihood with
Laplace bands, with and without the outlier mixture. The mocks are the tasks of a
`halo_utils.studies.run_study` (a local dask cluster, or a running one); mock i is seeded
from (seed, i), so the results do not depend on how many workers run them.

This module sits above the mock (it draws from it) and the reflex models it fits, so it lives
beside the mock at the top of the package, not inside `halo_utils.reflex`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from astropy.table import Table

from .coverage import binomial_p_value, binomial_sigma, fraction_inside, pulls, within_sigmas
from .mock import OuterHaloConfig, constant_reflex_truth, generate_outer_halo, reflex_truth_vector
from .reflex import OuterHaloCuts, OutlierMixture, ReflexFit, ReflexModel, fit_reflex, select_outer_halo
from .studies import mock_seed, run_study

__all__ = ["COVERAGE_QUANTITIES", "coverage_mocks", "coverage_summary"]

#: Quantities whose intervals the coverage study checks (at the report radius).
COVERAGE_QUANTITIES = ("v_travel", "l_apex", "b_apex", "sigma_los", "sigma_l", "sigma_b")


def _one_mock(index, _rng, seed, config, cuts, r_kpc, n_starts, fit_kwargs, likelihoods):
    # a study task; it keeps this module's own seeding from (seed, index), not the study's stream
    cat, truth = generate_outer_halo(mock_seed(seed, index), config)
    mask, _ = select_outer_halo(cat, cuts)
    sample = cat[mask]
    true_fit = ReflexFit.point(ReflexModel("linear", tuple(config.truth["r_nodes"]), None),
                               reflex_truth_vector(config.truth))
    true_at = true_fit.at(r_kpc)
    comp = np.asarray(truth["component"])[mask]
    injected = float(np.mean(np.isin(comp, ("outlier", "wrong_distance"))))
    rows = []
    for label in likelihoods:
        outliers = OutlierMixture() if label == "mixture" else None
        fit = fit_reflex(sample, "constant", "mle", np.random.default_rng([seed, index]), outliers=outliers,
                         n_starts=n_starts, **fit_kwargs)
        at = fit.at(r_kpc)
        row = {"mock": index, "likelihood": label, "n_stars": len(sample), "injected_outlier_fraction": injected}
        for q in COVERAGE_QUANTITIES + (("f_out",) if outliers is not None else ()):
            p50, p16, p84 = at[q]
            row[f"{q}_p50"], row[f"{q}_p16"], row[f"{q}_p84"] = p50, p16, p84
            if q in true_at:
                row[f"{q}_truth"] = true_at[q][0]
                row[f"{q}_in68"] = fit.covers(r_kpc, q, true_at[q][0], 68.0)
        rows.append(row)
    return rows


def coverage_mocks(n_mocks: int, *, seed: int = 0, config: OuterHaloConfig | None = None,
                   cuts: OuterHaloCuts = OuterHaloCuts(r_range=(40.0, 120.0), clip=False, sgr_cut="sky"),
                   r_kpc: float = 100.0, n_starts: int = 2, n_procs: int | None = 1, progress=print,
                   fit_kwargs: dict | None = None, likelihoods=("mixture", "gaussian"),
                   scheduler_address: str | None = None) -> Table:
    """Fit ``n_mocks`` messy mocks of a constant-model truth, with and without the mixture.

    Parameters
    ----------
    n_mocks : int
        Number of mocks (each a new population draw).
    seed : int
        Study seed; mock i uses the seed ``seed * 100003 + i`` and its fit ``(seed, i)``.
    config : `~halo_utils.mock.OuterHaloConfig`, optional
        Mock configuration; its truth is replaced by `constant_reflex_truth` of its truth
        at ``r_kpc`` (default: the default messy mock).
    cuts : `OuterHaloCuts`
        Selection (default 40-120 kpc without the binned pre-fit clipping, so that the
        outliers reach the fit, where the mixture has to deal with them, and with the sky
        cut of Sagittarius, which selects on position only: S004's angular-momentum cut
        selects on velocity and biases the apex, which this study would measure too).
    n_procs : int or None
        Worker processes of the local dask cluster (None: one per core); results are
        identical for any number.
    progress : callable or None
        Called with a one-line report (mocks done, elapsed time, time left) after each mock.
    fit_kwargs : dict, optional
        Further arguments of `fit_reflex` (``distance_term``, ``distance_prior``, ``frame``...).
    likelihoods : tuple
        Which fits to run per mock: ``"mixture"`` (the outlier mixture) and/or ``"gaussian"``.
    scheduler_address : str, optional
        A running dask scheduler to send the mocks to instead of the local cluster
        (`~halo_utils.studies.run_study`).

    Returns
    -------
    `~astropy.table.Table`
        One row per (mock, likelihood): medians, 16/84 percentiles, truths and whether each
        68 % interval contains its truth (``<q>_in68``).
    """
    if int(n_mocks) != n_mocks or n_mocks < 1:
        raise ValueError(f"n_mocks must be a positive integer, got {n_mocks!r}")
    unknown = set(likelihoods) - {"mixture", "gaussian"}
    if unknown or not likelihoods:
        raise ValueError(f"likelihoods must name 'mixture' and/or 'gaussian', got {likelihoods!r}")
    config = OuterHaloConfig() if config is None else config
    config = replace(config, truth=constant_reflex_truth(r_kpc, config.truth))
    per_mock = run_study(_one_mock, int(n_mocks), seed=seed,
                         args=(seed, config, cuts, r_kpc, n_starts, dict(fit_kwargs or {}), tuple(likelihoods)),
                         scheduler_address=scheduler_address, n_workers=n_procs, progress=progress or False,
                         label="reflex coverage mocks")
    return Table(rows=[row for rows in per_mock for row in rows])


def coverage_summary(table: Table, level: float = 0.68) -> Table:
    """Coverage of the reflex intervals over the mocks of `coverage_mocks`.

    Per likelihood and quantity: the fraction of mocks whose ``level`` interval contains the
    truth, its binomial standard deviation, whether it lies within 3 of them of ``level``,
    the two-sided binomial p-value, and the mean and spread of the pulls
    ((p50 - truth) / half the 16-84 width; l_apex wrapped by 360 deg). The statistics are
    those of `halo_utils.coverage` (conventions §10).
    """
    rows = []
    for label in np.unique(table["likelihood"]):
        t = table[table["likelihood"] == label]
        n = len(t)
        sigma = binomial_sigma(level, n)
        for q in COVERAGE_QUANTITIES:
            frac = fraction_inside(t[f"{q}_in68"])
            half = 0.5 * (np.asarray(t[f"{q}_p84"]) - np.asarray(t[f"{q}_p16"]))
            pull = pulls(np.asarray(t[f"{q}_p50"]), np.asarray(t[f"{q}_truth"]), half,
                         period=360.0 if q == "l_apex" else None)
            rows.append({"likelihood": str(label), "quantity": q, "n_mocks": n, "coverage": frac,
                         "binomial_sigma": sigma, "within_3_sigma": bool(within_sigmas(frac, level, sigma)),
                         "p_value": binomial_p_value(round(frac * n), n, level),
                         "mean_pull": float(np.mean(pull)), "std_pull": float(np.std(pull))})
    return Table(rows=rows)
