"""Sphinx hooks for the API reference page (book/api.md).

Three small rules, so that the page shows every public name exactly once, with its words:

1. **Every name in a module's ``__all__`` is documented**, even a constant without a doc
   comment (autodoc would drop it silently), and nothing else (``__all__`` decides).
2. **A submodule does not repeat its package.** When a subpackage re-exports a name of one
   of its modules, the name is documented once, under the package
   (``halo_utils.reflex.ReflexModel``); the module's own section shows only the names the
   package does not re-export.
3. **Constants keep their doc comments when re-exported.** A ``#:`` comment sits beside the
   assignment in the defining module; a package that re-exports the constant has no comment,
   so the comment is looked up where the constant is defined.

And two for the docstrings themselves: doc comments of constants and attributes are prose
(napoleon would split ``Named frames. "v4.0": ...`` at its colon into a type and a
description), and plain-text absolute values (``|Z| > 5 kpc``) are
escaped outside backticks, since reStructuredText would read ``|Z|`` as an (undefined)
substitution and the build runs with warnings as errors.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys

from sphinx.ext.autodoc import AttributeDocumenter, DataDocumenter, ModuleDocumenter
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.inspect import object_description

_PACKAGE = "halo_utils"
#: Backtick-quoted spans (``literal``, `role`, :role:`text`), left untouched.
_QUOTED = re.compile(r"(:[\w:+-]+:)?(``.+?``|`[^`]+`_{0,2})")
#: Values whose repr is longer than this are not printed in the entry's header.
_MAX_VALUE_CHARS = 100


def _module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _all(module):
    return tuple(getattr(module, "__all__", None) or ())


def _escape_bars(line: str) -> str:
    """``line`` with every ``|`` outside backtick-quoted spans escaped."""
    out, pos = [], 0
    for match in _QUOTED.finditer(line):
        out.append(line[pos:match.start()].replace("|", r"\|"))
        out.append(match.group(0))
        pos = match.end()
    out.append(line[pos:].replace("|", r"\|"))
    return "".join(out)


def _attr_comment(name, obj):
    """The ``#:`` doc comment of the module-level constant ``name`` bound to ``obj``, looked up
    in every loaded module of the package that binds the same object (the defining one has it)."""
    for modname, module in sorted(sys.modules.items()):
        if not (modname == _PACKAGE or modname.startswith(_PACKAGE + ".")) or module is None:
            continue
        if getattr(module, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module without source: nothing to find
            continue
        comment = docs.get(("", name))
        if comment:
            return [line for line in comment]
    return []


def skip_member(app, what, name, obj, skip, options):
    """Rules 1 and 2 for the members of a module documented with ``automodule``."""
    if what != "module":
        return None
    modname = app.env.temp_data.get("autodoc:module")
    module = _module(modname) if modname else None
    if module is None or not modname.startswith(_PACKAGE + "."):
        return None
    if name not in _all(module):
        return True
    parent = _module(modname.rpartition(".")[0])
    if parent is not None and parent.__name__ != _PACKAGE and name in _all(parent) \
            and getattr(parent, name, None) is getattr(module, name, None):
        return True  # documented once, under the package that re-exports it
    return False


class _PlainProse:
    """Doc comments of constants and attributes are prose: they skip the docstring processors,
    since napoleon would read "Named solar frames. "v4.0": astropy's ..." as a type
    ("Named solar frames. "v4.0"") and a description (Google-style attribute docstrings)."""

    def process_doc(self, docstrings):
        for lines in docstrings:
            lines = [_escape_bars(line) for line in lines]
            if lines and lines[-1] != "":
                lines.append("")
            yield from lines


class PlainAttributeDocumenter(_PlainProse, AttributeDocumenter):
    """Class attributes with a doc comment (e.g. dataclass fields), as prose."""


class PublicDataDocumenter(_PlainProse, DataDocumenter):
    """Module-level data (rules 1 and 3): autodoc's own documenter takes only constants with a
    doc comment in the documented module itself; this one takes every non-callable name of
    ``__all__``, looks its comment up where it is defined (never shows the docstring of its
    type, e.g. ``tuple``'s) and leaves long values out of the header."""

    @classmethod
    def can_document_member(cls, member, membername, isattr, parent):
        if not isinstance(parent, ModuleDocumenter):
            return False
        if isattr:
            return True
        return (membername in (parent.__all__ or ()) and not inspect.isroutine(member)
                and not isinstance(member, type) and not inspect.ismodule(member))

    def get_doc(self):
        name = self.objpath[-1]
        comment = self.get_module_comment(name) or _attr_comment(name, self.object)
        return [comment] if comment else []

    def should_suppress_value_header(self):
        if super().should_suppress_value_header():
            return True
        try:
            return len(object_description(self.object)) > _MAX_VALUE_CHARS
        except ValueError:
            return True


def process_docstring(app, what, name, obj, options, lines):
    """Escape plain-text bars (``|Z|``) outside backticks."""
    lines[:] = [_escape_bars(line) for line in lines]


def setup(app):
    app.add_autodocumenter(PublicDataDocumenter, override=True)
    app.add_autodocumenter(PlainAttributeDocumenter, override=True)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-docstring", process_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
