"""The mock files: writers, manifests and the ensure_* functions that keep data/ current.

A mock is defined by code, seed and config, not by its files: `MockFiles` writes a mock's
tables atomically and then a manifest, last, with the seed, the full config and the
SHA-256 of each file, so that `MockFiles.ensure` can tell whether the files on disk are
the ones asked for and complete, and regenerate them otherwise. Files named like a mock's
but without a manifest were not written here and are never overwritten. The survey of
chapters 1-4 (`SURVEY_FILES`) and the outer-halo mock of chapter 5 (`OUTER_HALO_FILES`)
the Milky Way + LMC simulations (`SIMULATION_FILES`) and the outer-halo mock drawn from them
(`SIMULATED_OUTER_HALO_FILES`) are its instances.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..catalog import read_table, validate_catalog
from ..fingerprint import file_sha256
from ..outputs import atomic_path, write_table_file, write_text_atomic
from ..lmc import SimulationConfig, simulate
from .config import DEFAULT_SEED, MockConfig
from .h3 import generate_survey
from .outer_halo import OuterHaloConfig, generate_outer_halo
from .simulated_halo import generate_simulated_outer_halo, particles_of_mass

__all__ = ["MockFiles", "SURVEY_FILES", "OUTER_HALO_FILES", "DEFAULT_DATA_DIR", "DEFAULT_FILES", "MANIFEST",
           "OUTER_FILES", "OUTER_MANIFEST", "SIMULATION_FILES", "SimulatedOuterHaloConfig",
           "SIMULATED_OUTER_HALO_FILES", "SIMULATED_MOCK_SEED", "write_survey", "ensure_survey", "ensure_outer_halo",
           "ensure_lmc_simulations", "ensure_simulated_outer_halo", "ensure_default_data"]

#: Default data directory of the embedded mocks, relative to the working directory (the
#: chapters run from the repository root).
DEFAULT_DATA_DIR = Path("data")


@dataclass(frozen=True)
class MockFiles:
    """The files of one mock in a directory, and the manifest that vouches for them.

    Attributes
    ----------
    files : dict
        ``{key: file name}`` of the mock's FITS tables; the ``"catalog"`` table is checked
        against the catalogue schema (conventions §2) before it is written.
    manifest : str
        File name of the manifest (JSON: ``seed``, ``config``, ``sha256`` per file).
    generate : callable
        ``generate(seed, config) -> {key: astropy.table.Table}``.
    config_type : type
        The mock's config dataclass (its defaults make the default mock).
    version : int
        Version of the generator, recorded in the manifest: raised whenever a change of
        the code gives other files for the same seed and config, so that files made by the
        older code are made again instead of being taken as current.
    """

    files: dict
    manifest: str
    generate: Callable
    config_type: type
    version: int = 1

    def paths(self, outdir) -> dict:
        """``{key: path}`` of the files in ``outdir``."""
        return {key: Path(outdir) / name for key, name in self.files.items()}

    def _refuse_existing(self, outdir: Path, overwrite: bool) -> None:
        names = (*self.files.values(), self.manifest)
        existing = [str(outdir / n) for n in names if (outdir / n).exists()]
        if existing and not overwrite:
            raise FileExistsError(f"refusing to overwrite existing file(s) {existing}; pass overwrite=True "
                                  "or choose another directory")

    def _manifest(self, seed: int, config) -> dict:
        """The manifest's generator version, seed and config, as they read back from JSON."""
        return json.loads(json.dumps({"version": self.version, "seed": seed, "config": dataclasses.asdict(config)}))

    def is_current(self, outdir, seed: int, config) -> bool:
        """True when the manifest in ``outdir`` matches ``seed`` and ``config`` and every
        file its recorded SHA-256.

        Raises
        ------
        FileExistsError
            When mock-named files exist without a manifest: they were not written by
            `halo_utils.mock`, and regenerating would overwrite someone's files.
        """
        outdir = Path(outdir)
        mpath = outdir / self.manifest
        if not mpath.exists():
            present = [str(outdir / n) for n in self.files.values() if (outdir / n).exists()]
            if present:
                raise FileExistsError(f"{present} exist without {mpath}: not written by halo_utils.mock; "
                                      "refusing to overwrite them (move them away or choose another directory)")
            return False
        try:
            recorded = json.loads(mpath.read_text())
        except ValueError:
            return False
        hashes = recorded.pop("sha256", {})
        if recorded != self._manifest(seed, config) or set(hashes) != set(self.files.values()):
            return False
        return all((outdir / n).is_file() and file_sha256(outdir / n) == h for n, h in hashes.items())

    def write(self, outdir, seed: int, config, overwrite: bool = False) -> dict:
        """Generate the mock and write its files atomically into ``outdir``, the manifest last.

        Existing files are refused (FileExistsError) unless ``overwrite``, before the mock
        is generated. Returns `paths`.
        """
        outdir = Path(outdir)
        self._refuse_existing(outdir, overwrite)  # before minutes of work
        tables = self.generate(seed, config)
        outdir.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for key, name in self.files.items():
            with atomic_path(outdir / name) as tmp:
                if key == "catalog":
                    validate_catalog(tables[key])
                write_table_file(tables[key], tmp, overwrite=True)
            hashes[name] = file_sha256(outdir / name)
        manifest = {**self._manifest(seed, config), "sha256": hashes}
        write_text_atomic(outdir / self.manifest, json.dumps(manifest, indent=1) + "\n")
        return self.paths(outdir)

    def ensure(self, outdir, seed: int, config) -> dict:
        """`paths` of the files in ``outdir``, (re)generating them unless `is_current`."""
        if self.is_current(outdir, seed, config):
            return self.paths(outdir)
        return self.write(outdir, seed, config, overwrite=True)


