# Two commands do everything on a fresh machine (Python 3.11, make and git):
#   make book   -> bootstrap .venv, generate the default mock, execute the chapters, build the book
#   make test   -> bootstrap .venv, run the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PROFILE ?= full
STAMP  := $(VENV)/.installed

.PHONY: venv data chapters book test bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

data: $(STAMP)
	$(BIN)/python -c "from halo_utils.mock import ensure_survey; ensure_survey('data')"

chapters: data
	$(BIN)/python -m halo_utils.pipeline --profile $(PROFILE)

book: chapters
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "book: _build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

bench: data
	$(BIN)/python -m halo_utils.bench

clean:
	rm -rf _build book/executed
