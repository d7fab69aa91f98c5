"""Execute the chapters with papermill under a named parameter profile (conventions §12).

    python -m halo_utils.pipeline --profile ci          # smoke-level run, minutes
    python -m halo_utils.pipeline --profile full        # the publication run

Each chapter ``notebooks/<name>.ipynb`` is executed from the repository root (so the
paths in its parameter cell are relative to the root) into ``book/executed/<name>.ipynb``,
which the book renders with execution off. A failing cell raises and stops the run.
Profiles live in ``notebooks/profiles.yml``: ``{profile: {chapter: {parameter: value}}}``;
parameters not named there keep the notebook's defaults (the publication values).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import papermill as pm
import yaml

from .chapter import CHAPTERS, REPO_ROOT, parameter_defaults

__all__ = ["load_profiles", "check_parameters", "run_chapter", "run_all"]


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
                overrides: dict | None = None, cwd: str | Path = REPO_ROOT) -> Path:
    """Execute one chapter with papermill; returns the executed notebook's path.

    Parameters not in the chapter's parameters cell, or of another type than their
    default, raise before anything runs (`check_parameters`).
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
    pm.execute_notebook(str(REPO_ROOT / "notebooks" / f"{chapter}.ipynb"), str(out),
                        parameters=parameters, cwd=str(cwd), kernel_name="python3",
                        progress_bar=False)
    return out


def run_all(profile: str = "full", chapters=CHAPTERS, **kwargs) -> dict:
    """Run chapters in order; returns ``{chapter: wall seconds}``."""
    times = {}
    for chapter in chapters:
        start = time.perf_counter()
        run_chapter(chapter, profile, **kwargs)
        times[chapter] = time.perf_counter() - start
        print(f"[{profile}] {chapter}: {times[chapter]:.1f} s", flush=True)
    return times


def _main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", help="parameter profile (notebooks/profiles.yml)")
    parser.add_argument("--chapters", nargs="*", default=list(CHAPTERS), help="chapters to run")
    args = parser.parse_args(argv)
    run_all(args.profile, args.chapters)


if __name__ == "__main__":
    _main()
