"""The LMC's mass from the outer halo's reflex, calibrated on the Milky Way + LMC simulations.

The summary of a data set is the Cartesian travel vector (v_x, v_y, v_z), km/s, of the
constant reflex model's maximum-likelihood fit (`travel_summary`): one vector for the whole
fitted range, which, unlike the speed alone, is not biased upwards by noise when the reflex
is small. `simulation_summaries` computes the same summary on many mocks of every simulated
LMC mass (`halo_utils.mock.generate_simulated_outer_halo`: the data's surveys, footprints,
errors and imperfections, then the data's cuts and fit), as the tasks of a dask study;
`estimate_lmc_mass` turns them into a synthetic likelihood
(`halo_utils.lmc.inference.SyntheticLikelihood`) and returns the posterior of the mass for
an observed summary (conventions §14).

The mocks of one mass differ in which particles they observe, their errors and their
imperfections, not in the simulated halo: the suite is one halo per mass, so the scatter of
halo realisations (cosmic variance) is not in the likelihood.

This module draws mocks and fits the reflex model, so it sits at the top of the package
beside `halo_utils.reflex_coverage`.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from .lmc.inference import MassPosterior, SyntheticLikelihood
from .mock import OuterHaloConfig, generate_simulated_outer_halo, particles_of_mass
from .reflex import (DISTANCE_EDGES_KPC, KinematicStatistics, OuterHaloCuts, OutlierMixture, ReflexFit, fit_reflex,
                     galactic_velocities, kinematic_statistics, select_outer_halo)
from .studies import mock_seed, run_study
from .validation import check_integer, check_table

__all__ = ["SUMMARY_NAMES", "travel_summary", "kinematic_summary", "simulation_summaries", "estimate_lmc_mass",
           "leave_one_out_coverage"]

#: The summary statistic: the constant model's Cartesian travel vector, km/s.
SUMMARY_NAMES = ("v_travel_x", "v_travel_y", "v_travel_z")


def travel_summary(table: Table, cuts: OuterHaloCuts, rng, *, outliers: OutlierMixture | None = OutlierMixture(),
                   **fit_kwargs) -> np.ndarray:
    """The summary of one catalogue: select with ``cuts``, fit the constant reflex model by
    maximum likelihood, return its travel vector (v_x, v_y, v_z), km/s, Galactocentric axes.

    ``fit_kwargs`` go to `~halo_utils.reflex.fit_reflex` (distance treatment, starts, frame);
    the data and the simulation mocks must use the same.
    """
    mask, _ = select_outer_halo(table, cuts, frame=fit_kwargs.get("frame"))
    fit = fit_reflex(table[mask], "constant", "mle", rng, outliers=outliers, **fit_kwargs)
    best = ReflexFit.point(fit.model, fit.best).draws_at(100.0)  # constant model: any radius
    return np.array([float(best[name][0]) for name in SUMMARY_NAMES])


def kinematic_summary(table: Table, cuts: OuterHaloCuts, *, frame=None, edges=DISTANCE_EDGES_KPC,
                      min_count: int = 5) -> KinematicStatistics:
    """The binned kinematic statistics of one catalogue (`~halo_utils.reflex.kinematic_statistics`):
    select with ``cuts``, compute each star's v_GSR, v_l, v_b in the solar ``frame``, then
    count, average and take the dispersion in sky quadrants and distance ``edges`` (kpc).

    The same call on a simulation's mock catalogue (`~halo_utils.mock.generate_simulated_outer_halo`)
    gives its statistics with the data's errors and selection folded in, measured exactly as
    the data's.
    """
    mask, _ = select_outer_halo(table, cuts, frame=frame)
    return kinematic_statistics(galactic_velocities(table[mask], frame=frame), edges, min_count=min_count)


def _one_mock(index, _rng, seed, suite, n_mocks, config, cuts, fit_kwargs):
    # a study task, seeded from (seed, index) like halo_utils.reflex_coverage
    j, rep = divmod(index, n_mocks)
    mass, pos, vel = suite[j]
    catalog, _ = generate_simulated_outer_halo(mock_seed(seed, index), pos, vel, config)
    summary = travel_summary(catalog, cuts, np.random.default_rng([seed, index]), **fit_kwargs)
    return {"lmc_mass": mass, "mock": rep, **dict(zip(SUMMARY_NAMES, summary.tolist()))}


def simulation_summaries(particles: Table, n_mocks: int, *, seed: int = 0, masses=None,
                         config: OuterHaloConfig | None = None,
                         cuts: OuterHaloCuts = OuterHaloCuts(r_range=(40.0, 120.0), clip=False),
                         scheduler_address: str | None = None, n_workers: int | None = None,
                         report_progress: bool = True, **fit_kwargs) -> Table:
    """`travel_summary` of ``n_mocks`` mocks of every simulated mass.

    Parameters
    ----------
    particles : Table
        The simulation's particles (`halo_utils.lmc.simulate`, column ``lmc_mass`` and
        positions and velocities).
    n_mocks : int
        Mocks per mass (each mass needs at least 5 for the covariance of three summaries).
    seed : int
        Seed of the study: mock ``i`` is drawn and fitted from ``(seed, i)``, so the table
        does not depend on the number of workers.
    masses : sequence of float, optional
        LMC masses (Msun) to use; default every mass in ``particles``.
    config : OuterHaloConfig, optional
        Surveys, errors and imperfections of the mocks (default: chapter 5's).
    cuts : OuterHaloCuts
        The data's selection.
    scheduler_address, n_workers, report_progress
        As for `~halo_utils.studies.run_study`.
    **fit_kwargs
        As for `travel_summary`.

    Returns
    -------
    Table
        One row per mock: ``lmc_mass`` (Msun), ``mock``, and the `SUMMARY_NAMES` (km/s).
    """
    check_table("particles", particles, ("lmc_mass", "x", "y", "z", "vx", "vy", "vz"))
    n_mocks = check_integer("n_mocks", n_mocks, low=1)
    masses = np.unique(np.asarray(particles["lmc_mass"], float)) if masses is None else masses
    suite = [(float(m), *particles_of_mass(particles, m)) for m in masses]
    rows = run_study(_one_mock, len(suite) * n_mocks, seed=seed,
                     args=(seed, suite, n_mocks, config or OuterHaloConfig(), cuts, fit_kwargs),
                     scheduler_address=scheduler_address, n_workers=n_workers, progress=report_progress,
                     label="LMC-mass calibration mocks")
    return Table(rows=rows, names=["lmc_mass", "mock", *SUMMARY_NAMES])


def estimate_lmc_mass(summaries: Table, observed, n_grid: int = 1001) -> MassPosterior:
    """Posterior of the LMC mass (Msun) for an ``observed`` summary (`travel_summary` of the
    data), from the `simulation_summaries` table; uniform prior over the simulated masses."""
    check_table("summaries", summaries, ("lmc_mass", *SUMMARY_NAMES))
    likelihood = SyntheticLikelihood(summaries["lmc_mass"], np.column_stack([summaries[n] for n in SUMMARY_NAMES]))
    return likelihood.posterior(observed, n_grid=n_grid)


def leave_one_out_coverage(summaries: Table, levels=(68.0, 95.0)) -> Table:
    """How often the interval holds the true mass, each calibration mock in turn treated as data.

    Mock i's summary is weighed with the synthetic likelihood of all the other mocks; one row
    per simulated mass with ``n`` and, per level, ``coverage_<level>`` (fraction of that mass's
    mocks whose highest-density interval holds the mass) and ``median`` (over those mocks,
    of the posterior median, Msun). A calibrated
    estimate holds the mass at the nominal rates (within binomial errors), apart from the
    edges of the prior, where a highest-density interval that reaches the edge counts as
    holding it.
    """
    check_table("summaries", summaries, ("lmc_mass", *SUMMARY_NAMES))
    masses = np.asarray(summaries["lmc_mass"], float)
    values = np.column_stack([summaries[n] for n in SUMMARY_NAMES])
    hits = np.zeros((len(masses), len(levels)), bool)
    medians = np.empty(len(masses))
    for i in range(len(masses)):
        keep = np.arange(len(masses)) != i
        post = SyntheticLikelihood(masses[keep], values[keep]).posterior(values[i])
        hits[i] = [post.contains(masses[i], level) for level in levels]
        medians[i] = post.median
    rows = []
    for m in np.unique(masses):
        sel = masses == m
        rows.append({"lmc_mass": m, "n": int(sel.sum()), "median": float(np.median(medians[sel])),
                     **{f"coverage_{level:g}": float(hits[sel, j].mean()) for j, level in enumerate(levels)}})
    return Table(rows=rows)
