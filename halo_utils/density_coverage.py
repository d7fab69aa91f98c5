"""Coverage of the density fit over many mocks (chapter 4, part c).

Two kinds of mock. A forward-model mock (`coverage_mock_fit`) is drawn at the truth through
the survey's selection (`halo_utils.mock.forward_mock`): it tests the likelihood and the
optimiser. A full-pipeline mock (`pipeline_mock_fit`) is a whole new mock survey
(`halo_utils.mock.generate_survey`, every component, distance errors, its own tiles), cut into
samples as chapter 1 cuts the default one (`halo_utils.samples.build_samples`) and fitted as
chapter 3 fits it (kinematic completeness, with and without the distance errors folded in): it
tests what chapter 3 runs. Each is fitted by `halo_utils.density.recovery_fit`: maximum
likelihood started at the truth, Laplace errors and each parameter's profile-likelihood ratio
at its true value. The mocks are the tasks of a `halo_utils.studies.run_study`, so mock i
draws and fits with the random stream of ``SeedSequence(seed).spawn(n_mocks)[i]`` and the
table is the same for any number of workers, on this machine or a cluster.

This module sits above the mock (it draws from it) and the density model it fits, beside
`halo_utils.reflex_coverage`, not inside `halo_utils.density`.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from .cuts import SATELLITE_RADIUS_DEG, CutConfig, satellite_mask
from .density import (DensityModel, KinematicCompleteness, SelectionGrid, Stars, apply_completeness, coverage_table,
                      fold_distance_errors, get_model, median_distance_error, recovery_fit, traced_fraction)
from .mock import MockConfig, forward_mock, generate_survey
from .samples import build_samples, selectable_component_mask, true_component_positions
from .studies import mock_seed, run_study

__all__ = ["coverage_mock_fit", "coverage_fits", "PIPELINE_FITS", "LADDER_FITS", "pipeline_mock_fit",
           "pipeline_coverage_fits", "pipeline_coverage"]

#: The two fits of every full-pipeline mock: stars at their observed positions, and with
#: their distance errors folded in (`halo_utils.density.fold_distance_errors`).
PIPELINE_FITS = ("plain", "folded")
#: Two more fits of every full-pipeline mock that locate a bias of the pipeline: every GSE giant
#: the survey selection describes, at its true position and true radius (no errors, no cuts:
#: the model the fit assumes), and the same giants less those the Sagittarius cut of chapter 1
#: removes (its angular-momentum criterion catches some GSE stars in the Sgr band, a loss the
#: selection function does not model).
LADDER_FITS = ("true_positions", "true_minus_sgr")


def coverage_mock_fit(index: int, rng, truth: dict, grid: SelectionGrid,
                      model: str | DensityModel = "triaxial_double_break") -> dict:
    """Draw one mock at ``truth`` with ``rng`` and fit it with the same ``rng`` (one study task).

    Returns ``{"mock": index}`` followed by the row of `~halo_utils.density.recovery_fit`.
    """
    stars = Stars.from_table(forward_mock(truth, grid, rng, model))
    return {"mock": index, **recovery_fit(stars, grid, truth, model, rng=rng)}


def coverage_fits(n_mocks: int, truth: dict, grid: SelectionGrid, model: str | DensityModel = "triaxial_double_break",
                  *, seed: int, scheduler_address: str | None = None, n_workers: int | None = None,
                  progress=True) -> Table:
    """Fit ``n_mocks`` mocks drawn at ``truth`` (`coverage_mock_fit`), as a dask study.

    Parameters
    ----------
    n_mocks : int
        Number of mocks.
    truth : dict
        True values of every free parameter of ``model`` (natural units, ``log10_mass`` included).
    grid : `~halo_utils.density.SelectionGrid`
        The survey's selection grid (sent to each worker once).
    model : str or DensityModel
        The model that draws and fits the mocks.
    seed : int
        Study seed: mock i uses ``numpy.random.SeedSequence(seed).spawn(n_mocks)[i]``.
    scheduler_address, n_workers, progress
        As for `~halo_utils.studies.run_study` (default: a local cluster with one worker
        per core, progress printed with an estimate of the time left).

    Returns
    -------
    `~astropy.table.Table`
        One row per mock, in mock order: ``mock`` and the columns of
        `~halo_utils.density.recovery_fit`, the input of `~halo_utils.density.coverage_table`.
    """
    rows = run_study(coverage_mock_fit, n_mocks, seed=seed, args=(truth, grid, model),
                     scheduler_address=scheduler_address, n_workers=n_workers, progress=progress,
                     label="coverage mocks")
    return Table(rows=rows)


def pipeline_mock_fit(index: int, rng, seed: int, config: MockConfig = MockConfig(), cut_config: CutConfig = CutConfig(),
                      model: str | DensityModel = "triaxial_double_break", orbit_integrator: str = "leapfrog",
                      orbit_dt_myr: float = 1.0) -> dict:
    """One full-pipeline mock: a new mock survey, chapter 1's cuts and chapter 3's fit, both ways.

    The survey is `generate_survey(mock_seed(seed, index), config)`; its GSE sample and the
    sample before the eccentricity cut come from `build_samples` with ``cut_config``; the
    selection grid is built from the mock's own tiles (satellite fields out) times the
    kinematic completeness fitted to that mock, and the sample is fitted with stars at their
    observed positions (``plain``) and with their distance errors folded in (``folded``). The
    truth is the mock's GSE shape, and the log10 mass of the traced population (the mock's
    GSE mass times the fraction of its selectable giants in the sample before the eccentricity
    cut, `~halo_utils.density.traced_fraction`), as chapter 3 compares them.

    The `LADDER_FITS` fit the true positions of the mock's selectable GSE giants through the
    bare survey selection (satellite fields out, no completeness), all of them and less the
    Sagittarius cut's members, against the whole GSE's mass: the step between the two is
    what that cut alone does.

    Parameters
    ----------
    index : int
        Mock number.
    rng : numpy.random.Generator
        Source of the fits' random starts (the survey has its own integer seed).
    seed : int
        The study's seed (`~halo_utils.studies.mock_seed` of it and ``index`` seeds the survey).
    config, cut_config
        The mock survey's and the cuts' settings (defaults: those of the embedded data).
    model : str or DensityModel
    orbit_integrator, orbit_dt_myr
        Orbit integration of the eccentricity cut (`build_samples`; leapfrog at 1 Myr keeps all
        but ~0.2 % of the GSE members that dopri853 keeps, at 1/17 of the cost).

    Returns
    -------
    dict
        ``mock``, ``survey_seed``, ``n_stars``, ``true_log10_mass``, ``n_sgr_cut_gse`` (true
        GSE giants of the ladder's sample that the Sagittarius cut removes), then for each of
        `PIPELINE_FITS` and `LADDER_FITS` the columns of `recovery_fit` prefixed ``"<fit>_"``.
    """
    survey_seed = mock_seed(seed, index)
    tiles, catalog, truth_table = generate_survey(survey_seed, config)
    samples = build_samples(catalog, n_mc=0, rng=rng, orbit_integrator=orbit_integrator, orbit_dt_myr=orbit_dt_myr,
                            config=cut_config)
    gse, parent = samples.gse, samples.gse_parent
    frac = traced_fraction(catalog, selectable_component_mask(catalog, truth_table, "gse"), parent)
    m = get_model(model)
    truth = {k: config.gse[k] for k in m.free if k != "log10_mass"}
    truth["log10_mass"] = config.gse["log10_mass"] + np.log10(frac)
    exclude = satellite_mask(tiles["RA"], tiles["DEC"], SATELLITE_RADIUS_DEG)
    ppos = np.stack([np.asarray(parent[c], float) for c in "xyz"])
    completeness = KinematicCompleteness.fit(ppos, np.asarray(parent["is_gse"], bool))
    plain_grid = apply_completeness(SelectionGrid.from_tiles(tiles, exclude=exclude), completeness)
    folded_grid = apply_completeness(SelectionGrid.from_tiles(tiles, exclude=exclude,
                                                              distance_error=median_distance_error(gse)), completeness)
    fits = {"plain": (Stars.from_table(gse), plain_grid),
            "folded": (fold_distance_errors(gse, folded_grid, completeness=completeness), folded_grid)}
    row = {"mock": index, "survey_seed": survey_seed, "n_stars": len(gse), "true_log10_mass": truth["log10_mass"]}
    for name in PIPELINE_FITS:
        stars, grid = fits[name]
        row.update({f"{name}_{k}": v for k, v in recovery_fit(stars, grid, truth, m, rng=rng).items()})
    is_sgr = np.asarray(samples.stars["is_sgr"], bool)  # catalogue order (build_samples)
    ladder = {"true_positions": true_component_positions(catalog, truth_table, "gse"),
              "true_minus_sgr": true_component_positions(catalog, truth_table, "gse", exclude=is_sgr)}
    row["n_sgr_cut_gse"] = ladder["true_positions"].shape[1] - ladder["true_minus_sgr"].shape[1]
    bare_grid = SelectionGrid.from_tiles(tiles, exclude=exclude)
    whole = {**truth, "log10_mass": config.gse["log10_mass"]}
    for name in LADDER_FITS:
        row.update({f"{name}_{k}": v for k, v in recovery_fit(Stars(ladder[name]), bare_grid, whole, m,
                                                                rng=rng).items()})
    return row


def pipeline_coverage_fits(n_mocks: int, *, seed: int, config: MockConfig = MockConfig(),
                           cut_config: CutConfig = CutConfig(), model: str | DensityModel = "triaxial_double_break",
                           orbit_integrator: str = "leapfrog", orbit_dt_myr: float = 1.0,
                           scheduler_address: str | None = None, n_workers: int | None = None, progress=True) -> Table:
    """Fit ``n_mocks`` full-pipeline mocks (`pipeline_mock_fit`), as a dask study.

    Parameters
    ----------
    n_mocks : int
        Number of mocks.
    seed : int
        Study seed: mock i's survey is seeded with ``mock_seed(seed, i)`` and its fits use
        ``SeedSequence(seed).spawn(n_mocks)[i]``.
    config, cut_config, model, orbit_integrator, orbit_dt_myr
        As for `pipeline_mock_fit`.
    scheduler_address, n_workers, progress
        As for `~halo_utils.studies.run_study`.

    Returns
    -------
    `~astropy.table.Table`
        One row per mock, in mock order (`pipeline_mock_fit`), the input of `pipeline_coverage`.
    """
    rows = run_study(pipeline_mock_fit, n_mocks, seed=seed,
                     args=(seed, config, cut_config, model, orbit_integrator, orbit_dt_myr),
                     scheduler_address=scheduler_address, n_workers=n_workers, progress=progress,
                     label="full-pipeline mocks")
    return Table(rows=rows)


def pipeline_coverage(fits: Table, config: MockConfig = MockConfig(),
                      model: str | DensityModel = "triaxial_double_break") -> dict:
    """`~halo_utils.density.coverage_table` of each of `PIPELINE_FITS` and `LADDER_FITS` over
    full-pipeline mocks.

    The truth of the shape parameters is ``config``'s GSE; that of log10_mass is each mock's
    ``true_log10_mass`` (the traced population's mass, `pipeline_mock_fit`) for the pipeline's
    fits and the whole GSE's mass for the ladder's.

    Returns
    -------
    dict
        ``{fit name: coverage Table}``.
    """
    m = get_model(model)
    truth = {k: config.gse[k] for k in m.free if k != "log10_mass"}
    truth["log10_mass"] = np.asarray(fits["true_log10_mass"], float)
    whole = {**truth, "log10_mass": config.gse["log10_mass"]}
    out = {}
    for name in PIPELINE_FITS + LADDER_FITS:
        prefix = name + "_"
        columns = Table({c[len(prefix):]: fits[c] for c in fits.colnames if c.startswith(prefix)})
        out[name] = coverage_table(columns, truth if name in PIPELINE_FITS else whole, m.free)
    return out
