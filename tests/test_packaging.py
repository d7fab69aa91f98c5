"""pyproject.toml, requirements.lock and environment.yml agree, and the environment the tests
run in holds exactly the locked versions."""

import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("pin_environment", ROOT / ".ci" / "pin_environment.py")
pin_environment = sys.modules["pin_environment"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pin_environment)


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pip_names |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_names = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    conda_names |= {_name(d) for entry in env["dependencies"] if isinstance(entry, dict) for d in entry["pip"]}
    assert pip_names == conda_names, (pip_names ^ conda_names)
    assert "conda-forge" in env["channels"]


def test_lock_satisfies_pyproject_for_python_311():
    locked = pin_environment.locked_versions()
    for req in pin_environment.project_requirements():
        name = pin_environment.canonical(req.name)
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), (name, str(req.specifier), locked[name])
    header = (ROOT / "requirements.lock").read_text().splitlines()[1]
    assert "--extra book --extra test --universal --python-version 3.11 --generate-hashes" in header, header


def test_environment_yml_is_pinned_to_the_lock():
    """environment.yml is exactly what `make lock` writes from the lock (no hand edits)."""
    expected = pin_environment.environment_yml(pin_environment.project_requirements(),
                                               pin_environment.locked_versions())
    assert (ROOT / "environment.yml").read_text() == expected
    assert expected.count("==") == len(pin_environment.project_requirements())


def test_every_hash_line_belongs_to_a_locked_file():
    """Each entry of the lock carries at least one sha256 hash (pip's --require-hashes mode)."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text().split("\n", 2)[2])
    assert len(entries) > 100
    for entry in entries:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.splitlines()[0]


def test_installed_versions_are_the_locked_ones():
    """This environment (the README's commands build it from the lock) holds exactly the
    locked version of every locked package that applies to this Python and platform."""
    wrong = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if not match or (match[3] and not Marker(match[3]).evaluate()):
            continue
        try:
            installed = importlib.metadata.version(match[1])
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != match[2]:
            wrong[match[1]] = (installed, match[2])
    assert not wrong, f"installed vs locked (rebuild .venv: rm -r .venv; make test): {wrong}"


def test_required_layout():
    for path in ("book", "notebooks", "halo_utils", "data", "tests", "_config.yml", "_toc.yml",
                 "environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run",
                 "data/README.md", "book/references.bib"):
        assert (ROOT / path).exists(), path


def test_binder_builds_from_environment_yml_then_postbuild():
    """repo2docker reads environment.yml and postBuild at the root (a binder/ folder would
    make it ignore both); postBuild installs the package and makes the same data as `make data`."""
    import os

    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text
    assert "pip install --no-deps -e ." in text
    make_data = re.search(r"^data:.*\n\t\$\(BIN\)/python (-c \".*?\")\n(?!\t)", (ROOT / "Makefile").read_text(),
                          re.M | re.S)
    assert make_data, "the Makefile's data target"
    normalise = lambda cmd: re.sub(r"\s+", " ", cmd.replace("\\\n", " "))  # noqa: E731
    assert normalise(make_data.group(1)) in normalise(text)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] and config["repository"]["url"].startswith("https://")
