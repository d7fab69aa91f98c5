"""The book's reference pages, checked without building the book (fast).

* ``book/api.md`` (API reference, Sphinx autodoc): every public module of ``halo_utils`` is
  documented there, by its own ``automodule`` or through the package that re-exports its
  ``__all__``; every public name exists and carries a docstring (or a ``#:`` doc comment for
  a constant), so that its entry says something. After a build, ``.ci/check_api_reference.py``
  checks the rendered page itself.
* ``book/conventions.md`` (Conventions and methods): the numbered sections that docstrings
  cite as "conventions §N", each with its MyST label; ``_toc.yml`` lists both pages.
* No file cites the unpublished specification any more (readers cannot open it).
"""

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pytest
import yaml

import halo_utils

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

#: The sections of book/conventions.md, in order: (MyST label, heading). Docstrings cite them
#: as "conventions §N" with N the position in this list.
CONVENTIONS_SECTIONS = (
    ("conventions-frames", "Frames, units and signs"),
    ("conventions-schema", "Catalogue and tile schema"),
    ("conventions-selection", "Selection function and error model"),
    ("conventions-mock", "The embedded mock survey"),
    ("conventions-samples", "Sample construction and cuts"),
    ("conventions-maps", "sigma_r and beta maps"),
    ("conventions-density", "The density model"),
    ("conventions-likelihood", "The density likelihood"),
    ("conventions-inference", "Priors, fits and uncertainties"),
    ("conventions-recovery", "Mock recovery and coverage"),
    ("conventions-reflex", "The reflex model and fit"),
    ("conventions-runs", "Runs, profiles and outputs"),
    ("conventions-departures", "Where the chapters depart from the papers"),
    ("conventions-lmc", "The Milky Way + LMC simulation"),
    ("conventions-published", "Published measurements on the figures"),
)


def public_modules():
    """Dotted names of halo_utils' public modules and subpackages (no part starting with _)."""
    return sorted(info.name for info in pkgutil.walk_packages(halo_utils.__path__, "halo_utils.")
                  if not any(part.startswith("_") for part in info.name.split(".")[1:]))


def api_page_modules():
    """Modules named by an ``automodule`` directive in book/api.md (rST inside ``{eval-rst}``
    blocks, or MyST's ```` ```{automodule} ```` form)."""
    text = (BOOK / "api.md").read_text()
    return set(re.findall(r"^\s*\.\. automodule::\s*(\S+)", text, re.M)) | set(
        re.findall(r"^\s*```\{automodule\}\s*(\S+)", text, re.M))


def _all(module):
    return tuple(getattr(module, "__all__", None) or ())


def _not_reexported(module, parent):
    """Names of ``module.__all__`` that ``parent`` does not re-export (same object)."""
    return [n for n in _all(module)
            if n not in _all(parent) or getattr(parent, n, None) is not getattr(module, n, None)]


def _covered(modname, documented, why):
    """Whether ``modname`` is on the page: documented itself, or its package is (recursively)
    and re-exports all of its ``__all__``. Appends the reasons it is not to ``why``."""
    if modname in documented:
        return True
    parent_name = modname.rpartition(".")[0]
    if parent_name == "halo_utils":
        why.append(f"{modname}: no `.. automodule:: {modname}` in book/api.md")
        return False
    module, parent = importlib.import_module(modname), importlib.import_module(parent_name)
    missing = _not_reexported(module, parent)
    if missing:
        why.append(f"{modname}: {parent_name} does not re-export {missing}; re-export them or add "
                   f"`.. automodule:: {modname}` to book/api.md")
        return False
    return _covered(parent_name, documented, why)


def test_every_public_module_is_on_the_api_page():
    documented = api_page_modules()
    why = []
    for modname in public_modules():
        _covered(modname, documented, why)
    assert not why, "modules missing from the API reference:\n" + "\n".join(why)


def test_api_page_documents_only_public_importable_modules():
    public = set(public_modules())
    bad = sorted(m for m in api_page_modules() if m not in public)
    assert not bad, (f"book/api.md documents {bad}, which are not public modules of halo_utils "
                     "(renamed or removed? the book build would fail on them)")


def test_every_public_module_has_an_explicit_all():
    missing = [m for m in public_modules() if getattr(importlib.import_module(m), "__all__", None) is None]
    assert not missing, f"public modules without __all__ (the API page documents __all__ only): {missing}"


def _doc_comments():
    """``{name: [module, ...]}``: module-level constants with a ``#:`` doc comment (or a string
    right after the assignment), per module of the package that is loaded, found as Sphinx
    finds them (Sphinx comes with the book extra)."""
    ModuleAnalyzer = pytest.importorskip("sphinx.pycode").ModuleAnalyzer
    out = {}
    for modname in sorted(n for n in sys.modules if n == "halo_utils" or n.startswith("halo_utils.")):
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module without source
            continue
        for (cls, name), lines in docs.items():
            if cls == "" and any(line.strip() for line in lines):
                out.setdefault(name, []).append(modname)
    return out


