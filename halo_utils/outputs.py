"""Safe outputs: atomic writes, one output directory per run, and a completion marker.

Every file a chapter writes goes through an `OutputDirectory`:

* it is written **atomically**: to a temporary file in the same directory, then renamed
  over the target (`os.replace` is atomic on POSIX and Windows), so a killed run leaves
  either the old file or the new one, never half of one;
* it lies **inside the output directory** and is **never one of the run's inputs**;
* ``summary.json`` is written **last**, as the completion marker: it lists the run's
  parameters, the SHA-256 of every input file and of every output. Opening the directory
  removes a previous marker, so an interrupted run leaves no marker at all.

A later chapter reads an upstream output through `read_upstream`, which refuses a
directory without a marker, a file changed since the marker was written (a half-finished
rerun) and an upstream run made from other input files than the ones it is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from astropy.utils.exceptions import AstropyUserWarning

from .fingerprint import file_sha256

__all__ = ["MARKER", "OutputError", "UpstreamError", "atomic_path", "write_text_atomic", "write_table_file",
           "table_rows", "dumps", "OutputDirectory", "read_upstream"]

#: Name of the completion marker of an output directory.
MARKER = "summary.json"


class OutputError(ValueError):
    """A write would leave the output directory or touch one of the run's inputs."""


