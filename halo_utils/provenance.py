"""Run metadata of a chapter's summary: parameters, package versions, CPU, git revision.

The summary itself is written by `halo_utils.outputs.OutputDirectory.finish`, last, as the
run's completion marker."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path


__all__ = ["RUNTIME_FIELDS", "package_versions", "cpu_signature", "git_revision", "run_metadata", "without_runtime"]

#: Summary keys (at any depth) that describe the machine and the moment, not the result:
#: wall-clock times, package versions, the CPU, the git revision. Two runs of a chapter with
#: the same parameters on the same machine agree on everything else, byte for byte.
RUNTIME_FIELDS = ("runtime_s", "versions", "cpu", "git_revision")


def without_runtime(summary):
    """``summary`` with every `RUNTIME_FIELDS` key removed, at any depth (for comparisons)."""
    if isinstance(summary, dict):
        return {k: without_runtime(v) for k, v in summary.items() if k not in RUNTIME_FIELDS}
    if isinstance(summary, list):
        return [without_runtime(v) for v in summary]
    return summary

_PACKAGES = ("halo_utils", "numpy", "scipy", "astropy", "gala", "emcee", "dynesty", "healpy",
             "matplotlib", "corner", "jax", "jaxlib")


def package_versions(packages=_PACKAGES) -> dict:
    """Installed versions of the scientific stack ("not installed" where absent)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def cpu_signature() -> dict:
    """The CPU features that decide the last bits of a floating-point result.

    numpy, jax and the BLAS pick their vectorised kernels (and fused multiply-adds) by what the
    CPU offers, so the same code and versions can differ in the last bit between, e.g., a
    machine with AVX-512 and one without; in a chaotic step (an orbit over 3 Gyr, a nested
    sampler's run) such a bit grows into a different result. Returns ``machine`` (e.g.
    x86_64), the CPU ``vendor`` and ``model`` and the vector ``features`` it offers of
    avx, avx2, fma, avx512f (from /proc/cpuinfo where it exists).
    """
    info = {"machine": platform.machine(), "vendor": "unknown", "model": "unknown", "features": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    info["vendor"] = fields.get("vendor_id", "unknown")
    info["model"] = fields.get("model name", "unknown")
    flags = set(fields.get("flags", "").split())
    info["features"] = [f for f in ("avx", "avx2", "fma", "avx512f") if f in flags]
    return info


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
    """Parameters, package versions, CPU and git revision of a chapter run."""
    return {"parameters": parameters, "versions": package_versions(), "cpu": cpu_signature(),
            "git_revision": git_revision()}
