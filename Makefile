# sitewatch: `make demo` and `make test` work on a fresh machine from a clean clone.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
# torch's CPU wheel is installed first and pinned, so nothing pulls the CUDA build.
TORCH   := torch==2.13.0

.PHONY: demo test lint typecheck install install-dev web clean

# The web front-end is built from the npm registry (no CDN); its output is git-ignored.
WEB_STATIC := src/sitewatch/web/static/index.html
WEB_SOURCES := web/package.json web/package-lock.json web/build.mjs $(wildcard web/src/*.js web/src/pages/*.js web/src/*.css web/public/*)

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(VENV)/.installed $@

$(WEB_STATIC): $(WEB_SOURCES)
	web/build.sh

web: $(WEB_STATIC)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/sitewatch demo --out demo-out

test: $(VENV)/.installed-dev $(WEB_STATIC)
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

clean:
	rm -rf demo-out .pytest_cache .mypy_cache .ruff_cache src/sitewatch/web/static