def _own_docstring(obj):
    doc = obj.__doc__
    if inspect.isclass(obj) and doc and doc.startswith(obj.__name__ + "("):
        return None  # the signature a dataclass writes when it has no docstring
    return doc if doc and doc.strip() else None


def test_every_public_name_exists_and_has_a_docstring():
    modules = {m: importlib.import_module(m) for m in public_modules()}
    comments = _doc_comments()
    problems = []
    for modname, module in modules.items():
        for name in _all(module):
            if not hasattr(module, name):
                problems.append(f"{modname}.{name}: listed in __all__ but not defined")
                continue
            obj = getattr(module, name)
            if inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
                if _own_docstring(obj) is None:
                    problems.append(f"{modname}.{name}: no docstring")
            elif not any(getattr(sys.modules[m], name, None) is obj for m in comments.get(name, ())):
                problems.append(f"{modname}.{name}: constant without a `#:` doc comment where it is defined")
    assert not problems, "public names without documentation:\n" + "\n".join(problems)


def _conventions_text():
    return (BOOK / "conventions.md").read_text()


def test_conventions_page_has_the_numbered_labelled_sections():
    text = _conventions_text()
    found = re.findall(r"^\(([\w-]+)\)=\s*\n##\s+(\d+)\.\s+(.+?)\s*$", text, re.M)
    expected = [(label, str(i), title) for i, (label, title) in enumerate(CONVENTIONS_SECTIONS, start=1)]
    assert [(label, num, title) for label, num, title in found] == expected, (
        "book/conventions.md must have exactly these level-2 sections, each right below its label "
        f"line `(label)=`:\n{expected}\nfound:\n{found}")
    assert len(re.findall(r"^## ", text, re.M)) == len(CONVENTIONS_SECTIONS), "unlabelled level-2 sections"


def test_toc_lists_conventions_and_api():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry.get("file") for entry in toc.get("chapters", [])]
    for page in ("book/conventions", "book/api"):
        assert page in files, f"_toc.yml does not list {page}"
        assert (ROOT / f"{page}.md").is_file(), f"{page}.md is missing"


def _source_files():
    """The files readers and maintainers read: the package, the chapters, the tests, the book."""
    return sorted([*ROOT.glob("halo_utils/**/*.py"), *ROOT.glob("notebooks/*.py"), *ROOT.glob("tests/**/*.py"),
                   *BOOK.glob("*.md")])


def test_conventions_citations_point_at_existing_sections():
    cite = re.compile(r"conventions\s*§\s*(\d+)")
    bad = []
    for path in _source_files():
        for lineno, line in enumerate(path.read_text().splitlines(), start=1):
            for number in cite.findall(line):
                if not 1 <= int(number) <= len(CONVENTIONS_SECTIONS):
                    bad.append(f"{path.relative_to(ROOT)}:{lineno}: conventions §{number}")
    assert not bad, f"citations of sections that book/conventions.md does not have (1-{len(CONVENTIONS_SECTIONS)}):\n" \
        + "\n".join(bad)


def test_no_file_cites_the_unpublished_specification():
    """Readers never see the specification the compendium was written from: docstrings, comments
    and chapters cite book/conventions.md ("conventions §N") or the papers instead."""
    token = re.compile(r"\b" + "SP" + "EC" + r"\b")  # spelt in two halves so this file does not match itself
    hits = []
    for path in _source_files():
        for lineno, line in enumerate(path.read_text().splitlines(), start=1):
            if token.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:100]}")
    assert not hits, f"{len(hits)} line(s) still cite the specification:\n" + "\n".join(hits)


def test_no_docstring_reference_runs_into_a_word_or_bracket():
    """`name`(x) or `name`[i] is not valid reStructuredText (a role's end-string must be followed
    by a space or punctuation); the book build, run with --warningiserror, would fail on it."""
    bad = []
    pattern = re.compile(r"(?<!`)`[A-Za-z_][\w.]*`(?!`)[\w(\[]")
    for path in sorted((ROOT / "halo_utils").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_no_text_holds_a_latex_command_eaten_by_a_string_escape():
    """LaTeX written through a non-raw Python string loses its backslash: \\rm becomes a
    carriage return + "m", \\times a tab + "imes", \\beta a backspace + "eta", \\nabla a
    line break + "abla" (it happened to conventions §14 once). Readers then see broken maths."""
    control = re.compile(r"[\r\t\x08\x0c\x0b\x07]")
    eaten = re.compile(r"^(abla|ewline|otag|u \\propto)")
    hits = []
    for path in _source_files():
        for lineno, line in enumerate(path.read_bytes().decode().split("\n"), start=1):
            if control.search(line) or eaten.match(line):
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()[:80]!r}")
    assert not hits, "text that lost a backslash to a string escape:\n" + "\n".join(hits)
