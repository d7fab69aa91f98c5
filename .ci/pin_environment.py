#!/usr/bin/env python
"""Write environment.yml (conda-forge) from pyproject.toml and requirements.lock.

Run by ``make lock`` after ``uv pip compile`` has refreshed the lock. Every dependency that
pyproject.toml names (the package's own and its ``book`` and ``test`` extras) is pinned to
the exact version the lock gives it on Python `PYTHON`, so a conda user gets the versions
that the book and the tests were run with. Packages that conda-forge does not carry go under
``pip:``. tests/test_packaging.py checks that the three files agree.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
#: The Python the lock is installed with by the README's commands (and CI).
PYTHON = "3.11"
#: Not on conda-forge: installed by pip inside the conda environment.
PIP_ONLY = {"sphinx-mathjax-offline"}
#: Why a package is there, written beside it.
COMMENTS = {
    "dask": "conda-forge's dask includes distributed (pip: dask[distributed])",
    "jax": "the compiled density likelihood of the emcee chains (CPU build)",
    "sphinx-mathjax-offline": "MathJax served by the book itself",
    "selenium": "the browser check of the built book",
    "sphinx-exercise": "the chapters' exercises with folded solutions",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """The requirements pyproject.toml names, each once, in order (package, then extras)."""
    project = tomllib.loads(Path(pyproject).read_text())["project"]
    seen, out = set(), []
    for req in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]:
        req = Requirement(req)
        if canonical(req.name) not in seen:
            seen.add(canonical(req.name))
            out.append(req)
    return out


def locked_versions(lock: Path = ROOT / "requirements.lock", python: str = PYTHON) -> dict[str, str]:
    """``{canonical name: version}`` of the lock's entries that apply on Python ``python``
    (a universal lock may give one package different versions for different Pythons)."""
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    versions = {}
    for line in Path(lock).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if not match:
            continue
        name, version, marker = match.groups()
        if marker is None or Marker(marker).evaluate(environment):
            versions[canonical(name)] = version
    return versions


def environment_yml(requirements, versions) -> str:
    conda, pip = [], []
    for req in requirements:
        name = canonical(req.name)
        if name not in versions:
            raise SystemExit(f"{name} is in pyproject.toml but not in requirements.lock: run `make lock`")
        comment = f"  # {COMMENTS[name]}" if name in COMMENTS else ""
        (pip if name in PIP_ONLY else conda).append(f"{name}=={versions[name]}{comment}")
    lines = ["# Conda (conda-forge) environment with the versions of requirements.lock, written by",
             "# `make lock` (.ci/pin_environment.py); do not edit by hand. Then: pip install --no-deps -e .",
             "name: halo-compendium", "channels:", "  - conda-forge", "dependencies:", f"  - python={PYTHON}"]
    lines += [f"  - {entry}" for entry in conda] + ["  - pip", "  - pip:"] + [f"      - {entry}" for entry in pip]
    return "\n".join(lines) + "\n"


def main() -> int:
    text = environment_yml(project_requirements(), locked_versions())
    tmp = ROOT / "environment.yml.tmp"
    tmp.write_text(text)
    tmp.replace(ROOT / "environment.yml")
    print(f"environment.yml: {text.count('==')} packages pinned to requirements.lock (Python {PYTHON})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
