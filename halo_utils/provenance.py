"""Run metadata of a chapter's summary: parameters, package versions, git revision.

The summary itself is written by `halo_utils.outputs.OutputDirectory.finish`, last, as the
run's completion marker."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path


__all__ = ["RUNTIME_FIELDS", "package_versions", "git_revision", "run_metadata", "without_runtime"]

#: Summary keys (at any depth) that describe the machine and the moment, not the result:
#: wall-clock times, package versions, the git revision. Two runs of a chapter with the
#: same parameters agree on everything else, byte for byte.
RUNTIME_FIELDS = ("runtime_s", "versions", "git_revision")


def without_runtime(summary):
    """``summary`` with every `RUNTIME_FIELDS` key removed, at any depth (for comparisons)."""
    if isinstance(summary, dict):
        return {k: without_runtime(v) for k, v in summary.items() if k not in RUNTIME_FIELDS}
    if isinstance(summary, list):
        return [without_runtime(v) for v in summary]
    return summary

_PACKAGES = ("halo_utils", "numpy", "scipy", "astropy", "gala", "emcee", "dynesty", "healpy",
             "matplotlib", "corner")


def package_versions(packages=_PACKAGES) -> dict:
    """Installed versions of the scientific stack ("not installed" where absent)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision(path: str | Path = ".") -> str:
    """The git commit of ``path`` (with ``-dirty`` if the tree has changes), or "unknown"."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_metadata(parameters: dict) -> dict:
    """Parameters, package versions and git revision of a chapter run."""
    return {"parameters": parameters, "versions": package_versions(), "git_revision": git_revision()}
