# `make demo` is the main job; `make check` is exactly what CI runs.
#
# Everything is installed into this repository's own virtual environment, `.venv`
# (created with `$(PYTHON) -m venv`), never into the interpreter that runs make: this
# works where `python3` is Debian's externally-managed one (PEP 668). `make demo`
# installs the package alone (its runtime dependencies); `make check` adds the `dev`
# and `cdk` extras. Recipes find the tools through PATH, which starts at .venv/bin.
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))
PIP := $(BIN)/python -m pip

.PHONY: install install-dev demo check lint typecheck drift test bench system-tools

$(BIN)/python:
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "$(PYTHON) cannot create virtual environments: install its venv module" \
	       "(Debian/Ubuntu: apt-get install python3-venv), or run make PYTHON=/path/to/python3"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo.stamp: pyproject.toml | $(BIN)/python
	@echo "==> installing eventualc and its runtime dependencies into $(VENV)"
	$(PIP) install --progress-bar on -e .
	@touch $@

$(VENV)/.dev.stamp: pyproject.toml $(VENV)/.demo.stamp
	@echo "==> installing the dev and cdk extras into $(VENV) (linters, test tools, aws-cdk-lib)"
	$(PIP) install --progress-bar on -e '.[dev,cdk]'
	@touch $@

install: $(VENV)/.demo.stamp

install-dev: $(VENV)/.dev.stamp

demo: install
	@echo "==> the example service: check, build, run a workflow, publish an event"
	eventualc check specs/
	eventualc build specs/
	eventualc run specs/ processOrder --input '"order-1"' --name order-1
	eventualc publish specs/ OrderCreated --payload '{"orderId": "order-2"}'
	eventualc executions list

lint: install-dev
	ruff format --check compiler runtime tests bench
	ruff check compiler runtime tests bench generated

typecheck: install-dev
	mypy
	mypy --strict generated

drift: install
	eventualc build --check

# The tests draw diagrams with the real tools: Debian's chromium (for the Mermaid CLI,
# which must not download a browser of its own) and graphviz, installed when missing;
# npm tools from package.json (the Mermaid CLI, and the CDK CLI for `cdk synth`).
system-tools:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null; then \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium graphviz >/dev/null; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

test: install-dev system-tools node_modules/.package-lock.json
	python -m pytest

check: lint typecheck drift test

bench: install-dev
	python bench/check_scale.py
	python bench/build_scale.py
	python bench/aws_cost.py
	python bench/cold_start.py
	python bench/interpreter.py
	python bench/cel_eval.py
	python bench/patterns.py
	python bench/cel_conformance.py  # cel-python and the Rust library beside, when installed
	$(PIP) install -q 'dbos>=3,<4'  # the peer of bench/engine.py, not a dependency
	python bench/engine.py
