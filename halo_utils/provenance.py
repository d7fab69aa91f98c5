"""Run metadata and machine-readable summaries (SPEC section 9)."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["package_versions", "git_revision", "run_metadata", "write_summary"]

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


def _to_builtin(obj):
    if isinstance(obj, dict):
        return {str(k): _to_builtin(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_builtin(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_builtin(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None  # JSON has no NaN/inf
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_summary(path: str | Path, summary: dict) -> Path:
    """Write ``summary`` as indented JSON (numpy types converted, NaN -> null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_to_builtin(summary), indent=2, sort_keys=False) + "\n")
    return path
