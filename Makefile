# The two commands a newcomer runs: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install native system-deps demo demo-standalone test lint typecheck template-check unit integration bench fuzz load soak clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP) native

# connectless.native's C extension from source: this interpreter (x86_64 here), python3.13 x86_64 and the
# Lambda layer's python3.13 arm64 (zig cc, from the ziglang dev dependency). Without it the library runs in Python.
native: $(STAMP)
	$(PY) infra/native/build.py

# Java 17+ and Maven fetch and run the embedded Apache Kafka broker.
system-deps:
	@bash infra/local/install-system-deps.sh

# The local stack (moto, Kafka, handlers in-process): SQLite -> JDBC source -> S3 sink on moto, with a DLQ.
demo: install
	$(PY) -m connectless_cli.demos.stack

# The same idea in standalone mode: datagen -> file sink, one worker process.
demo-standalone: install
	$(PY) -m connectless_cli.demos.standalone

# MariaDB (row binlog) -> MySQL CDC source -> Kafka -> OpenSearch sink; installs mariadb-server when missing.
demo-mysql: install
	$(PY) -m connectless_cli.demos.mysql_cdc

lint: $(STAMP)
	$(VENV)/bin/ruff check shared cli functions infra tests bench
	$(VENV)/bin/ruff format --check shared cli functions infra tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared/connectless infra/local/connectless_local cli/connectless_cli functions

# SAM tooling lives in its own venv (its boto3 pin differs from ours), kept across clones in ~/.cache.
SAM_VENV := $(HOME)/.cache/connectless/sam-$(shell cksum < infra/sam/requirements.txt | cut -d' ' -f1)
$(SAM_VENV)/.installed: infra/sam/requirements.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r infra/sam/requirements.txt
	touch $@

# cfn-lint, sam validate --lint, the layer build (sam build) and its import in a clean interpreter.
template-check: $(STAMP) $(SAM_VENV)/.installed
	SAM_VENV=$(SAM_VENV) VENV_PY=$(PY) bash infra/sam/template_check.sh

unit: $(STAMP) native
	$(VENV)/bin/pytest -q tests/unit

integration: install
	$(VENV)/bin/pytest -q tests/integration

# PostgreSQL and MariaDB (Debian packages) for the database tests, installed up front when missing;
# Chromium and chromedriver (Debian packages) for the web console's browser test.
test-deps:
	@bash infra/local/install-databases.sh
	@bash infra/local/install-browser.sh

test: install test-deps lint typecheck template-check
	$(VENV)/bin/pytest -q --durations=20 tests

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

# The fault suite's long runs (issue 18): schemathesis with 300 examples per operation and stack, and the manager
# under 100 connectors x 4 tasks plus a local up restart with 10,000 offsets (bench/results/manager-load-*).
fuzz: install test-deps
	FUZZ_EXAMPLES=150 $(VENV)/bin/pytest -q tests/integration/faults/test_rest_fuzz.py

load: install
	$(PY) bench/manager_load.py --connectors 100 --tasks 4 --offsets 10000

# Source -> transforms -> sink through local up for SOAK_MINUTES (30), a fault every tenth of it (poison records,
# a sink invocation killed mid-batch, a broker restart): exact counts, flat RSS and fds (bench/results/soak-*).
SOAK_MINUTES ?= 30
soak: install test-deps
	SOAK_MINUTES=$(SOAK_MINUTES) $(PY) bench/soak.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
