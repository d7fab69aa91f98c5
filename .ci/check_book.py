#!/usr/bin/env python
"""Check the built book as a reader meets it: every page in a real browser, with no network.

Run after the book build, from the repository root (``make check-book`` installs Chromium
first where it can, `ensure_chromium`):

    python .ci/check_book.py [_build/html] [--report _build/book_check]

Two passes over every HTML page of the build (``_static``, ``_sources``, ``_images`` and
``_downloads`` hold assets, not pages):

**Read from the files** (no browser):

- every page of ``_toc.yml`` was built;
- every internal link points at a file that exists and, with ``#anchor``, at an ``id`` on
  that page; links to other sites are not followed (a reader clicks them, the page does not
  load them);
- every image, script, style sheet or icon the page loads is a local file: a remote one
  would be fetched when the page is viewed, and the book must read offline;
- a chapter (a page with notebook cells) opens with its narrative: no code cell shows its
  code before the first paragraph under the title, and the parameters cell and papermill's
  injected-parameters cell are folded (cell tag ``hide-input``, or hidden otherwise);
- every chapter page (``book/executed/*.html``) offers what a reader takes away: a launch
  button whose notebook (``urlpath=.../tree/<path>``) is a file of the repository, the
  downloads of the notebook (``.ipynb``) and of its script (``.py``), both built, and a link
  to the repository of ``_config.yml`` (``repository.url``);
- every notebook output written to stderr, and every stdout line that reads like a log or
  a warning (``WARNING:``, ``SomethingWarning:``, ``ERROR``), matches an entry of
  ``.ci/book_allowed_output.toml``, each with the reason it may stay; anything else fails.

**Seen in Chromium** (Debian's ``chromium`` and ``chromium-driver`` through selenium,
headless, every host name resolving to nothing and every non-local address sent to a dead
proxy, so the check runs as a reader with no network):

- the page loads (HTTP 200 from a local server of the build directory);
- every ``<img>`` has loaded (``complete`` and a natural width);
- MathJax has typeset every math element (``.math`` holds an ``mjx-container``, and no
  ``mjx-merror``);
- the console shows no error (severity SEVERE: script errors, failed loads);
- no request left ``127.0.0.1``.

A screenshot of each page's first screen (1280 x 900) goes to ``<report>/screenshots/``
and a JSON report of every page (problems, counts, seconds) to ``<report>/report.json``.

Exit status 0 when no page has a problem; 1 with the list of problems, one line each,
naming the page; 2 when the build, the browser or its driver is missing.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from selenium import webdriver

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HTML = Path("_build/html")
DEFAULT_REPORT = Path("_build/book_check")
ALLOWED_OUTPUT = Path(__file__).resolve().with_name("book_allowed_output.toml")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Build folders that hold assets rather than pages.
ASSET_DIRS = ("_static", "_sources", "_images", "_downloads")
#: Seconds a page may take to load and typeset its math.
PAGE_TIMEOUT = 60
#: A stdout line that reads like a log record or a warning (a stderr output always counts).
LOG_LINE = re.compile(r"^\s*(?:(?:WARNING|ERROR|CRITICAL)\b|\w*Warning:|Traceback \(most recent call last\))")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--window-size=1280,900",
    # no network: every name resolves to nothing, and an address given as digits goes to a
    # proxy that does not exist (loopback is never proxied)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)


@dataclass
class Problem:
    """One thing wrong with one page."""

    page: str
    kind: str
    detail: str

    def __str__(self):
        return f"{self.page}: {self.kind}: {self.detail}"


@dataclass
class PageReport:
    """What the check saw on one page."""

    page: str
    images: int = 0
    math: int = 0
    allowed_outputs: list = field(default_factory=list)
    seconds: float = 0.0
    screenshot: str = ""


# --- reading the files ---------------------------------------------------------------------

class _PageParser(html.parser.HTMLParser):
    """Ids, links, loaded resources and notebook outputs of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.resources, self.outputs = set(), [], [], []
        # after the title: ("p", None) for the first paragraph and ("cell", {classes}) per cell
        self.body, self._titled = [], False
        self._output = None  # [kind, depth, text parts] of the output being read
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "iframe", "source", "audio", "video") and attrs.get("src"):
            self.resources.append((tag, attrs["src"]))
        if tag == "link" and attrs.get("href") and not {"canonical", "alternate"} & set((attrs.get("rel") or "").split()):
            self.resources.append((tag, attrs["href"]))
        if tag in _VOID:
            return
        self._depth += 1
        classes = set((attrs.get("class") or "").split())
        self._titled = self._titled or tag == "h1"
        if self._titled and tag == "p" and not any(kind == "p" for kind, _ in self.body):
            self.body.append(("p", None))
        if self._titled and tag == "div" and "cell" in classes:
            self.body.append(("cell", classes))
        if self._output is None and tag == "div" and "output" in classes and ({"stderr", "stream"} & classes):
            self._output = ["stderr" if "stderr" in classes else "stdout", self._depth, []]

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if self._output is not None and self._depth == self._output[1]:
            kind, _, parts = self._output
            self.outputs.append((kind, "".join(parts)))
            self._output = None
        self._depth -= 1

    def handle_data(self, data):
        if self._output is not None:
            self._output[2].append(data)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


