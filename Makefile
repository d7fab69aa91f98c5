# Two commands do everything on a fresh machine (Python 3.11, make and git):
#   make book   -> bootstrap .venv, generate the default mock, execute the chapters, build the book
#   make test   -> bootstrap .venv, run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PROFILE ?= full
# FORCE=1 re-executes every chapter; otherwise a chapter runs only when its notebook, the
# package, its parameters or its input files changed (halo_utils.chapter_cache)
FORCE ?=
# chapters run at once (each after the chapters whose outputs it reads; halo_utils.pipeline):
# on 2 cores two chapters only share them (measured 1214-1330 s against 1315 s one by one), so
# the default runs them in order; on a machine with more cores JOBS=2 overlaps them
JOBS ?= 1
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
# `make lock` resolves pyproject.toml's ranges for Python 3.11 on every platform (and newer
# Pythons, which may get newer versions), with the hash of every file
UV_COMPILE := pip compile pyproject.toml --extra book --extra test --universal --python-version 3.11 \
	--generate-hashes --quiet -o $(LOCK)

.PHONY: venv data chapters book test bench check-book lock clean

# the exact versions of the lock, each file checked against its hash, then the package
# itself (no dependencies: they are all in the lock)
$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "no python3.11 or python3 found; set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# the mocks (seconds), the Milky Way + LMC test-particle simulations of chapter 6
# (conventions §14; ~2 min on 2 cores) and the outer-halo mock drawn from them, each cached in data/ with a manifest: only missing,
# damaged or outdated files are made again
data: $(STAMP)
	$(BIN)/python -c "from halo_utils.mock import ensure_survey, ensure_outer_halo, ensure_simulated_outer_halo; \
	ensure_survey('data'); ensure_outer_halo('data'); ensure_simulated_outer_halo('data')"

chapters: data
	$(BIN)/python -m halo_utils.pipeline --profile $(PROFILE) --jobs $(JOBS) $(if $(FORCE),--force)

book: chapters
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "book: _build/html/index.html"

# the 25 slowest tests are listed at the end: CI time is watched (the chapters' ci reruns dominate)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --durations=25 tests

bench: data
	$(BIN)/python -m halo_utils.bench

# the built book in headless Chromium with no network: pages, images, links, math, console,
# notebook outputs (.ci/check_book.py); screenshots and a report in _build/book_check/
check-book: $(STAMP)
	bash .ci/ensure_chromium
	$(BIN)/python .ci/check_book.py _build/html --report _build/book_check

# refresh requirements.lock from pyproject.toml (needs PyPI) and pin environment.yml to it
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	$(BIN)/uv $(UV_COMPILE)
	$(BIN)/python .ci/pin_environment.py

clean:
	rm -rf _build book/executed
