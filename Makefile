# `make demo` is the main job; `make check` is exactly what CI runs.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install demo check lint typecheck drift test bench system-tools

.install.stamp: pyproject.toml
	$(PIP) install -q -e '.[dev,cdk]'
	touch $@

install: .install.stamp

demo: install
	eventualc check specs/
	eventualc build specs/
	eventualc run specs/ processOrder --input '"order-1"' --name order-1
	eventualc publish specs/ OrderCreated --payload '{"orderId": "order-2"}'
	eventualc executions list

lint: install
	ruff format --check compiler runtime tests bench
	ruff check compiler runtime tests bench generated

typecheck: install
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

test: install system-tools node_modules/.package-lock.json
	$(PYTHON) -m pytest

check: lint typecheck drift test

bench: install
	$(PYTHON) bench/check_scale.py
	$(PYTHON) bench/build_scale.py
	$(PYTHON) bench/aws_cost.py
	$(PYTHON) bench/interpreter.py
	$(PYTHON) bench/cel_eval.py
	$(PIP) install -q 'dbos>=3,<4'  # the peer of bench/engine.py, not a dependency
	$(PYTHON) bench/engine.py