class UpstreamError(ValueError):
    """An upstream chapter's output is missing, unfinished, changed, or made from other inputs."""


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The temporary name keeps the target's suffix (writers such as astropy and matplotlib
    choose the format from it). On an exception the temporary file is removed and the
    target is left untouched.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{''.join(path.suffixes)}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file, flush, fsync, rename)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def _to_json(obj):
    if isinstance(obj, dict):
        return {str(k): _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_json(obj.tolist())
    if isinstance(obj, np.generic):
        return _to_json(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None  # JSON has no NaN/inf
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_table_file(table, path, **kwargs) -> None:
    """``table.write(path, **kwargs)`` without astropy's warning that FITS has no ``dex`` unit.

    The FITS standard has no ``dex``, and astropy warns that the column's unit will not come
    back when the file is read. The package does not need it back: `halo_utils.catalog`
    takes a column without a unit to be in the schema's unit, which for metallicities and
    surface gravities is dex; the warning would only be noise in every chapter that writes
    them. Not atomic by itself: write to a path of `atomic_path`.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The unit 'dex' could not be saved in native FITS format",
                                category=AstropyUserWarning)
        table.write(path, **kwargs)


def table_rows(table) -> list:
    """The rows of an astropy Table as dicts of plain Python values (for ``summary.json``)."""
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in zip(table.colnames, row)} for row in table]


def dumps(obj) -> str:
    """``obj`` as indented JSON (numpy types converted, NaN and inf -> null)."""
    return json.dumps(_to_json(obj), indent=2, sort_keys=False) + "\n"


class OutputDirectory:
    """The one directory a run writes to.

    Parameters
    ----------
    path : str or Path
        The directory (created with its parents if absent). If it holds the marker of
        *another* chapter, it is refused: a rerun would delete that chapter's marker.
    chapter : str
        Name of the run, recorded in the marker and checked by `read_upstream`.
    inputs : dict, optional
        ``{parameter name: path}`` of the run's input files (empty strings are skipped).
        None of them may be written, and their SHA-256 go into the marker.

    Examples
    --------
    >>> out = OutputDirectory("_build/outputs/demo", chapter="demo", inputs={"catalog_path": "cat.fits"})
    ... # doctest: +SKIP
    >>> out.write_table(table, "sample.fits")  # atomic; refuses 'cat.fits'      # doctest: +SKIP
    >>> out.finish({"n": len(table)})          # summary.json, written last       # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, chapter: str, inputs: dict | None = None):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"output_dir {self.path} exists and is not a directory")
        self.chapter = chapter
        self.inputs = {k: Path(v) for k, v in (inputs or {}).items() if v not in ("", None)}
        marker = self.path / MARKER
        if marker.exists():
            try:
                other = json.loads(marker.read_text()).get("chapter")
            except (ValueError, AttributeError):
                other = None
            if other != chapter:
                raise OutputError(f"output_dir {self.path} holds the outputs of {other or 'another run'!r}; "
                                  f"choose another directory for {chapter!r}")
        self.path.mkdir(parents=True, exist_ok=True)
        marker.unlink(missing_ok=True)  # the directory is incomplete until `finish`
        self._protected = {p.resolve() for p in self.inputs.values()}
        self._written: list[str] = []

    def file(self, name: str) -> Path:
        """The path of output ``name`` (a plain file name), checked to be writable.

        Use it for files a library writes itself (an emcee backend, a checkpoint); they
        are listed in the marker if they exist when the run finishes.
        """
        target = self.path / name
        if Path(name).is_absolute() or ".." in Path(name).parts or Path(name).name != name:
            raise OutputError(f"output name {name!r} must be a plain file name inside {self.path}")
        if name == MARKER:
            raise OutputError(f"{MARKER} is written by finish(), last")
        if target.resolve() in self._protected:
            param = next(k for k, v in self.inputs.items() if v.resolve() == target.resolve())
            raise OutputError(f"refusing to overwrite input {param} = {target}: it is this run's output "
                              f"{name!r}; choose another output_dir")
        if name not in self._written:
            self._written.append(name)
        return target

    @contextlib.contextmanager
    def atomic(self, name: str):
        """Context manager: a temporary path to write output ``name`` to, renamed on success.

        For writers this class does not wrap (``healpy.write_map``, ``numpy.save``).
        """
        with atomic_path(self.file(name)) as tmp:
            yield tmp

    def write_table(self, table, name: str, **kwargs) -> Path:
        """Write an astropy table atomically (format from the suffix; kwargs to ``Table.write``)."""
        target = self.file(name)
        with atomic_path(target) as tmp:
            fmt = kwargs.pop("format", None)
            if fmt is None and target.suffix == ".ecsv":
                fmt = "ascii.ecsv"
            write_table_file(table, tmp, overwrite=True, **({"format": fmt} if fmt else {}), **kwargs)
        return target

    def savefig(self, name: str, fig=None, **kwargs) -> Path:
        """Save a matplotlib figure (default: the current one) atomically."""
        target = self.file(name)
        fig = fig if fig is not None else plt.gcf()
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=target.suffix.lstrip(".") or None, **kwargs)
        return target

    def write_json(self, name: str, obj) -> Path:
        """Write ``obj`` as JSON atomically (numpy types converted, NaN -> null)."""
        return write_text_atomic(self.file(name), dumps(obj))

    def finish(self, summary: dict) -> Path:
        """Write ``summary.json`` last: ``summary`` plus the chapter, input and output hashes.

        Adds ``chapter``, ``complete: true``, ``inputs`` ({parameter: {path, sha256}}) and
        ``outputs`` ({file: sha256}, every file handed out by this directory that exists).
        """
        inputs = {}
        for name, p in self.inputs.items():
            if not p.is_file():
                raise OutputError(f"input {name} = {p} vanished during the run")
            inputs[name] = {"path": str(p), "sha256": file_sha256(p)}
        outputs = {n: file_sha256(self.path / n) for n in self._written if (self.path / n).is_file()}
        marker = {"chapter": self.chapter, **summary, "complete": True, "inputs": inputs, "outputs": outputs}
        return write_text_atomic(self.path / MARKER, dumps(marker))


def read_upstream(path: str | Path, *, chapter: str, same_inputs: dict | None = None) -> dict:
    """Check that ``path`` is a finished output of ``chapter`` and return its marker.

    Parameters
    ----------
    path : str or Path
        An output file of the upstream run (its directory holds the marker).
    chapter : str
        The chapter that must have written it.
    same_inputs : dict, optional
        ``{parameter name: path}``: files this run uses that the upstream run must have
        used too (compared by SHA-256; empty strings are skipped), e.g. the truth table.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    UpstreamError
        No marker (the upstream run never finished), another chapter's marker, ``path``
        not among its outputs or changed since, or an input that differs.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"upstream output not found: {path} (run {chapter} first)")
    marker = path.parent / MARKER
    if not marker.is_file():
        raise UpstreamError(f"{path.parent} has no {MARKER}: the {chapter} run that wrote {path.name} did not "
                            f"finish (or was interrupted by a rerun); rerun {chapter}")
    try:
        summary = json.loads(marker.read_text())
    except ValueError as exc:
        raise UpstreamError(f"{marker} is not valid JSON ({exc}); rerun {chapter}") from None
    if summary.get("chapter") != chapter or not summary.get("complete"):
        raise UpstreamError(f"{marker} is not the completion marker of {chapter} "
                            f"(chapter {summary.get('chapter')!r}); point the path at {chapter}'s output")
    recorded = summary.get("outputs", {}).get(path.name)
    if recorded is None:
        raise UpstreamError(f"{path.name} is not an output listed in {marker}; rerun {chapter}")
    if file_sha256(path) != recorded:
        raise UpstreamError(f"{path} changed after {chapter} finished (an interrupted rerun or an edit): "
                            f"its SHA-256 differs from {marker}; rerun {chapter}")
    for name, p in (same_inputs or {}).items():
        if p in ("", None):
            continue
        theirs = summary.get("inputs", {}).get(name)
        if theirs is None:
            raise UpstreamError(f"{chapter} ran without {name}; this run was given {name} = {p}")
        if not Path(p).is_file():
            raise FileNotFoundError(f"{name} not found: {p}")
        if file_sha256(p) != theirs["sha256"]:
            raise UpstreamError(f"{name} = {p} is not the file {chapter} used ({theirs['path']}, "
                                f"different content); rerun {chapter} with it or pass the same file")
    return summary
