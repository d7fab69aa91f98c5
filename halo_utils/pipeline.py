"""Execute the chapters with papermill under a named parameter profile (conventions §12).

    python -m halo_utils.pipeline --profile ci          # smoke-level run, minutes
    python -m halo_utils.pipeline --profile full        # the publication run

Each chapter ``notebooks/<name>.ipynb`` is executed from the repository root (so the
paths in its parameter cell are relative to the root) into ``book/executed/<name>.ipynb``,
which the book renders with execution off. A failing cell raises and stops the run.
Profiles live in ``notebooks/profiles.yml``: ``{profile: {chapter: {parameter: value}}}``;
parameters not named there keep the notebook's defaults (the publication values).

From the command line a chapter re-executes only when something it depends on changed
(`halo_utils.chapter_cache`: its notebook, the package, its parameters, its input files,
among them the outputs of the chapters it reads); ``--force`` re-executes everything. The
chapters' own output is echoed while they run (``--quiet`` silences it). ``--jobs 2`` runs
up to two chapters at a time, each as soon as the chapters whose outputs it reads have
finished (`chapter_dependencies`); their lines are prefixed with the chapter's number. Each
chapter runs a pool of worker processes of its own sized for two cores, so two chapters at
once pay off where there are more cores than that; on two cores they only share them. The
results do not depend on ``--jobs``.

One chapter runs on other data with ``-p name value`` (read as papermill's ``-p``) and
``--executed-dir``, where its executed notebook goes instead of the book's (the book's page
"Bring your own catalogue")::

    python -m halo_utils.pipeline --profile ci --chapters 05_reflex_fit --executed-dir mine \\
        -p catalog_path mine/outer_halo.csv -p truth_path "" -p output_dir mine/05_reflex_fit
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import papermill as pm
import yaml

from .chapter import CHAPTERS, REPO_ROOT, parameter_defaults
from .chapter_cache import chapter_key, is_up_to_date, record_key
from .outputs import write_text_atomic

__all__ = ["load_profiles", "check_parameters", "run_chapter", "fold_injected_parameters", "chapter_dependencies",
           "run_all", "parameter_value"]

#: The matplotlib backend of the chapters' kernels: figures are embedded in the executed
#: notebook (and so shown on the book's pages) whatever ``MPLBACKEND`` the caller has set
#: (CI sets ``Agg`` for its own processes; a kernel inheriting it would show no figure).
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"


#: The MyST-NB cell tag that folds a cell's code away on the book's page (a reader opens it
#: with one click); given to papermill's injected-parameters cell, which would otherwise
#: stand between the chapter's introduction and its first result.
FOLDED_TAG = "hide-input"


def fold_injected_parameters(executed: str | Path) -> None:
    """Tag the injected-parameters cell of an executed notebook with `FOLDED_TAG` (atomically)."""
    notebook = nbformat.read(str(executed), as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and FOLDED_TAG not in tags:
            cell.metadata["tags"] = [*tags, FOLDED_TAG]
    write_text_atomic(Path(executed), nbformat.writes(notebook))


@contextlib.contextmanager
def _kernel_environment():
    """The environment a chapter's kernel inherits while it starts: `KERNEL_MPLBACKEND`."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = KERNEL_MPLBACKEND
    try:
        yield
    finally:
        if before is None:
            del os.environ["MPLBACKEND"]
        else:
            os.environ["MPLBACKEND"] = before


def load_profiles(path: str | Path = REPO_ROOT / "notebooks" / "profiles.yml") -> dict:
    """The parameter profiles: ``{profile: {chapter: {parameter: value}}}``."""
    with open(path) as fh:
        profiles = yaml.safe_load(fh)
    for name, chapters in profiles.items():
        unknown = set(chapters or {}) - set(CHAPTERS)
        if unknown:
            raise ValueError(f"profile {name!r} names unknown chapter(s) {sorted(unknown)}")
    return profiles


def _type_ok(value, default) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def check_parameters(chapter: str, parameters: dict) -> None:
    """Refuse parameters a chapter does not have, or of another type than its default.

    papermill itself only warns about an unknown name and injects it anyway, so a
    misspelt ``n_mcc = 50`` would silently run the chapter with its default ``n_mc``.
    """
    defaults = parameter_defaults(chapter)
    unknown = sorted(set(parameters) - set(defaults))
    if unknown:
        raise ValueError(f"{chapter} has no parameter(s) {unknown}; its parameters are {sorted(defaults)}")
    for name, value in parameters.items():
        if not _type_ok(value, defaults[name]):
            raise TypeError(f"{chapter} parameter {name!r} = {value!r} is a {type(value).__name__}; "
                            f"expected {type(defaults[name]).__name__} (the default is {defaults[name]!r})")