#: The pages rendered from the chapters' notebooks (relative to the build), which must offer
#: the launch and download buttons and the repository link.
CHAPTER_PAGES = "book/executed/*.html"


def repository_url(config_path: Path) -> str:
    """``repository.url`` of the book's ``_config.yml`` ("" when not set)."""
    config = yaml.safe_load(Path(config_path).read_text()) or {}
    return str((config.get("repository") or {}).get("url") or "").rstrip("/")


def _chapter_button_problems(name: str, links, repo_url: str, repo_root: Path) -> list[Problem]:
    problems = []
    launches = [u for u in links if _is_remote(u) and "urlpath=" in u]
    if not launches:
        problems.append(Problem(name, "no launch button", "a chapter page needs a launch link (Binder's "
                                "binderhub_url in _config.yml)"))
    for url in launches:
        urlpath = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("urlpath", [""])[0]
        notebook = urlpath.split("tree/", 1)[-1]
        if not notebook or not (repo_root / notebook).is_file():
            problems.append(Problem(name, "launch link", f"{url} opens {notebook!r}, which is not a file of the "
                                    "repository"))
    local = [urllib.parse.urlsplit(u).path for u in links if not _is_remote(u)]
    for suffix in (".ipynb", ".py"):
        if not any(path.endswith(suffix) for path in local):
            problems.append(Problem(name, "no download", f"no link to download the chapter's {suffix} file"))
    if not repo_url:
        problems.append(Problem(name, "no repository link", "repository.url is not set in _config.yml"))
    elif not any(u.rstrip("/") == repo_url for u in links):
        problems.append(Problem(name, "no repository link", f"no link to {repo_url}"))
    return problems


#: Cell tags (MyST-NB) that fold or hide a cell's code on the page.
FOLDING_TAGS = {"tag_hide-input", "tag_hide-cell", "tag_remove-input", "tag_remove-cell"}


def _opening_problems(name: str, body) -> list[Problem]:
    problems = []
    for kind, classes in body:
        if kind == "p":
            break
        if not classes & FOLDING_TAGS:
            problems.append(Problem(name, "code before narrative", "a code cell shows its code before the "
                                    "first paragraph under the title"))
            break
    for kind, classes in body:
        if kind == "cell" and {"tag_parameters", "tag_injected-parameters"} & classes and not classes & FOLDING_TAGS:
            which = "injected-parameters" if "tag_injected-parameters" in classes else "parameters"
            problems.append(Problem(name, "unfolded cell", f"the {which} cell shows its code (tag it hide-input)"))
    return problems


def html_pages(root: Path) -> list[Path]:
    """Every page of the build, relative to ``root``, in order."""
    return sorted(p.relative_to(root) for p in root.rglob("*.html")
                  if not set(p.relative_to(root).parts[:-1]) & set(ASSET_DIRS))


def toc_pages(toc_path: Path) -> list[str]:
    """The HTML pages the table of contents promises (``book/intro.html``, ...)."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("parts") or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [str(Path(f).with_suffix(".html")) for f in files]


def _is_remote(url: str) -> bool:
    return url.startswith("//") or urllib.parse.urlsplit(url).scheme not in ("", "file")


def load_allowed(path: Path = ALLOWED_OUTPUT) -> list[dict]:
    """The outputs a page may show: ``[{page, pattern, reason}]`` (page a glob, pattern a
    regular expression searched in the output's text)."""
    if not Path(path).exists():
        return []
    entries = tomllib.loads(Path(path).read_text()).get("allow", [])
    for i, entry in enumerate(entries):
        missing = {"page", "pattern", "reason"} - set(entry)
        if missing or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: [[allow]] entry {i + 1} needs page, pattern and a non-empty reason "
                             f"(missing: {sorted(missing) or ['reason']})")
        re.compile(entry["pattern"])
    return entries


