"""Whether the suite's posteriors are calibrated: coverage and simulation-based calibration on
held-out simulations (conventions §14).

For simulations not used in training, with their true parameters known, a calibrated
posterior puts the truth inside its central 68 % (95 %) interval in 68 % (95 %) of cases,
within binomial errors (expected coverage), and the rank of the truth among the posterior
samples, i.e. the fraction of samples below it, is uniform on [0, 1] (simulation-based
calibration, Talts et al. 2018): a rank histogram that is U-shaped says the posteriors are
too narrow, a peaked one too wide, a tilted one biased. Flatness is judged by Pearson's
chi-square against equal counts.

A posterior predictive check asks the converse: do simulations at the posterior's
parameters, observed as the data were, give statistics like the data's
(`predictive_check`)? A statistic the data put far outside its predictive spread is one the
model (the rigid potentials, the tracers, the observation) does not reproduce, whatever the
posterior says. (The check is conservative: the data chose the parameters it is compared at.)
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from scipy import stats

from ..progress import Progress
from ..validation import check_array, check_integer
from .emulator import POSTERIOR_NAMES, SuiteInference

__all__ = ["held_out_calibration", "rank_uniformity", "predictive_check"]


def held_out_calibration(inference: SuiteInference, statistics, truths: dict, *, levels=(68.0, 95.0), seed: int = 0,
                         report_progress: bool = False) -> Table:
    """The posterior of each held-out simulation against its truth.

    Parameters
    ----------
    inference : SuiteInference
        Trained on other simulations.
    statistics : array_like (n, m)
        The held-out simulations' statistics.
    truths : dict
        Name (of `POSTERIOR_NAMES`) -> the n true values.
    levels : sequence of float
        Interval levels, %.
    seed : int
        Posterior ``i`` is sampled with seed ``seed + i``.

    Returns
    -------
    Table
        One row per simulation: per name, ``rank_<name>``, ``median_<name>`` and, per level,
        ``in<level>_<name>`` (bool); ``converged``.
    """
    if not isinstance(inference, SuiteInference):
        raise TypeError(f"inference must be a SuiteInference, got {type(inference).__name__}")
    statistics = check_array("statistics", statistics, ndim=2, finite=False)
    unknown = sorted(set(truths) - set(POSTERIOR_NAMES))
    if unknown:
        raise ValueError(f"truths has unknown names {unknown}; known: {list(POSTERIOR_NAMES)}")
    truths = {k: check_array(f"truths[{k!r}]", v, shape=(len(statistics),)) for k, v in truths.items()}
    rows = []
    report = Progress("held-out posteriors", len(statistics), enabled=report_progress)
    for i, stat in enumerate(statistics):
        post = inference.posterior(stat, seed=seed + i)
        row = {"converged": post.converged}
        for name, values in truths.items():
            row[f"rank_{name}"] = post.rank(name, values[i])
            row[f"median_{name}"] = post.median(name)
            for level in levels:
                row[f"in{level:g}_{name}"] = post.contains(name, values[i], level)
        rows.append(row)
        report.update(i + 1)
    return Table(rows=rows)


def rank_uniformity(ranks, n_bins: int = 10) -> dict:
    """Pearson's chi-square of the rank histogram against equal counts.

    Returns ``{"counts", "chi2", "dof", "p_value"}``; ``n_bins`` (>= 2) equal bins on [0, 1].
    """
    ranks = check_array("ranks", ranks, ndim=1, low=0, high=1, min_size=1)
    n_bins = check_integer("n_bins", n_bins, low=2)
    counts, _ = np.histogram(ranks, bins=n_bins, range=(0.0, 1.0))
    expected = ranks.size / n_bins
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    return {"counts": counts, "chi2": chi2, "dof": n_bins - 1, "p_value": float(stats.chi2.sf(chi2, n_bins - 1))}


def predictive_check(observed, predictive, names=None, *, seed: int = 0) -> Table:
    """Each statistic of a catalogue against its posterior predictive distribution.

    Parameters
    ----------
    observed : array_like (m,)
        The catalogue's statistics (NaN: not measured).
    predictive : array_like (k, m)
        The same statistics of k >= 5 simulations at posterior samples, observed as the
        catalogue was (`~halo_utils.lmc_suite.run_predictive`).
    names : sequence of str, optional
        The statistics' names.
    seed : int
        Seed of the ranks' randomisation (below).

    Returns
    -------
    Table
        One row per statistic measured in the catalogue and in at least 5 of the simulations:
        ``name``, ``observed``, ``n`` (the simulations that measured it), the predictive
        ``mean`` and ``std``, ``z`` = (observed - mean) / std, ``rank`` (the randomised
        probability integral transform (r + U) / (n + 1), r the number of simulations below
        the observed value and U uniform on [0, 1): continuous, so that a histogram of any bins
        is flat when the observed value is exchangeable with the simulated ones) and
        ``outside`` (the observed value beyond every simulation's). ``meta["n_simulations"]``
        is k and ``meta["dropped"]`` lists the statistics not compared.

    Notes
    -----
    Were the simulations at the catalogue's *true* parameters, ``outside`` would be true for a
    fraction 2 / (n + 1) of the statistics and ``z`` would have an rms of
    sqrt((1 + 1/n) (n - 1) / (n - 3)) for Gaussian statistics (a Student t: the predictive
    mean and sd come from n draws); ``meta["expected_outside"]`` and ``meta["expected_z_rms"]``
    give both for n = k. At posterior samples the catalogue has been used twice (to find the
    parameters, then to be compared), so a model that fits gives fewer outliers and a
    smaller rms z than these: they are upper references, and a catalogue that exceeds them
    clearly is one the model does not reproduce. The ranks of many statistics against the
    same k simulations are correlated, so a chi-square of their histogram is descriptive, not
    a test.
    """
    predictive = check_array("predictive", predictive, ndim=2, finite=False)
    observed = check_array("observed", observed, shape=(predictive.shape[1],), finite=False)
    if predictive.shape[0] < 5:
        raise ValueError(f"predictive needs at least 5 simulations, got {predictive.shape[0]}")
    names = [f"statistic {j}" for j in range(observed.size)] if names is None else list(names)
    if len(names) != observed.size:
        raise ValueError(f"names must name the {observed.size} statistics, got {len(names)}")
    present = np.isfinite(predictive)
    jitter = np.random.default_rng(check_integer("seed", seed, low=0)).uniform(size=observed.size)
    usable = np.isfinite(observed) & (present.sum(axis=0) >= 5)
    rows = []
    for j in np.flatnonzero(usable):
        values = predictive[present[:, j], j]
        mean, std = float(values.mean()), float(values.std(ddof=1))
        rows.append({"name": names[j], "observed": float(observed[j]), "n": int(values.size), "mean": mean, "std": std,
                     "z": (observed[j] - mean) / std if std > 0 else np.nan,
                     "rank": float((np.sum(values < observed[j]) + jitter[j]) / (values.size + 1)),
                     "outside": bool(observed[j] < values.min() or observed[j] > values.max())})
    columns = ("name", "observed", "n", "mean", "std", "z", "rank", "outside")
    table = Table(rows=rows, names=columns) if rows else \
        Table(names=columns, dtype=(str, float, int, float, float, float, float, bool))
    k = predictive.shape[0]
    table.meta["n_simulations"] = int(k)
    table.meta["expected_outside"] = 2.0 / (k + 1)
    table.meta["expected_z_rms"] = float(np.sqrt((1 + 1 / k) * (k - 1) / (k - 3)))
    table.meta["dropped"] = [names[j] for j in np.flatnonzero(~usable)]
    return table