def run_chapter(chapter: str, profile: str = "full", *, output_dir: str | Path = REPO_ROOT / "book" / "executed",
                overrides: dict | None = None, cwd: str | Path = REPO_ROOT, cache: bool = False,
                force: bool = False, log_output: bool = False) -> dict:
    """Execute one chapter with papermill.

    Parameters not in the chapter's parameters cell, or of another type than their
    default, raise before anything runs (`check_parameters`).

    Parameters
    ----------
    chapter, profile : str
        One of `CHAPTERS`, and a profile of ``notebooks/profiles.yml``.
    output_dir : str or Path
        Where the executed notebook goes (its outputs go to the chapter's own ``output_dir``
        parameter, relative to ``cwd``).
    overrides : dict, optional
        Parameters that replace the profile's.
    cwd : str or Path
        Working directory of the kernel (relative paths in the parameters start here).
    cache : bool
        Skip the run when the chapter's key (`halo_utils.chapter_cache`) equals the one stored
        by its last run and that run's outputs are intact; store the key after a run.
    force : bool
        With ``cache``, run even when up to date (the key is still stored afterwards, so the
        next cached run knows this one).
    log_output : bool
        Echo the notebook's output to the terminal while it runs (its progress reports).

    Returns
    -------
    dict
        ``executed`` (the executed notebook's path), ``ran`` (False when skipped as up to date)
        and ``key`` (the chapter's key, or None without ``cache``).
    """
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; expected one of {CHAPTERS}")
    profiles = load_profiles()
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(profiles)}")
    parameters = dict((profiles[profile] or {}).get(chapter) or {})
    parameters.update(overrides or {})
    check_parameters(chapter, parameters)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / f"{chapter}.ipynb"
    key = None
    if cache:
        key = chapter_key(chapter, parameters, cwd=Path(cwd))
        outputs = Path(key["components"]["parameters"]["output_dir"])
        if not force and is_up_to_date(key, out, outputs if outputs.is_absolute() else Path(cwd) / outputs):
            return {"executed": out, "ran": False, "key": key["key"]}
    with _kernel_environment():
        pm.execute_notebook(str(REPO_ROOT / "notebooks" / f"{chapter}.ipynb"), str(out),
                            parameters=parameters, cwd=str(cwd), kernel_name="python3",
                            progress_bar=False, log_output=log_output)
    fold_injected_parameters(out)
    if cache:
        record_key(key, out)
    return {"executed": out, "ran": True, "key": None if key is None else key["key"]}


def chapter_dependencies(profile: str = "full", chapters=CHAPTERS, cwd: str | Path = REPO_ROOT) -> dict:
    """``{chapter: set of chapters it reads}``: B reads A when one of B's ``*_path`` parameters
    (under ``profile``) names a file inside A's ``output_dir``. Only chapters in ``chapters``
    count (a chapter outside the run is taken as it is on disk)."""
    profiles = load_profiles()
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(profiles)}")
    cwd = Path(cwd)

    def effective(chapter):
        params = {**parameter_defaults(chapter), **((profiles[profile] or {}).get(chapter) or {})}
        return {k: (Path(v) if Path(v).is_absolute() else cwd / v).resolve() for k, v in params.items()
                if (k.endswith("_path") or k == "output_dir") and isinstance(v, str) and v}

    paths = {c: effective(c) for c in chapters}
    return {b: {a for a in chapters if a != b and "output_dir" in paths[a]
                and any(p.is_relative_to(paths[a]["output_dir"]) for k, p in paths[b].items() if k != "output_dir")}
            for b in chapters}


def _run_in_child(chapter: str, profile: str, force: bool, quiet: bool, lock: threading.Lock) -> float:
    """Run one chapter through ``python -m halo_utils.pipeline`` in a child process, echoing its
    lines prefixed with the chapter's number; returns its wall seconds (0 if it was up to date)."""
    cmd = [sys.executable, "-m", "halo_utils.pipeline", "--profile", profile, "--chapters", chapter, "--jobs", "1"]
    cmd += ["--force"] if force else []
    cmd += ["--quiet"] if quiet else []
    start = time.perf_counter()
    ran = True
    with subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as child:
        for line in child.stdout:
            ran = ran and "up to date, not re-executed" not in line
            with lock:
                print(f"{chapter[:2]}| {line}", end="", flush=True)
    if child.returncode:
        raise RuntimeError(f"{chapter} failed (exit status {child.returncode}); its output is above")
    return time.perf_counter() - start if ran else 0.0