def check_files(root: Path, toc: Path | None = None, allowed: list[dict] = (), config: Path | None = None,
                repo_root: Path = REPO_ROOT) -> tuple[list[Problem], dict]:
    """The file pass: ``(problems, {page: PageReport})`` (see the module docstring).

    ``config`` is the book's ``_config.yml`` (its ``repository.url``) and ``repo_root`` the
    repository the launch links must open a file of; the chapter pages' buttons are checked
    only when ``config`` is given."""
    root = Path(root)
    pages = html_pages(root)
    parsed = {}
    for page in pages:
        parser = _PageParser()
        parser.feed((root / page).read_text(encoding="utf-8", errors="replace"))
        parsed[page] = parser
    problems, reports = [], {str(p): PageReport(str(p)) for p in pages}
    for expected in toc_pages(toc) if toc else []:
        if not (root / expected).is_file():
            problems.append(Problem(expected, "page missing", "listed in _toc.yml but not built"))
    ids_of = {(root / p).resolve(): parsed[p].ids for p in pages}
    for page, parser in parsed.items():
        name = str(page)
        here = (root / page).parent
        for tag, url in parser.resources:
            if url.startswith(("data:", "blob:")):
                continue
            if _is_remote(url):
                problems.append(Problem(name, "remote resource", f"<{tag}> loads {url} (the page must read offline)"))
                continue
            target = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
            if target and not (here / target).exists():
                problems.append(Problem(name, "missing file", f"<{tag}> loads {url}, which is not in the build"))
        for url in parser.links:
            if _is_remote(url) or url.startswith(("mailto:", "javascript:")):
                continue
            parts = urllib.parse.urlsplit(url)
            path = urllib.parse.unquote(parts.path)
            target = (here / path).resolve() if path else (root / page).resolve()
            if path and (here / path).is_dir():
                target = (here / path / "index.html").resolve()
            if not target.exists():
                problems.append(Problem(name, "broken link", f"{url} (no such file)"))
            elif parts.fragment and target.suffix == ".html":
                ids = ids_of.get(target)
                if ids is None:  # a page outside the usual set (an asset folder's HTML)
                    sub = _PageParser()
                    sub.feed(target.read_text(encoding="utf-8", errors="replace"))
                    ids = ids_of[target] = sub.ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    problems.append(Problem(name, "broken anchor", f"{url} (no id {parts.fragment!r} on that page)"))
        problems += _opening_problems(name, parser.body)
        if config is not None and fnmatch.fnmatch(name, CHAPTER_PAGES):
            problems += _chapter_button_problems(name, parser.links, repository_url(config), Path(repo_root))
        for kind, text in parser.outputs:
            lines = text.splitlines() if kind == "stdout" else [text]
            for line in lines:
                if kind == "stdout" and not LOG_LINE.search(line):
                    continue
                rule = next((a for a in allowed if fnmatch.fnmatch(name, a["page"])
                             and re.search(a["pattern"], line)), None)
                shown = " | ".join(line.strip().splitlines()[:3])[:300]
                if rule is None:
                    problems.append(Problem(name, f"{kind} output", f"{shown!r} (not allowed in "
                                            f"{ALLOWED_OUTPUT.name}; remove it at its source or allow it with a reason)"))
                else:
                    reports[name].allowed_outputs.append({"output": shown, "reason": rule["reason"]})
    return problems, reports


