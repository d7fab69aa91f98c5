"""Content fingerprints: what a checkpoint, a backend or an output was made from.

A fingerprint is the SHA-256 of a canonical encoding of its parts (arrays by dtype, shape
and bytes; tables column by column; dicts with sorted keys; numbers and strings by value),
so it changes when the data or a setting changes and never with the process, the machine
or the order of dict keys. Resumable files carry the fingerprint of the run that made them
(`check_fingerprint`), and a resume with different data or settings is refused instead of
silently returning the old answer.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

__all__ = ["FingerprintMismatch", "fingerprint", "file_sha256", "check_fingerprint"]

#: Chunk size for hashing files, bytes.
_CHUNK = 1 << 20


class FingerprintMismatch(ValueError):
    """A resumable file was made from other data or settings than the current call's."""


def _update(h, obj) -> None:
    # a type tag before every value keeps e.g. the string "1" and the integer 1 apart
    if obj is None or isinstance(obj, (bool, str)):
        h.update(b"j" + json.dumps(obj).encode())
    elif isinstance(obj, (int, np.integer)):
        h.update(b"i" + str(int(obj)).encode())
    elif isinstance(obj, (float, np.floating)):
        h.update(b"f" + float(obj).hex().encode())
    elif isinstance(obj, Path):
        h.update(b"p" + str(obj).encode())
    elif isinstance(obj, dict):
        h.update(b"d%d" % len(obj))
        for key in sorted(obj, key=str):
            _update(h, str(key))
            _update(h, obj[key])
    elif isinstance(obj, (list, tuple)):
        h.update(b"l%d" % len(obj))
        for item in obj:
            _update(h, item)
    elif hasattr(obj, "colnames") and hasattr(obj, "columns"):  # astropy Table
        h.update(b"t")
        for name in obj.colnames:
            _update(h, name)
            _update(h, np.asarray(obj[name]))
            _update(h, str(getattr(obj[name], "unit", None)))
    else:
        arr = np.asarray(obj)
        if arr.dtype == object:
            raise TypeError(f"cannot fingerprint an object of type {type(obj).__name__}")
        arr = np.ascontiguousarray(arr)
        h.update(b"a" + arr.dtype.str.encode() + repr(arr.shape).encode())
        h.update(arr.tobytes())


def fingerprint(*parts) -> str:
    """SHA-256 hex digest of ``parts`` (arrays, tables, dicts, lists, numbers, strings)."""
    h = hashlib.sha256()
    _update(h, list(parts))
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def check_fingerprint(path: str | Path, stored: str | None, expected: str, *, what: str) -> None:
    """Refuse to resume ``path`` unless its ``stored`` fingerprint is ``expected``.

    Raises `FingerprintMismatch` naming the file and telling how to start afresh.
    """
    if stored == expected:
        return
    reason = ("carries no fingerprint (made by another program or an older version)" if stored is None
              else "was made from other data or settings")
    raise FingerprintMismatch(
        f"{what} {path} {reason}; resuming it would return another run's answer. "
        f"Delete the file, choose another path, or pass restart=True to overwrite it with a fresh run.")
