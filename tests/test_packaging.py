"""pyproject.toml and environment.yml list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pip_names |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_names = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert pip_names == conda_names, (pip_names ^ conda_names)
    assert "conda-forge" in env["channels"]


def test_required_layout():
    for path in ("book", "notebooks", "halo_utils", "data", "tests", "_config.yml", "_toc.yml",
                 "environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run",
                 "data/README.md", "book/references.bib"):
        assert (ROOT / path).exists(), path
