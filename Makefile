# sitewatch: `make demo` and `make test` work on a fresh machine from a clean clone.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
# torch's CPU wheel is installed first and pinned, so nothing pulls the CUDA build.
TORCH   := torch==2.13.0

.PHONY: demo test lint typecheck install install-dev clean

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

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/sitewatch demo --out demo-out

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

clean:
	rm -rf demo-out .pytest_cache .mypy_cache .ruff_cache
