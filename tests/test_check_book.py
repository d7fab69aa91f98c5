"""The browser check of the built book (``.ci/check_book.py``, ``make check-book``) on a
small site written here: it passes a good site and fails, naming the page, on each fault it
promises to catch (a missing figure, a broken link or anchor, a remote script, a console
error, untypeset math, an unexplained stderr output, a page of the table of contents that was
not built).

The browser tests need Debian's ``chromium`` and ``chromium-driver``; the fixture installs
them (``.ci/ensure_chromium``) where the user may. Where it cannot, they are skipped with
that reason on a workstation and fail in CI (``CI`` set), so CI never passes without them.
"""

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_book", ROOT / ".ci" / "check_book.py")
check_book = sys.modules["check_book"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(check_book)



def png(width=4, height=3):
    """A small red RGB PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


MATHJAX = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"


def page(title, body, mathjax=True):
    script = '<script defer src="../_static/mathjax/tex-chtml.js"></script>' if mathjax else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{script}</head>"
            f"<body><h1 id='top'>{title}</h1>{body}</body></html>")


@pytest.fixture
def site(tmp_path):
    """A two-page book: a chapter with a figure, math, a stdout output and a link to the
    second page's anchor; its table of contents."""
    root = tmp_path / "html"
    (root / "book").mkdir(parents=True)
    (root / "_images").mkdir()
    (root / "_images" / "figure.png").write_bytes(png())
    shutil.copytree(MATHJAX, root / "_static" / "mathjax")
    (root / "index.html").write_text("<!DOCTYPE html><html><head><title>i</title></head>"
                                     "<body><a href='book/chapter.html'>start</a></body></html>")
    (root / "book" / "chapter.html").write_text(page("Chapter", (
        "<p>An orbit: <span class='math notranslate nohighlight'>\\(v_r = \\dot r\\)</span></p>"
        "<img src='../_images/figure.png' alt='a figure'>"
        "<div class='cell tag_parameters tag_hide-input docutils container'><pre>seed = 1</pre></div>"
        "<div class='cell docutils container'><div class='cell_output'>"
        "<div class='output stream highlight-myst-ansi'><pre>fitted 3 parameters</pre></div></div></div>"
        "<p><a href='conventions.html#frames'>frames</a> <a href='#top'>top</a>"
        " <a href='https://arxiv.org/abs/2404.08975'>the paper</a></p>")))
    (root / "book" / "conventions.html").write_text(page("Conventions", "<h2 id='frames'>Frames</h2>", mathjax=False))
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: index\nchapters:\n  - file: book/chapter\n  - file: book/conventions\n")
    return root, toc


def kinds(problems):
    return sorted({p.kind for p in problems})


# --- the file pass (no browser) -----------------------------------------------------------

def test_file_pass_accepts_the_good_site(site):
    root, toc = site
    problems, reports = check_book.check_files(root, toc)
    assert problems == []
    assert set(reports) == {"index.html", "book/chapter.html", "book/conventions.html"}


def test_file_pass_finds_a_removed_figure(site):
    root, toc = site
    (root / "_images" / "figure.png").unlink()
    problems, _ = check_book.check_files(root, toc)
    assert [(p.page, p.kind) for p in problems] == [("book/chapter.html", "missing file")]
    assert "figure.png" in problems[0].detail


def test_file_pass_finds_a_link_to_a_missing_page_and_anchor(site):
    root, toc = site
    chapter = root / "book" / "chapter.html"
    chapter.write_text(chapter.read_text().replace("</body>", "<a href='nowhere.html'>x</a>"
                                                   "<a href='conventions.html#no-such'>y</a></body>"))
    problems, _ = check_book.check_files(root, toc)
    assert kinds(problems) == ["broken anchor", "broken link"]
    assert all(p.page == "book/chapter.html" for p in problems)


def test_file_pass_finds_a_remote_script_and_an_unbuilt_page(site):
    root, toc = site
    chapter = root / "book" / "chapter.html"
    chapter.write_text(chapter.read_text().replace(
        "</head>", "<script src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js'></script></head>"))
    (root / "book" / "conventions.html").unlink()
    problems, _ = check_book.check_files(root, toc)
    assert ("book/chapter.html", "remote resource") in [(p.page, p.kind) for p in problems]
    assert ("book/conventions.html", "page missing") in [(p.page, p.kind) for p in problems]


def test_file_pass_finds_code_before_the_narrative_and_unfolded_parameters(site):
    root, toc = site
    chapter = root / "book" / "chapter.html"
    text = chapter.read_text()
    chapter.write_text(text.replace("<p>An orbit", "<div class='cell docutils container'><pre>import numpy</pre></div>"
                                    "<p>An orbit").replace(" tag_hide-input", ""))
    problems, _ = check_book.check_files(root, toc)
    assert [(p.page, p.kind) for p in problems] == [("book/chapter.html", "code before narrative"),
                                                    ("book/chapter.html", "unfolded cell")]
    chapter.write_text(text.replace("<p>An orbit", "<div class='cell tag_hide-input docutils container'>"
                                    "<pre>import numpy</pre></div><p>An orbit"))
    assert check_book.check_files(root, toc)[0] == []  # a folded setup cell may come first


def test_file_pass_wants_launch_download_and_repository_links_on_chapter_pages(site, tmp_path):
    """A page rendered from a chapter's notebook: Binder must open a notebook the repository
    holds, the .ipynb and .py must be offered (and built), and the repository linked."""
    root, toc = site
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "notebooks" / "01_x.ipynb").write_text("{}")
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/org/book\n")
    (root / "book" / "executed").mkdir()
    (root / "_sources" / "book" / "executed").mkdir(parents=True)
    (root / "_sources" / "book" / "executed" / "01_x.ipynb").write_text("{}")
    (root / "_sources" / "notebooks").mkdir()
    (root / "_sources" / "notebooks" / "01_x.py").write_text("# %%")
    buttons = ("<a href='https://mybinder.org/v2/gh/org/book/main?urlpath=lab/tree/notebooks/01_x.ipynb'>Binder</a>"
               "<a href='../../_sources/book/executed/01_x.ipynb'>.ipynb</a>"
               "<a href='../../_sources/notebooks/01_x.py'>.py</a>"
               "<a href='https://github.com/org/book'>repository</a>")
    chapter = root / "book" / "executed" / "01_x.html"
    chapter.write_text(page("Chapter 1", "<p>Narrative.</p>" + buttons, mathjax=False))
    assert check_book.check_files(root, toc, config=config, repo_root=repo)[0] == []
    # without config (the tests above) the buttons are not asked for
    chapter.write_text(page("Chapter 1", "<p>Narrative.</p>", mathjax=False))
    assert check_book.check_files(root, toc)[0] == []
    problems, _ = check_book.check_files(root, toc, config=config, repo_root=repo)
    assert kinds(problems) == ["no download", "no launch button", "no repository link"]
    assert all(p.page == "book/executed/01_x.html" for p in problems)
    # Binder sent to the executed copy, which a clone of the repository does not hold
    chapter.write_text(page("Chapter 1", "<p>Narrative.</p>" + buttons.replace("tree/notebooks/", "tree/book/executed/"),
                            mathjax=False))
    problems, _ = check_book.check_files(root, toc, config=config, repo_root=repo)
    assert [p.kind for p in problems] == ["launch link"] and "book/executed/01_x.ipynb" in problems[0].detail
    # the script offered but not built is a broken link
    (root / "_sources" / "notebooks" / "01_x.py").unlink()
    chapter.write_text(page("Chapter 1", "<p>Narrative.</p>" + buttons, mathjax=False))
    problems, _ = check_book.check_files(root, toc, config=config, repo_root=repo)
    assert [p.kind for p in problems] == ["broken link"] and "01_x.py" in problems[0].detail


