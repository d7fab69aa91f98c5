#!/usr/bin/env python
"""Check the built API reference: every public name of halo_utils has an entry on the page.

Run after the book build, from the repository root:

    python .ci/check_api_reference.py [_build/html/book/api.html]

A public module is any module or subpackage of ``halo_utils`` found by
``pkgutil.walk_packages`` whose dotted name has no part starting with ``_`` (so
``__main__`` and private helpers are out). Its public names are its ``__all__``. A name
``n`` of module ``m`` counts as documented when the page has an object entry (an HTML
``id``) for ``m.n``, or for ``p.n`` where ``p`` is a package above ``m`` that re-exports the
same object (``halo_utils.reflex.ReflexModel`` for ``halo_utils.reflex.model.ReflexModel``).

Exit status 0 when everything is documented; 1 with a list of the missing names (and of
public modules without ``__all__``), each with the two ways to fix it; 2 when the page is
missing or halo_utils cannot be imported.
"""

from __future__ import annotations

import html.parser
import importlib
import pkgutil
import sys
from pathlib import Path

PACKAGE = "halo_utils"
DEFAULT_PAGE = Path("_build/html/book/api.html")


class _Ids(html.parser.HTMLParser):
    """Collect every ``id`` attribute of a page."""

    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" and value:
                self.ids.add(value)


def page_ids(page: Path) -> set:
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.ids


def public_modules(package) -> list:
    """Dotted names of the public modules and subpackages of ``package`` (itself excluded)."""
    names = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        names.append(info.name)
    return sorted(names)


def missing_entries(ids: set, package_name: str = PACKAGE) -> tuple[list, list]:
    """``(missing, no_all)``: public names without an entry, as (module, name) pairs, and
    public modules that define no ``__all__``."""
    package = importlib.import_module(package_name)
    missing, no_all = [], []
    for modname in public_modules(package):
        module = importlib.import_module(modname)
        names = getattr(module, "__all__", None)
        if names is None:
            no_all.append(modname)
            continue
        for name in names:
            obj = getattr(module, name, None)
            candidates = [modname]
            parts = modname.split(".")
            for depth in range(len(parts) - 1, 1, -1):  # packages above, not the root
                parent = importlib.import_module(".".join(parts[:depth]))
                if name in (getattr(parent, "__all__", None) or ()) and getattr(parent, name, None) is obj:
                    candidates.append(parent.__name__)
            if not any(f"{c}.{name}" in ids for c in candidates):
                missing.append((modname, name))
    return missing, no_all


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    page = Path(argv[0]) if argv else DEFAULT_PAGE
    if not page.is_file():
        print(f"check_api_reference: {page} not found; build the book first (make book)", file=sys.stderr)
        return 2
    try:
        missing, no_all = missing_entries(page_ids(page))
    except ImportError as exc:
        print(f"check_api_reference: cannot import {PACKAGE}: {exc}", file=sys.stderr)
        return 2
    if not missing and not no_all:
        print(f"check_api_reference: every public name of {PACKAGE} has an entry in {page}")
        return 0
    if no_all:
        print(f"{len(no_all)} public module(s) without __all__ (the API page documents __all__ only):")
        for modname in no_all:
            print(f"  {modname}: add __all__, or rename it with a leading underscore if it is private")
    if missing:
        print(f"{len(missing)} public name(s) without an entry in {page}:")
        for modname, name in missing:
            print(f"  {modname}.{name}")
        print("Fix: re-export each name in its package's __all__ (it is then documented there), or add "
              "an `.. automodule:: <module>` with `:members:` for its module to book/api.md; a name "
              "that is not public belongs outside __all__.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