# --- seeing the pages --------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # the browser drops connections it no longer needs (a reset, a broken pipe): not a
        # fault of the page; anything else is printed as usual
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(root: Path):
    """A local HTTP server of ``root`` on a free port, in a thread; returns ``(server, base URL)``."""
    server = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def start_browser(profile_dir: str, chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER):
    """Headless Chromium through selenium with no network (`CHROMIUM_FLAGS`), logging the
    console and the network."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={profile_dir}",):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))


#: Run in the page once it has loaded: wait for the images and MathJax, then count.
_INSPECT = """
const done = arguments[arguments.length - 1];
(async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  const math = Array.from(document.querySelectorAll(".math"));
  done({
    images: images.length,
    broken_images: images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.getAttribute("src")),
    math: math.length,
    untypeset: math.filter(el => !el.querySelector("mjx-container")).map(el => el.textContent.trim().slice(0, 80)),
    math_errors: Array.from(document.querySelectorAll("mjx-merror")).map(el => el.textContent.slice(0, 80)),
  });
})();
"""


def _remote_requests(performance_log) -> list[str]:
    urls = []
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            host = urllib.parse.urlsplit(url).hostname
            if urllib.parse.urlsplit(url).scheme in ("http", "https", "ws", "wss") and host not in ("127.0.0.1", "localhost"):
                urls.append(url)
    return urls


def check_in_browser(root: Path, pages, reports: dict, screenshots: Path | None = None,
                     chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER, progress=print) -> list[Problem]:
    """The browser pass over ``pages`` (paths relative to ``root``); fills ``reports``."""
    problems = []
    server, base = serve(root)
    profile_dir = tempfile.mkdtemp(prefix="check_book_chromium_")
    driver = start_browser(profile_dir, chromium, chromedriver)
    try:
        driver.set_script_timeout(PAGE_TIMEOUT)
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        for i, page in enumerate(pages, 1):
            name = str(page)
            report = reports.setdefault(name, PageReport(name))
            url = base + urllib.parse.quote(Path(page).as_posix())
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            if status != 200:
                problems.append(Problem(name, "page does not load", f"HTTP {status}"))
                continue
            driver.get_log("browser"), driver.get_log("performance")  # drop the previous page's
            driver.get(url)
            seen = driver.execute_async_script(_INSPECT)
            report.images, report.math = seen["images"], seen["math"]
            for src in seen["broken_images"]:
                problems.append(Problem(name, "image not shown", str(src)))
            for text in seen["untypeset"]:
                problems.append(Problem(name, "math not typeset", repr(text)))
            for text in seen["math_errors"]:
                problems.append(Problem(name, "math error", repr(text)))
            for entry in driver.get_log("browser"):
                # the browser asks for /favicon.ico on its own when a page names no icon
                if entry.get("level") == "SEVERE" and "/favicon.ico " not in entry.get("message", ""):
                    problems.append(Problem(name, "console error", entry.get("message", "")[:300]))
            for remote in _remote_requests(driver.get_log("performance")):
                problems.append(Problem(name, "network request", f"{remote} (the book must read offline)"))
            if screenshots is not None:
                shot = Path(screenshots) / (Path(page).with_suffix("").as_posix().replace("/", "__") + ".png")
                shot.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(shot))
                report.screenshot = str(shot)
            report.seconds = round(time.perf_counter() - start, 2)
            progress(f"check-book: {i}/{len(pages)} {name} ({report.seconds:.1f} s, {report.images} images, "
                     f"{report.math} math)")
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile_dir, ignore_errors=True)
    return problems


def check_book(root: Path, toc: Path | None = None, report_dir: Path | None = None,
               allowed: list[dict] | None = None, chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER,
               progress=print, config: Path | None = None, repo_root: Path = REPO_ROOT) -> list[Problem]:
    """Both passes over the build in ``root``; writes ``report_dir/report.json`` and the
    screenshots when ``report_dir`` is given. Returns the problems (empty when all is well)."""
    root = Path(root)
    allowed = load_allowed() if allowed is None else allowed
    problems, reports = check_files(root, toc, allowed, config, repo_root)
    screenshots = Path(report_dir) / "screenshots" if report_dir else None
    if screenshots is not None and screenshots.exists():
        shutil.rmtree(screenshots)
    problems += check_in_browser(root, html_pages(root), reports, screenshots, chromium, chromedriver, progress)
    if report_dir is not None:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        tmp = Path(report_dir) / "report.json.tmp"
        tmp.write_text(json.dumps({"problems": [asdict(p) for p in problems],
                                   "pages": [asdict(r) for r in reports.values()]}, indent=1))
        tmp.replace(Path(report_dir) / "report.json")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", default=str(DEFAULT_HTML), help="the built book (default _build/html)")
    parser.add_argument("--toc", default=str(REPO_ROOT / "_toc.yml"), help="the table of contents to expect")
    parser.add_argument("--report", default=str(DEFAULT_REPORT), help="where the report and screenshots go")
    parser.add_argument("--config", default=str(REPO_ROOT / "_config.yml"),
                        help="the book's configuration (its repository.url)")
    args = parser.parse_args(argv)
    root = Path(args.html)
    if not root.is_dir() or not html_pages(root):
        print(f"check-book: no built book in {root} (run `make book` first)", file=sys.stderr)
        return 2
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            print(f"check-book: {path} not found; install Debian's {what} (`make check-book` does, as root)",
                  file=sys.stderr)
            return 2
    start = time.perf_counter()
    problems = check_book(root, Path(args.toc), Path(args.report), config=Path(args.config))
    pages = len(html_pages(root))
    if problems:
        print(f"check-book: {len(problems)} problem(s) on {len({p.page for p in problems})} of {pages} pages:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"check-book: {pages} pages, no problems ({time.perf_counter() - start:.0f} s); "
          f"screenshots and report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