def run_all(profile: str = "full", chapters=CHAPTERS, jobs: int = 1, **kwargs) -> dict:
    """Run chapters, printing what runs and how long it took; returns ``{chapter: wall seconds}``
    (0 for a chapter skipped as up to date).

    With ``jobs = 1`` the chapters run in order in this process (``kwargs`` go to
    `run_chapter`). With ``jobs > 1`` up to ``jobs`` run at once, each in a child process
    started as soon as the chapters it reads (`chapter_dependencies`) have finished, with
    the cache (``force=True`` re-executes every chapter) and echo (``log_output``) of ``kwargs``;
    the first failure stops the run once the chapters already running have ended.
    """
    times = {}
    if jobs <= 1:
        for i, chapter in enumerate(chapters, 1):
            print(f"[{profile}] {chapter} ({i}/{len(chapters)}) ...", flush=True)
            start = time.perf_counter()
            result = run_chapter(chapter, profile, **kwargs)
            times[chapter] = time.perf_counter() - start if result["ran"] else 0.0
            state = f"{times[chapter]:.1f} s" if result["ran"] else "up to date, not re-executed"
            print(f"[{profile}] {chapter}: {state}", flush=True)
        return times
    needs = chapter_dependencies(profile, chapters)
    force, quiet = kwargs.get("force", False), not kwargs.get("log_output", True)
    lock, pending, running, failures = threading.Lock(), list(chapters), {}, []

    def work(chapter):
        try:
            times[chapter] = _run_in_child(chapter, profile, force, quiet, lock)
        except Exception as exc:  # reported after the chapters already running have ended
            failures.append(exc)

    while pending or running:
        for chapter in [c for c in pending if needs[c] <= set(times)]:
            if len(running) < jobs and not failures:
                pending.remove(chapter)
                running[chapter] = threading.Thread(target=work, args=(chapter,), daemon=True)
                running[chapter].start()
        for chapter, thread in list(running.items()):
            if not thread.is_alive():
                del running[chapter]
        if failures and not running:
            raise failures[0]
        if pending and not running and not any(needs[c] <= set(times) for c in pending):
            raise RuntimeError(f"chapters {pending} wait for chapters that are not in this run: "
                               f"{ {c: sorted(needs[c]) for c in pending} }")
        time.sleep(0.2)
    return times


def parameter_value(text: str):
    """A parameter given on the command line (``-p name value``), read as papermill's ``-p``
    reads it: ``True``/``False``/``None``, an int, a float, a YAML list (``[15, 25]``), else
    the text itself (so ``""`` is the empty string, not None)."""
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.strip().startswith("["):
        return yaml.safe_load(text)
    return text


def _main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", help="parameter profile (notebooks/profiles.yml)")
    parser.add_argument("--chapters", nargs="*", default=list(CHAPTERS), help="chapters to run")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a parameter that replaces the profile's (as papermill's -p); repeat for more; "
                             "with one chapter only")
    parser.add_argument("--executed-dir", default=str(REPO_ROOT / "book" / "executed"),
                        help="where the executed notebooks go (default: the book's book/executed; give "
                             "another folder for a run on your own data)")
    parser.add_argument("--force", action="store_true",
                        help="re-execute every chapter even when nothing it depends on changed")
    parser.add_argument("--quiet", action="store_true", help="do not echo the chapters' output while they run")
    parser.add_argument("--jobs", type=int, default=1,
                        help="chapters run at once, each after the chapters it reads (default 1: in order)")
    args = parser.parse_args(argv)
    overrides = {name: parameter_value(value) for name, value in args.parameter}
    if overrides and len(args.chapters) != 1:
        parser.error(f"-p sets the parameters of one chapter; got --chapters {' '.join(args.chapters)}")
    if overrides and args.jobs > 1:
        parser.error("-p runs one chapter: leave --jobs at 1")
    if not args.quiet:
        # papermill echoes cell outputs through its logger at INFO level
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger("papermill").setLevel(logging.INFO)
    start = time.perf_counter()
    extra = {"overrides": overrides, "output_dir": args.executed_dir} if args.jobs <= 1 else {}
    times = run_all(args.profile, args.chapters, jobs=args.jobs, cache=True, force=args.force,
                    log_output=not args.quiet, **extra)
    if args.jobs > 1:
        print(f"[{args.profile}] " + ", ".join(f"{c}: {t:.1f} s" if t else f"{c}: up to date" for c, t in times.items())
              + f"; {time.perf_counter() - start:.1f} s in all", flush=True)


if __name__ == "__main__":
    _main()
