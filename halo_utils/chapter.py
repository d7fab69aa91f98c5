"""What every chapter does first and last: its parameters, its output directory, its seeded
generator and its clock, then the completion marker (conventions §12).

A chapter's setup cell is one call::

    run = ChapterRun("02_sigma_maps", globals(), inputs={"halo_sample_path": halo_sample_path})
    out, rng = run.out, run.rng
    ...
    run.finish(summary)

The parameters are the names assigned in the notebook's cell tagged ``parameters`` (read from
the notebook itself, so the record cannot drift from the cell), with the values papermill
injected.
"""

from __future__ import annotations

import ast
import json
import os
import time
from pathlib import Path

import numpy as np

from .outputs import OutputDirectory
from .provenance import run_metadata

__all__ = ["REPO_ROOT", "CHAPTERS", "parameter_defaults", "run_from_repository_root", "ChapterRun"]

#: The repository root: chapters run from here, with notebooks/ and book/ below it.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Chapters in reading order (file stems in notebooks/).
CHAPTERS = ("01_sample_construction", "02_sigma_maps", "03_density_model", "04_mock_recovery", "05_reflex_fit",
            "06_lmc_mass", "07_lmc_mw_masses")


def run_from_repository_root() -> Path:
    """Move the kernel into the repository root when a chapter is opened from ``notebooks/``.

    A chapter's default paths (``data/...``, ``_build/outputs/...``) are relative to the
    repository root, where the pipeline and the papermill commands of the book run it. Jupyter
    (and Binder, from a page's launch button) starts a notebook's kernel in the notebook's own
    folder; from ``<root>/notebooks`` this changes the working directory to ``<root>``. From any
    other folder the working directory is left as it is, so a papermill run from a researcher's
    own folder keeps its own relative paths. Returns the working directory.
    """
    if Path.cwd().resolve() == (REPO_ROOT / "notebooks").resolve():
        os.chdir(REPO_ROOT)
    return Path.cwd()


def parameter_defaults(chapter: str, notebooks: str | Path = REPO_ROOT / "notebooks") -> dict:
    """``{name: default}`` of a chapter's ``parameters`` cell, in the cell's order.

    Read from ``notebooks/<chapter>.ipynb``; values are parsed as Python literals. Raises
    ValueError for an unknown chapter, a notebook without exactly one parameters cell, or a
    default that is not a literal.
    """
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; expected one of {CHAPTERS}")
    cells = [c for c in json.loads((Path(notebooks) / f"{chapter}.ipynb").read_text())["cells"]
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{chapter}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) else cells[0]["source"]
    defaults = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                defaults[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError as err:
                raise ValueError(f"{chapter}: parameter {node.targets[0].id!r} is not a literal") from err
    return defaults


class ChapterRun:
    """One run of a chapter.

    Parameters
    ----------
    chapter : str
        One of `CHAPTERS`.
    namespace : dict
        The notebook's ``globals()``, holding the (injected) parameters, among them
        ``output_dir`` and ``seed``.
    inputs : dict
        ``{parameter name: path}`` of the files the run reads (refused as outputs; hashed in
        the marker).

    Attributes
    ----------
    parameters : dict
        ``{name: value}`` of every parameter of the chapter, as the run used them.
    out : OutputDirectory
        The run's only place to write.
    rng : numpy.random.Generator
        Seeded with ``seed``: every random draw of the chapter goes through it.
    """

    def __init__(self, chapter: str, namespace: dict, *, inputs: dict):
        names = parameter_defaults(chapter)
        missing = [n for n in names if n not in namespace]
        if missing:
            raise NameError(f"{chapter}: parameter(s) {missing} are not defined in the notebook")
        self.chapter = chapter
        self.parameters = {n: namespace[n] for n in names}
        self.out = OutputDirectory(self.parameters["output_dir"], chapter=chapter, inputs=inputs)
        self.rng = np.random.default_rng(self.parameters["seed"])
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        """Wall-clock seconds since the run started."""
        return time.perf_counter() - self._start

    def finish(self, summary: dict) -> dict:
        """Write the completion marker: ``summary`` plus the run time, the parameters, the package
        versions and the git revision; returns what was written (without hashes)."""
        full = {**summary, "runtime_s": self.elapsed(), **run_metadata(self.parameters)}
        self.out.finish(full)
        return full