#: The mock H3-like survey of chapters 1-4.
SURVEY_FILES = MockFiles(
    files={"tiles": "h3_mock_tiles.fits", "catalog": "h3_mock_catalog.fits", "truth": "h3_mock_truth.fits"},
    manifest="h3_mock_manifest.json",
    generate=lambda seed, config: dict(zip(("tiles", "catalog", "truth"), generate_survey(seed, config))),
    config_type=MockConfig,
    version=2)  # 2: positive pitch tilts GSE's Sun-side end above the plane (S001; conventions §7)
#: The outer-halo mock of chapter 5.
OUTER_HALO_FILES = MockFiles(
    files={"catalog": "outer_halo_catalog.fits", "truth": "outer_halo_truth.fits"},
    manifest="outer_halo_manifest.json",
    generate=lambda seed, config: dict(zip(("catalog", "truth"), generate_outer_halo(seed, config))),
    config_type=OuterHaloConfig)

#: The Milky Way + LMC test-particle simulations (conventions §14).
SIMULATION_FILES = MockFiles(
    files={"particles": "lmc_simulation_particles.fits", "orbits": "lmc_simulation_orbits.fits"},
    manifest="lmc_simulation_manifest.json",
    generate=simulate,
    config_type=SimulationConfig,
    version=2)  # 2: the test particles' levels on one grid of fine times (rounding-level changes)

#: File names of the embedded default survey inside the data directory.
DEFAULT_FILES = SURVEY_FILES.files
#: Manifest (seed, configuration, SHA-256 of each file) of the default survey.
MANIFEST = SURVEY_FILES.manifest
#: File names of the outer-halo mock inside the data directory.
OUTER_FILES = OUTER_HALO_FILES.files
#: Manifest of the outer-halo mock.
OUTER_MANIFEST = OUTER_HALO_FILES.manifest


def write_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig(),
                 overwrite: bool = False) -> dict:
    """Generate the survey and write tiles, catalogue and truth as FITS into ``outdir``.

    Each file is written atomically; ``h3_mock_manifest.json``, written last, records the
    seed, the full config and the SHA-256 of each file, so `ensure_survey` can tell
    whether the files on disk are the ones asked for and complete.

    Parameters
    ----------
    outdir : str or Path
        Output directory (created if needed).
    seed : int
        Seed of the survey.
    config : MockConfig
        All the numbers of the survey.
    overwrite : bool
        Replace existing files; otherwise they raise FileExistsError.

    Returns
    -------
    dict
        Paths of the written files, keys ``tiles``, ``catalog``, ``truth``.
    """
    return SURVEY_FILES.write(outdir, seed, config, overwrite)


def ensure_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig()) -> dict:
    """Paths of the survey files in ``outdir``, (re)generating them unless they exist, are
    complete and their manifest matches ``seed`` and ``config``.

    Only files this module wrote (with a manifest) are ever replaced; mock-named files
    without a manifest raise FileExistsError.
    """
    return SURVEY_FILES.ensure(outdir, seed, config)


def ensure_outer_halo(outdir, seed: int = DEFAULT_SEED, config: OuterHaloConfig = OuterHaloConfig()) -> dict:
    """Paths of the outer-halo mock files in ``outdir`` (keys ``catalog``, ``truth``),
    (re)written unless they are complete and their manifest matches ``seed`` and ``config``
    (mock-named files without a manifest raise FileExistsError)."""
    return OUTER_HALO_FILES.ensure(outdir, seed, config)


def ensure_lmc_simulations(outdir, seed: int = DEFAULT_SEED, config: SimulationConfig = SimulationConfig()) -> dict:
    """Paths of the MW + LMC simulation files in ``outdir`` (keys ``particles``, ``orbits``;
    `halo_utils.lmc.simulate`), (re)run unless they are complete and their manifest matches
    ``seed`` and ``config`` (files of these names without a manifest raise FileExistsError)."""
    return SIMULATION_FILES.ensure(outdir, seed, config)


