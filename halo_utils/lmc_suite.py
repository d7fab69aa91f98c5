"""The simulation suite of the LMC- and Milky-Way-mass inference: prior draws, one Milky Way +
LMC simulation each, and the statistics a catalogue gives (conventions §14).

Simulation ``i`` of a suite with seed ``s`` is a task of a dask study
(`~halo_utils.studies.run_study`) with its own random stream, spawned from ``(s, i)``: it draws
its parameters from the prior (`~halo_utils.lmc.suite.SuitePrior`), runs the simulation
(`~halo_utils.lmc.suite.simulate_draw`), measures the travel velocity at 100 kpc directly
from the particles, then observes the particles as the data were observed
(`~halo_utils.mock.generate_simulated_outer_halo`: the surveys' footprints, radial
selections, errors, zero points, outliers and Sagittarius debris) and reduces the mock
catalogue with the data's cuts to the binned kinematic statistics
(`~halo_utils.lmc_mass.kinematic_summary`). Errors and selection are thereby inside the
simulated statistics, not added afterwards; each simulation is observed once, so the
statistics scatter from one simulation to the next by the halo's particles *and* by the
observation, as the data would.

Because simulation i depends only on (s, i) and the settings, the suite's table does not
depend on the number of workers, a suite of n simulations is the first n rows of a larger
one, and with a ``cache_dir`` every finished simulation is stored at once and a rerun or a
grown suite only runs the missing ones (the key fingerprints every setting).

`run_predictive` runs the same simulations at given parameters instead of prior draws (the
posterior predictive check of a catalogue's statistics, `~halo_utils.lmc.predictive_check`).

This module draws mocks, so it sits at the top of the package beside `halo_utils.lmc_mass`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from astropy.table import Table

from .fingerprint import file_sha256, fingerprint
from .lmc.suite import PRIOR_PARAMETERS, SuiteConfig, SuitePrior, derived_masses, simulate_draw, travel_at
from .lmc_mass import kinematic_summary
from .mock import OuterHaloConfig, generate_simulated_outer_halo
from .provenance import package_versions
from .reflex import DISTANCE_EDGES_KPC, OuterHaloCuts
from .studies import mock_seed, run_study
from .validation import check_choice, check_integer, check_real, check_table

__all__ = ["TRUTH_NAMES", "SkyView", "VIEWS", "SuiteSettings", "catalog_statistics", "run_suite", "suite_task",
           "run_predictive", "predictive_task", "suite_arrays"]

#: What each simulation's row holds besides its statistics: the drawn parameters, the masses
#: within 50 kpc (Msun), the travel velocity (km/s) and its apex (deg) measured from the
#: particles in `SuiteConfig.travel_shell`.
TRUTH_NAMES = PRIOR_PARAMETERS + ("lmc_mass_50", "mw_mass_50", "v_travel_100", "l_apex_100", "b_apex_100")


@dataclass(frozen=True)
class SkyView:
    """The part of a catalogue its statistics are computed from.

    Attributes
    ----------
    dec_min : float
        Only stars at declination >= ``dec_min`` (deg): -20 keeps what the northern
        hemisphere's telescopes observe (S004 appendix B), -90 everything.
    r_max : float or None
        Outermost distance edge, kpc: the shells beyond it are not used (None: every shell).
    """

    dec_min: float = -90.0
    r_max: float | None = None

    def __post_init__(self):
        check_real("dec_min", self.dec_min, low=-90, high=90, unit="deg")
        if self.r_max is not None:
            check_real("r_max", self.r_max, low=0, low_open=True, unit="kpc")


#: The views every simulation's statistics are computed for: the whole catalogue, what the
#: north sees (dec > -20 deg, S004 appendix B) and the catalogue without the shell beyond
#: 100 kpc (the depth that MagE added).
VIEWS = {"all-sky": SkyView(), "north": SkyView(dec_min=-20.0), "shallow": SkyView(r_max=100.0)}

_PACKAGE = Path(__file__).resolve().parent
#: The package's files and subpackages a simulation of the suite runs through (not the
#: inference, which is fitted afresh to the cached statistics).
_SIMULATION_SOURCES = ("lmc/bodies.py", "lmc/milky_way.py", "lmc/tracers.py", "lmc/particles.py", "lmc/shells.py",
                       "lmc/suite.py", "mock", "reflex", "frames", "survey", "dynamics.py", "catalog.py", "cuts.py",
                       "validation.py", "lmc_mass.py", "lmc_suite.py")


class SuiteSettings:
    """Everything a simulation of the suite depends on besides its seed and index.

    Parameters
    ----------
    prior : SuitePrior
    config : SuiteConfig
        The simulation's particles and integration.
    mock : OuterHaloConfig
        How the particles are observed (default: chapter 5's outer-halo mock).
    cuts : OuterHaloCuts
        The data's selection.
    edges : sequence of float
        Distance shells of the statistics, kpc.
    min_count : int
        Fewest stars for a cell's mean and dispersion.
    """

    def __init__(self, prior: SuitePrior = SuitePrior(), config: SuiteConfig = SuiteConfig(),
                 mock: OuterHaloConfig | None = None, cuts: OuterHaloCuts = OuterHaloCuts(),
                 edges=DISTANCE_EDGES_KPC, min_count: int = 5):
        for name, value, kind in (("prior", prior, SuitePrior), ("config", config, SuiteConfig),
                                  ("cuts", cuts, OuterHaloCuts)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
        mock = OuterHaloConfig() if mock is None else mock
        if not isinstance(mock, OuterHaloConfig):
            raise TypeError(f"mock must be an OuterHaloConfig, got {type(mock).__name__}")
        self.prior, self.config, self.mock, self.cuts = prior, config, mock, cuts
        self.edges = tuple(float(e) for e in edges)
        self.min_count = check_integer("min_count", min_count, low=2)

    def key(self) -> str:
        """Fingerprint of every setting, of the code that simulates and observes, and of the
        scientific stack's versions (the cache's key: a cached simulation is reused only by
        the same code with the same settings)."""
        return fingerprint({"prior": asdict(self.prior), "config": self.config.as_dict(), "mock": asdict(self.mock),
                            "cuts": asdict(self.cuts), "edges": self.edges, "min_count": self.min_count,
                            "code": _simulation_code(), "versions": package_versions()})


def _simulation_code() -> dict:
    """SHA-256 of every source file a simulation of the suite runs through (by relative path)."""
    files = []
    for name in _SIMULATION_SOURCES:
        path = _PACKAGE / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return {str(p.relative_to(_PACKAGE)): file_sha256(p) for p in files}


def catalog_statistics(catalog: Table, settings: SuiteSettings, view: str = "all-sky"):
    """The statistics of a catalogue in one of the `VIEWS`, exactly as the suite's simulations
    have them: the stars of the view (declination), the data's cuts, the shells up to the
    view's depth (`~halo_utils.lmc_mass.kinematic_summary`).

    Returns
    -------
    `~halo_utils.reflex.KinematicStatistics`
    """
    check_table("catalog", catalog, ("DEC",))
    sky = VIEWS[check_choice("view", view, tuple(VIEWS))]
    edges = [e for e in settings.edges if sky.r_max is None or e <= sky.r_max]
    if len(edges) < 2:
        raise ValueError(f"view {view!r} keeps fewer than two distance edges of {settings.edges}")
    keep = np.asarray(catalog["DEC"], float) >= sky.dec_min
    return kinematic_summary(catalog[keep], settings.cuts, edges=edges, min_count=settings.min_count)


def _simulate_and_observe(index: int, parameters: dict, rng, seed: int, settings: SuiteSettings) -> dict:
    """One simulation at ``parameters``: its truths and the statistics of every view."""
    pos, vel, _ = simulate_draw(parameters, rng, settings.config)
    lmc_50, mw_50 = derived_masses(parameters["lmc_mass"], parameters["halo_mass_factor"])
    travel = travel_at(pos, vel, settings.config.travel_shell)
    catalog, _ = generate_simulated_outer_halo(mock_seed(seed, index), pos, vel, settings.mock)
    statistics = {}
    for view in VIEWS:
        stats = catalog_statistics(catalog, settings, view)
        statistics.update({f"{view}:{name}": value for name, value in zip(stats.names(), stats.vector())})
    return {"simulation": index, **parameters, "lmc_mass_50": float(lmc_50), "mw_mass_50": float(mw_50),
            "v_travel_100": travel["v_travel"], "l_apex_100": travel["l_apex"], "b_apex_100": travel["b_apex"],
            "statistics": statistics}


def suite_task(index: int, rng, seed: int, settings: SuiteSettings) -> dict:
    """Simulation ``index`` of the suite (a `run_study` task): its parameters drawn from the
    prior, its truths and the statistics of every view."""
    return _simulate_and_observe(index, settings.prior.draw(rng), rng, seed, settings)


def predictive_task(index: int, rng, seed: int, settings: SuiteSettings, parameters: tuple) -> dict:
    """Simulation ``index`` of a posterior predictive set (a `run_study` task): at the
    parameters ``parameters[index]`` (a dict of the `~halo_utils.lmc.PRIOR_PARAMETERS`)."""
    return _simulate_and_observe(index, dict(parameters[index]), rng, seed, settings)


def run_suite(n_simulations: int, *, seed: int = 0, settings: SuiteSettings | None = None,
              cache_dir=None, scheduler_address: str | None = None, n_workers: int | None = None,
              report_progress: bool = True) -> Table:
    """Run the first ``n_simulations`` simulations of the suite of ``seed``.

    Parameters
    ----------
    n_simulations : int
        Simulations (>= 1).
    seed : int
        Seed of the suite.
    settings : SuiteSettings, optional
        Prior, simulation, observation, cuts and bins (default `SuiteSettings()`).
    cache_dir : str or Path, optional
        Folder of the simulation cache (see the module docstring); None: no cache.
    scheduler_address, n_workers, report_progress
        As for `~halo_utils.studies.run_study` (a `distributed.LocalCluster` by default).

    Returns
    -------
    Table
        One row per simulation: ``simulation`` (its index), the `TRUTH_NAMES` and one column
        per statistic and view, ``"<view>:<name>"`` (`~halo_utils.reflex.KinematicStatistics.names`,
        km/s; NaN in a cell with too few stars). ``meta["STATISTICS"]`` maps each view to
        its columns, ``meta["SETTINGS_KEY"]`` is the settings' fingerprint.
    """
    n_simulations = check_integer("n_simulations", n_simulations, low=1)
    settings = SuiteSettings() if settings is None else settings
    if not isinstance(settings, SuiteSettings):
        raise TypeError(f"settings must be a SuiteSettings, got {type(settings).__name__}")
    key = settings.key()
    rows = run_study(suite_task, n_simulations, seed=seed, args=(seed, settings), scheduler_address=scheduler_address,
                     n_workers=n_workers, progress=report_progress, label="MW + LMC simulation suite",
                     cache_dir=cache_dir, cache_key=key if cache_dir is not None else None)
    return _suite_table(rows, key)


def run_predictive(parameters, *, seed: int = 0, settings: SuiteSettings | None = None, cache_dir=None,
                   scheduler_address: str | None = None, n_workers: int | None = None,
                   report_progress: bool = True) -> Table:
    """Simulations at given parameters, observed as the suite's: the posterior predictive
    distribution of the statistics when ``parameters`` are posterior samples.

    Parameters
    ----------
    parameters : dict
        Each of the `~halo_utils.lmc.PRIOR_PARAMETERS` -> its values, one per simulation
        (inside ``settings.prior``: the suite's emulator knows nothing outside it).
    seed : int
        Seed of these simulations. Their random streams and mocks are spawned from a seed
        derived from it and the parameters, so they share no noise with a suite of the same
        seed.
    settings, cache_dir, scheduler_address, n_workers, report_progress
        As for `run_suite` (the cache key also covers the parameters).

    Returns
    -------
    Table
        As `run_suite`'s, one row per simulation in the order of ``parameters``;
        ``meta["PREDICTIVE_KEY"]`` fingerprints the settings and the parameters.
    """
    settings = SuiteSettings() if settings is None else settings
    if not isinstance(settings, SuiteSettings):
        raise TypeError(f"settings must be a SuiteSettings, got {type(settings).__name__}")
    if not isinstance(parameters, dict) or sorted(parameters) != sorted(PRIOR_PARAMETERS):
        raise ValueError(f"parameters must map each of {list(PRIOR_PARAMETERS)} to its values, got "
                         f"{sorted(parameters) if isinstance(parameters, dict) else type(parameters).__name__}")
    columns = {name: np.atleast_1d(np.asarray(parameters[name], float)) for name in PRIOR_PARAMETERS}
    n = len(columns[PRIOR_PARAMETERS[0]])
    if n < 1 or any(c.shape != (n,) for c in columns.values()):
        raise ValueError(f"parameters must hold the same number (>= 1) of values of each name, got "
                         f"{ {k: c.shape for k, c in columns.items()} }")
    theta = np.column_stack([columns[name] for name in PRIOR_PARAMETERS])
    outside = np.flatnonzero(~settings.prior.contains(theta))
    if outside.size:
        raise ValueError(f"parameters has {outside.size} simulation(s) outside the suite's prior, the first at "
                         f"{dict(zip(PRIOR_PARAMETERS, theta[outside[0]]))}")
    draws = tuple({name: float(v) for name, v in zip(PRIOR_PARAMETERS, row)} for row in theta)
    # the streams depend on the seed and the parameters only (not on the code, which the
    # cache key covers): a change of the code that changes nothing keeps the results
    study_seed = int(fingerprint("posterior predictive", theta, check_integer("seed", seed, low=0))[:8], 16)
    key = settings.key()
    predictive_key = fingerprint(key, "posterior predictive", theta)
    rows = run_study(predictive_task, n, seed=study_seed, args=(study_seed, settings, draws),
                     scheduler_address=scheduler_address, n_workers=n_workers, progress=report_progress,
                     label="posterior predictive simulations", cache_dir=cache_dir,
                     cache_key=predictive_key if cache_dir is not None else None)
    table = _suite_table(rows, key)
    table.meta["PREDICTIVE_KEY"] = predictive_key
    return table


def _suite_table(rows: list, key: str) -> Table:
    """The table of `run_suite` from its tasks' rows."""
    table = Table(rows=[[r["simulation"], *(r[n] for n in TRUTH_NAMES)] for r in rows],
                  names=["simulation", *TRUTH_NAMES])
    names = list(rows[0]["statistics"])
    for name in names:
        table[name] = np.array([r["statistics"][name] for r in rows])
    table.meta["STATISTICS"] = {view: [n for n in names if n.startswith(view + ":")] for view in VIEWS}
    table.meta["SETTINGS_KEY"] = key
    return table


def suite_arrays(suite: Table, view: str = "all-sky") -> tuple:
    """``(theta, statistics, v_travel)`` of a suite's table for `~halo_utils.lmc.SuiteInference`:
    the parameters (n, 4) in the order of `~halo_utils.lmc.PRIOR_PARAMETERS`, the statistics of
    ``view`` (n, m) and the travel velocity at 100 kpc (n,)."""
    check_table("suite", suite, TRUTH_NAMES)
    view = check_choice("view", view, tuple(VIEWS))
    names = suite.meta.get("STATISTICS", {}).get(view)
    if not names:
        raise ValueError(f"suite has no statistics of view {view!r} (its meta['STATISTICS'] lists them)")
    theta = np.column_stack([np.asarray(suite[n], float) for n in PRIOR_PARAMETERS])
    statistics = np.column_stack([np.asarray(suite[n], float) for n in names])
    return theta, statistics, np.asarray(suite["v_travel_100"], float)