def test_file_pass_counts_stderr_and_log_lines_unless_allowed_with_a_reason(site, tmp_path):
    root, toc = site
    chapter = root / "book" / "chapter.html"
    chapter.write_text(chapter.read_text().replace("</body>", (
        "<div class='output stderr highlight-myst-ansi'><pre>UserWarning: something odd</pre></div>"
        "<div class='output stream highlight-myst-ansi'><pre>a result\nWARNING:root:Too few points</pre></div>"
        "</body>")))
    problems, _ = check_book.check_files(root, toc)
    assert sorted((p.kind, "odd" in p.detail or "Too few" in p.detail) for p in problems) == [
        ("stderr output", True), ("stdout output", True)]
    allow = tmp_path / "allow.toml"
    allow.write_text('[[allow]]\npage = "book/*.html"\npattern = "UserWarning: something odd"\n'
                     'reason = "shown on purpose: the chapter explains it"\n')
    problems, reports = check_book.check_files(root, toc, check_book.load_allowed(allow))
    assert [p.kind for p in problems] == ["stdout output"]
    assert reports["book/chapter.html"].allowed_outputs[0]["reason"].startswith("shown on purpose")
    allow.write_text('[[allow]]\npage = "*"\npattern = "x"\nreason = ""\n')
    with pytest.raises(ValueError, match="reason"):
        check_book.load_allowed(allow)


