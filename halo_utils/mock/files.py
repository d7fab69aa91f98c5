"""The mock files: writers, manifests and the ensure_* functions that keep data/ current."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..catalog import validate_catalog
from ..fingerprint import file_sha256
from ..outputs import atomic_path, write_text_atomic
from .config import DEFAULT_SEED, MockConfig, config_to_dict
from .h3 import generate_survey
from .outer_halo import OuterHaloConfig, generate_outer_halo

__all__ = ["DEFAULT_DATA_DIR", "DEFAULT_FILES", "MANIFEST", "OUTER_FILES", "OUTER_MANIFEST", "write_survey",
           "ensure_survey", "ensure_outer_halo", "ensure_default_data"]

#: File names of the embedded default survey inside the data directory.
DEFAULT_FILES = {"tiles": "h3_mock_tiles.fits", "catalog": "h3_mock_catalog.fits",
                 "truth": "h3_mock_truth.fits"}


#: Default data directory of the embedded mocks, relative to the working directory (the
#: chapters run from the repository root).
DEFAULT_DATA_DIR = Path("data")


def _refuse_existing(outdir: Path, names, overwrite: bool) -> None:
    existing = [str(outdir / n) for n in names if (outdir / n).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"refusing to overwrite existing file(s) {existing}; pass overwrite=True "
                              "or choose another directory")


def _write_mock_files(outdir: Path, tables: dict, manifest_name: str, manifest: dict, overwrite: bool) -> dict:
    """Write ``{file name: table}`` atomically into ``outdir``, then the manifest, last.

    The manifest records the SHA-256 of every file, so a file changed or truncated after
    the manifest was written is detected (`_mock_files_current`). Existing files are
    refused unless ``overwrite``.
    """
    _refuse_existing(outdir, (*tables, manifest_name), overwrite)
    outdir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, table in tables.items():
        with atomic_path(outdir / name) as tmp:
            if name == DEFAULT_FILES["catalog"] or name == OUTER_FILES["catalog"]:
                validate_catalog(table)
            table.write(tmp, overwrite=True)
        hashes[name] = file_sha256(outdir / name)
    write_text_atomic(outdir / manifest_name, json.dumps({**manifest, "sha256": hashes}, indent=1) + "\n")
    return {name: outdir / name for name in tables}


def _mock_files_current(outdir: Path, names, manifest_name: str, manifest: dict) -> bool:
    """True when the manifest matches ``manifest`` and every file its recorded hash.

    Raises FileExistsError when mock-named files exist without a manifest: they were not
    written by this module, and regenerating would overwrite someone's files.
    """
    mpath = outdir / manifest_name
    if not mpath.exists():
        present = [str(outdir / n) for n in names if (outdir / n).exists()]
        if present:
            raise FileExistsError(f"{present} exist without {mpath}: not written by halo_utils.mock; "
                                  "refusing to overwrite them (move them away or choose another directory)")
        return False
    try:
        recorded = json.loads(mpath.read_text())
    except ValueError:
        return False
    hashes = recorded.pop("sha256", {})
    if recorded != manifest or set(hashes) != set(names):
        return False
    return all((outdir / n).is_file() and file_sha256(outdir / n) == h for n, h in hashes.items())


def write_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig(),
                 overwrite: bool = False) -> dict:
    """Generate the survey and write tiles, catalogue and truth as FITS into ``outdir``.

    Each file is written atomically; ``h3_mock_manifest.json``, written last, records the
    seed, the full config and the SHA-256 of each file, so `ensure_survey` can tell
    whether the files on disk are the ones asked for and complete. Existing files are
    refused (FileExistsError) unless ``overwrite``. Returns the dict of written paths
    (keys ``tiles``, ``catalog``, ``truth``).
    """
    outdir = Path(outdir)
    _refuse_existing(outdir, (*DEFAULT_FILES.values(), MANIFEST), overwrite)  # before minutes of work
    tiles, catalog, truth = generate_survey(seed, config)
    tables = {DEFAULT_FILES["tiles"]: tiles, DEFAULT_FILES["catalog"]: catalog, DEFAULT_FILES["truth"]: truth}
    _write_mock_files(outdir, tables, MANIFEST, _manifest(seed, config), overwrite)
    return {key: outdir / name for key, name in DEFAULT_FILES.items()}


MANIFEST = "h3_mock_manifest.json"


def _manifest(seed, config):
    return json.loads(json.dumps({"seed": seed, "config": config_to_dict(config)}))


def ensure_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig()) -> dict:
    """Paths of the survey files in ``outdir``, (re)generating them unless they exist, are
    complete and their manifest matches ``seed`` and ``config``.

    Only files this module wrote (with a manifest) are ever replaced; mock-named files
    without a manifest raise FileExistsError.
    """
    outdir = Path(outdir)
    paths = {key: outdir / name for key, name in DEFAULT_FILES.items()}
    if _mock_files_current(outdir, DEFAULT_FILES.values(), MANIFEST, _manifest(seed, config)):
        return paths
    return write_survey(outdir, seed, config, overwrite=True)


def ensure_default_data(paths: dict, *, generate: bool, seed: int = DEFAULT_SEED,
                        data_dir: str | Path = DEFAULT_DATA_DIR, outer_halo: bool = False) -> None:
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
        The outer-halo mock of chapter 5 instead of the survey of chapter 1.

    Raises
    ------
    FileNotFoundError
        Naming the parameter and the path of the first missing file.
    """
    data_dir = Path(data_dir)
    files = OUTER_FILES if outer_halo else DEFAULT_FILES
    given = {k: Path(v) for k, v in paths.items() if v not in ("", None)}
    defaults = {(data_dir / name).resolve() for name in files.values()}
    if generate and given and all(p.resolve() in defaults for p in given.values()):
        if outer_halo:
            ensure_outer_halo(data_dir, seed)
        else:
            ensure_survey(data_dir, seed)
    for name, p in given.items():
        if not p.is_file():
            hint = "" if p.resolve() in defaults else " (only the default files in data/ are generated)"
            raise FileNotFoundError(f"{name} = {str(p)!r}: no such file{hint}")


OUTER_FILES = {"catalog": "outer_halo_catalog.fits", "truth": "outer_halo_truth.fits"}
OUTER_MANIFEST = "outer_halo_manifest.json"


def ensure_outer_halo(outdir, seed: int = DEFAULT_SEED, config: OuterHaloConfig = OuterHaloConfig()) -> dict:
    """Paths of the outer-halo mock files in ``outdir``, (re)written unless they are complete
    and their manifest matches ``seed`` and ``config`` (files are written atomically, the
    manifest with their SHA-256 last; mock-named files without a manifest are refused)."""
    outdir = Path(outdir)
    paths = {key: outdir / name for key, name in OUTER_FILES.items()}
    manifest = json.loads(json.dumps({"seed": seed, "config": dataclasses.asdict(config)}))
    if not _mock_files_current(outdir, OUTER_FILES.values(), OUTER_MANIFEST, manifest):
        cat, truth = generate_outer_halo(seed, config)
        _write_mock_files(outdir, {OUTER_FILES["catalog"]: cat, OUTER_FILES["truth"]: truth}, OUTER_MANIFEST,
                          manifest, overwrite=True)
    return paths


