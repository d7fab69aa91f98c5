"""Coverage of the density fit over many forward-model mocks (chapter 4, part c).

Each mock is drawn at the truth through the survey's selection (`halo_utils.mock.forward_mock`)
and fitted by `halo_utils.density.recovery_fit`: maximum likelihood started at the truth,
Laplace errors and each parameter's profile-likelihood ratio at its true value. The mocks are
the tasks of a `halo_utils.studies.run_study`, so mock i draws and fits with the random
stream of ``SeedSequence(seed).spawn(n_mocks)[i]`` and the table is the same for any number
of workers, on this machine or a cluster.

This module sits above the mock (it draws from it) and the density model it fits, beside
`halo_utils.reflex_coverage`, not inside `halo_utils.density`.
"""

from __future__ import annotations

from astropy.table import Table

from .density import DensityModel, SelectionGrid, Stars, recovery_fit
from .mock import forward_mock
from .studies import run_study

__all__ = ["coverage_mock_fit", "coverage_fits"]


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