# --- the browser pass ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Chromium and its driver, installed where this user may; skipped (or, in CI, failed)
    where they cannot be."""
    result = subprocess.run(["bash", str(ROOT / ".ci" / "ensure_chromium")], capture_output=True, text=True)
    if result.returncode:
        message = f"Chromium for the browser check is not available: {result.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def run_browser(root, tmp_path):
    report = check_book.PageReport
    reports = {}
    problems = check_book.check_in_browser(root, check_book.html_pages(root), reports,
                                           screenshots=tmp_path / "shots", progress=lambda *_: None)
    assert all(isinstance(r, report) for r in reports.values())
    return problems, reports


def test_browser_pass_accepts_the_good_site_with_no_network(site, tmp_path, browser):
    root, _ = site
    problems, reports = run_browser(root, tmp_path)
    assert problems == []
    chapter = reports["book/chapter.html"]
    assert (chapter.images, chapter.math) == (1, 1)  # the figure shown, the math typeset
    assert Path(chapter.screenshot).stat().st_size > 1000


def test_browser_pass_finds_a_removed_figure(site, tmp_path, browser):
    root, _ = site
    (root / "_images" / "figure.png").unlink()
    problems, _ = run_browser(root, tmp_path)
    assert ("book/chapter.html", "image not shown") in [(p.page, p.kind) for p in problems]


def test_browser_pass_finds_untypeset_math_a_console_error_and_a_remote_request(site, tmp_path, browser):
    root, _ = site
    conventions = root / "book" / "conventions.html"
    conventions.write_text(conventions.read_text().replace("</body>", (
        "<span class='math'>\\(x\\)</span>"            # no MathJax on this page: raw TeX
        "<script>undefinedFunction();</script>"          # a script error
        "<img src='http://203.0.113.7/logo.png'>"        # fetched from elsewhere (no network)
        "</body>")))
    problems, _ = run_browser(root, tmp_path)
    found = {(p.page, p.kind) for p in problems}
    assert {("book/conventions.html", k) for k in
            ("math not typeset", "console error", "network request", "image not shown")} <= found
    assert not any(p.page == "book/chapter.html" for p in problems)


def test_check_book_writes_a_report_and_fails_on_a_problem(site, tmp_path, browser):
    root, toc = site
    report = tmp_path / "report"
    assert check_book.check_book(root, toc, report, allowed=[], progress=lambda *_: None) == []
    assert (report / "report.json").exists() and len(list((report / "screenshots").glob("*.png"))) == 3
    (root / "_images" / "figure.png").unlink()
    assert "missing file" in kinds(check_book.check_book(root, toc, report, allowed=[], progress=lambda *_: None))
