# Precision Marketing Workbook: the two commands are `make report` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PARAMS ?= params/default.yaml

.PHONY: help install install-dev report test test-unit test-notebooks lab lint format bench clean

help:
	@echo "make report   run the whole workbook on the built-in synthetic data (PARAMS=$(PARAMS))"
	@echo "make test     check the import rules (lint-imports), then run every test (unit, notebooks with params/ci.yaml, nbval)"
	@echo "make lab      open JupyterLab on the notebooks"
	@echo "make lint     ruff on the package, tests and notebooks"
	@echo "make bench    run the benchmarks"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,scale]"
	touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime

install-dev: $(VENV)/.installed-dev

report: install
	$(BIN)/marketing-workbook run $(PARAMS)

test: install-dev
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	$(BIN)/python -m pytest --nbval-lax -p no:xdist notebooks

lab: install-dev
	$(BIN)/jupyter lab notebooks/

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf reports runs .pytest_cache
