# nnbook: two commands on a fresh machine (Python 3.10+, pip, node/npm, git, make).
#   make book   install what the book needs into .venv, then build the HTML into _build/html
#   make test   install what the tests need into .venv, then run every test (library, widgets,
#               grading, every notebook under nbval, the built site in a browser when available)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test lint format exercises bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check nnlib tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format nnlib tests benchmarks
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_mlp_step.py

clean:
	rm -rf _build _vendor
