"""The launch and download buttons of a chapter page point at the repository's notebooks.

The chapters are rendered from papermill's executed copies in ``book/executed/`` (built,
not committed), so sphinx-book-theme's buttons would send a reader to files a clone of the
repository does not hold. On every chapter page this extension

1. points the Binder (and any other launch) button at ``notebooks/<chapter>.ipynb``, the
   committed notebook, which runs from a fresh clone (the setup cell moves the kernel to the
   repository root, `halo_utils.chapter.run_from_repository_root`);
2. adds the chapter's jupytext script (``notebooks/<chapter>.py``, the file to read in a diff
   or an editor) to the download menu, beside the executed notebook (``.ipynb``, with its
   outputs) and the print-to-PDF button.

The repository itself is set once, as ``repository.url`` in ``_config.yml``; the repository
button, the launch buttons and this extension all read it from there. The browser check
(``.ci/check_book.py``) fails on a chapter page without these buttons or with a launch link
to a notebook that the repository does not hold.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: Where the chapters' executed copies are rendered from (relative to the book's source root).
EXECUTED_DIR = "book/executed"
#: Where the committed, paired notebooks live.
NOTEBOOK_DIR = "notebooks"


def _chapter_of(pagename: str) -> str | None:
    prefix = EXECUTED_DIR + "/"
    return pagename[len(prefix):] if pagename.startswith(prefix) else None


def _walk(buttons):
    for button in buttons:
        yield button
        yield from _walk(button.get("buttons", []))


def _point_buttons_at_notebooks(app, pagename, templatename, context, doctree):
    chapter = _chapter_of(pagename)
    if chapter is None or "header_buttons" not in context:
        return
    source = Path(app.srcdir) / NOTEBOOK_DIR
    executed, committed = f"{EXECUTED_DIR}/{chapter}.ipynb", f"{NOTEBOOK_DIR}/{chapter}.ipynb"
    for group in context["header_buttons"]:
        if group.get("label") == "launch-buttons":
            for button in _walk(group.get("buttons", [])):
                if button.get("url"):
                    button["url"] = button["url"].replace(executed, committed)
        if group.get("label") == "download-buttons" and (source / f"{chapter}.py").is_file():
            # the script is copied next to the page's own source, where the menu's links point
            target = Path(app.outdir) / "_sources" / NOTEBOOK_DIR / f"{chapter}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / f"{chapter}.py", target)
            for button in group["buttons"]:
                if button.get("label") == "download-source-button":
                    button["tooltip"] = "Download the executed notebook (with its outputs)"
            group["buttons"].insert(1, {
                "type": "link",
                "url": f"{context['pathto']('_sources', 1)}/{NOTEBOOK_DIR}/{chapter}.py",
                "text": ".py",
                "tooltip": "Download the chapter as a script (jupytext percent format)",
                "icon": "fas fa-code",
                "label": "download-script-button",
            })


def setup(app):
    # after sphinx-book-theme has built the page's header buttons (its handlers run at 501)
    app.connect("html-page-context", _point_buttons_at_notebooks, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
