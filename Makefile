# The two commands a newcomer runs: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test lint typecheck unit integration bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP)

# Java 17+ and Maven fetch and run the embedded Apache Kafka broker.
system-deps:
	@bash infra/local/install-system-deps.sh

demo: install
	$(PY) -m connectless_local.demo

lint: $(STAMP)
	$(VENV)/bin/ruff check shared functions infra tests bench
	$(VENV)/bin/ruff format --check shared functions infra tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared/connectless infra/local/connectless_local functions

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests/unit

integration: install
	$(VENV)/bin/pytest -q tests/integration

test: install lint typecheck
	$(VENV)/bin/pytest -q tests

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