#: Seed of the default simulation-drawn outer-halo mock (chapter 6's ``mock_seed``).
SIMULATED_MOCK_SEED = 2019


@dataclass(frozen=True)
class SimulatedOuterHaloConfig:
    """The outer-halo mock drawn from a simulation file (`generate_simulated_outer_halo`).

    Attributes
    ----------
    lmc_mass : float
        The LMC mass of the simulation the halo stars are drawn from, Msun.
    particles_path, particles_sha256 : str
        The simulation's particle file and its SHA-256: a new simulation makes a new mock.
    outer_halo : OuterHaloConfig
        Surveys, errors and imperfections (those of the model-drawn mock by default).
    """

    lmc_mass: float = 1.8e11
    particles_path: str = ""
    particles_sha256: str = ""
    outer_halo: OuterHaloConfig = OuterHaloConfig()


def _simulated_outer_halo(seed: int, config: SimulatedOuterHaloConfig) -> dict:
    particles = read_table(config.particles_path, what="particles_path")
    catalog, truth = generate_simulated_outer_halo(seed, *particles_of_mass(particles, config.lmc_mass),
                                                   config.outer_halo)
    truth.meta["LMC_MASS"] = float(config.lmc_mass)
    return {"catalog": catalog, "truth": truth}


#: The outer-halo mock drawn from the Milky Way + LMC simulation (chapter 5's second data
#: choice; chapter 6 draws the same one from its parameters).
SIMULATED_OUTER_HALO_FILES = MockFiles(
    files={"catalog": "simulated_outer_halo_catalog.fits", "truth": "simulated_outer_halo_truth.fits"},
    manifest="simulated_outer_halo_manifest.json",
    generate=_simulated_outer_halo,
    config_type=SimulatedOuterHaloConfig)


def ensure_simulated_outer_halo(outdir, seed: int = SIMULATED_MOCK_SEED, lmc_mass: float = 1.8e11, *,
                                simulation_seed: int = DEFAULT_SEED,
                                simulation: SimulationConfig = SimulationConfig()) -> dict:
    """Paths (``catalog``, ``truth``) of the simulation-drawn outer-halo mock in ``outdir``,
    made from the simulations of `ensure_lmc_simulations` (run first if needed) unless
    current: the same seed, LMC mass and simulation file (by its SHA-256)."""
    sims = ensure_lmc_simulations(outdir, simulation_seed, simulation)
    config = SimulatedOuterHaloConfig(float(lmc_mass), str(sims["particles"]), file_sha256(sims["particles"]))
    return SIMULATED_OUTER_HALO_FILES.ensure(outdir, seed, config)


def ensure_default_data(paths: dict, *, generate: bool, seed: int = DEFAULT_SEED,
                        data_dir: str | Path = DEFAULT_DATA_DIR, outer_halo: bool = False,
                        simulations: bool = False) -> None:
    """Make the embedded default mock for a chapter, or check a user's files exist.

    Parameters
    ----------
    paths : dict
        ``{parameter name: path}`` of the chapter's input files (empty strings skipped).
    generate : bool
        The chapter's ``generate_if_missing``. The mock is (re)generated only when it is
        true **and** every given path is the default file in ``data_dir``: a mistyped or
        user-given path is never filled with mock files.
    seed : int
        Seed of the default mock.
    outer_halo : bool
        The outer-halo mock of chapter 5 instead of the survey of chapter 1 (or, when the
        paths are its files in ``data_dir``, the simulation-drawn one, `ensure_simulated_outer_halo`).
    simulations : bool
        The Milky Way + LMC simulations of chapter 6 instead.

    Raises
    ------
    FileNotFoundError
        Naming the parameter and the path of the first missing file.
    """
    data_dir = Path(data_dir)
    files = SIMULATION_FILES if simulations else OUTER_HALO_FILES if outer_halo else SURVEY_FILES
    given = {k: Path(v) for k, v in paths.items() if v not in ("", None)}
    defaults = {path.resolve() for path in files.paths(data_dir).values()}
    simulated = {path.resolve() for path in SIMULATED_OUTER_HALO_FILES.paths(data_dir).values()}
    if outer_halo and generate and given and all(p.resolve() in simulated for p in given.values()):
        # chapter 5 on the simulation-drawn mock: its default files (the simulations first)
        ensure_simulated_outer_halo(data_dir)
        defaults = simulated
    elif generate and given and all(p.resolve() in defaults for p in given.values()):
        files.ensure(data_dir, seed, files.config_type())
    for name, p in given.items():
        if not p.is_file():
            hint = "" if p.resolve() in defaults else " (only the default files in data/ are generated)"
            raise FileNotFoundError(f"{name} = {str(p)!r}: no such file{hint}")
