"""Sphinx hooks that keep every rendered page quiet in a browser, with no network.

The browser check of the built book (``make check-book``, ``.ci/check_book.py``) fails on
any JavaScript console error and on any request that leaves the machine. A stock Jupyter
Book 1.x page has three problems with that, each fixed here at build time:

1. **MathJax from a CDN, and only on some pages.** Sphinx points ``mathjax_path`` at jsDelivr, so a reader with no
   network sees raw TeX. The extension ``sphinx-mathjax-offline`` (MathJax 3.2.2 as package
   data, copied to ``_static/mathjax``) is loaded in ``_config.yml`` and sets the path; this
   module only checks, when the build starts, that the path is local.
2. **A script block that appears twice.** sphinx-thebe adds its configuration
   (``const THEBE_JS_URL = ...``) on every environment read, and Sphinx < 8.2 keeps both
   copies (one has the file name None, the other ""), so a page that declares the constant twice logs
   ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``. Identical scripts
   are dropped from each page's context.
3. **An empty colour mode.** The pydata theme's page template reads ``default_mode`` from the
   page context; nothing in Jupyter Book sets it (and sphinx-book-theme refuses it as a theme
   option), so the page logs ``Got invalid theme mode``. It is set to ``light`` in each page's
   context: the figures are drawn for a white background.
"""

from __future__ import annotations

from sphinx.errors import ConfigError

#: The colour mode of the pages (the pydata theme's ``default_mode``).
DEFAULT_MODE = "light"


def _check_local_mathjax(app, config):
    path = str(config.mathjax_path or "")
    if path.startswith(("http://", "https://", "//")):
        raise ConfigError(f"mathjax_path is {path!r}, a remote address: the book must render its math "
                          "offline (add sphinx-mathjax-offline to sphinx.extra_extensions in _config.yml)")


def _set_default_mode(app, pagename, templatename, context, doctree):
    context.setdefault("default_mode", DEFAULT_MODE)


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # same file and attributes (an inline script's body among them); an inline script's
        # file name is None when added by the builder and "" when added through the registry
        key = (getattr(script, "filename", str(script)) or "",
               tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # in place: the builder renders the list object it put in the context
    scripts[:] = unique


def setup(app):
    # after the extensions of _config.yml have set their defaults (sphinx-mathjax-offline
    # sets mathjax_path in its setup)
    app.connect("config-inited", _check_local_mathjax, priority=900)
    app.connect("html-page-context", _set_default_mode)
    # after every extension has added its scripts to the page (default priority 500)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    # MathJax on every page, not only where the page itself has math: the navigation bar and
    # the headings of other pages shown on it carry math too (chapter 2's sigma_r)
    app.set_html_assets_policy("always")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
