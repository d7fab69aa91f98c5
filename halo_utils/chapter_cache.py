"""Re-execute a chapter only when something it depends on changed (conventions §12).

A chapter's **key** is the SHA-256 of everything its results depend on:

* the notebook that is executed (``notebooks/<chapter>.ipynb``);
* the package's source code (every ``halo_utils/**/*.py``);
* its effective parameters (the notebook's defaults updated by the profile and overrides);
* the content of every input file its ``*_path`` parameters name, among them the outputs of
  the chapters it reads (so a reader re-runs exactly when its upstream results changed);
* the versions of Python and of the scientific stack.

After a successful run the key is stored beside the executed notebook as
``<chapter>.key.json``. A later run with the same key is skipped when the executed notebook
is still there and the chapter's output directory still holds a complete run whose files
match the SHA-256 its ``summary.json`` recorded. Anything else (a new key, a missing or
edited output, an interrupted run, which leaves no marker) re-executes the chapter. This is
the staging of jupyter-cache and showyourwork, keyed on content rather than on file times.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .chapter import REPO_ROOT, parameter_defaults
from .fingerprint import file_sha256
from .outputs import MARKER, write_text_atomic
from .provenance import package_versions

__all__ = ["KEY_SUFFIX", "package_sha256", "chapter_key", "stored_key", "is_up_to_date", "record_key"]

#: Suffix of the file, beside the executed notebook, that holds the key of its run.
KEY_SUFFIX = ".key.json"

_PACKAGE = Path(__file__).resolve().parent


def package_sha256(package: str | Path = _PACKAGE) -> str:
    """SHA-256 of the package's source: every ``*.py`` below ``package``, by relative path."""
    package = Path(package)
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _input_files(parameters: dict, cwd: Path) -> dict:
    """``{parameter: sha256}`` of every existing file named by a ``*_path`` parameter ("absent"
    for a path that does not exist yet, "" for an empty path)."""
    out = {}
    for name, value in sorted(parameters.items()):
        if not name.endswith("_path") or not isinstance(value, str):
            continue
        path = Path(value) if Path(value).is_absolute() else cwd / value
        out[name] = "" if not value else file_sha256(path) if path.is_file() else "absent"
    return out


def chapter_key(chapter: str, parameters: dict, *, cwd: str | Path = REPO_ROOT,
                notebooks: str | Path = REPO_ROOT / "notebooks") -> dict:
    """The key of running ``chapter`` with ``parameters`` (those that differ from its defaults).

    Returns ``{"key": hex digest, "components": {...}}``; the components say what went in, so
    that a stored key can tell why a chapter re-ran.
    """
    effective = {**parameter_defaults(chapter, notebooks), **parameters}
    components = {
        "notebook": file_sha256(Path(notebooks) / f"{chapter}.ipynb"),
        "package": package_sha256(),
        "parameters": effective,
        "inputs": _input_files(effective, Path(cwd)),
        "versions": package_versions(),
    }
    text = json.dumps(components, sort_keys=True, default=str)
    return {"key": hashlib.sha256(text.encode()).hexdigest(), "components": components}


def _key_path(executed: Path) -> Path:
    return executed.with_name(executed.stem + KEY_SUFFIX)


def stored_key(executed: str | Path) -> dict | None:
    """The key stored for an executed notebook, or None (none stored, or unreadable)."""
    try:
        return json.loads(_key_path(Path(executed)).read_text())
    except (OSError, ValueError):
        return None


def _outputs_intact(output_dir: Path) -> bool:
    """Whether ``output_dir`` holds a complete run whose outputs are as its marker recorded."""
    try:
        marker = json.loads((output_dir / MARKER).read_text())
    except (OSError, ValueError):
        return False
    if not marker.get("complete"):
        return False
    return all((output_dir / name).is_file() and file_sha256(output_dir / name) == sha
               for name, sha in marker.get("outputs", {}).items())


def is_up_to_date(key: dict, executed: str | Path, output_dir: str | Path) -> bool:
    """Whether the run that made ``executed`` had this ``key`` and its outputs are intact."""
    executed = Path(executed)
    stored = stored_key(executed)
    return (stored is not None and stored.get("key") == key["key"] and executed.is_file()
            and _outputs_intact(Path(output_dir)))


def record_key(key: dict, executed: str | Path) -> Path:
    """Store ``key`` beside the executed notebook (atomically), after a successful run."""
    return write_text_atomic(_key_path(Path(executed)), json.dumps(key, indent=1, sort_keys=True, default=str))
