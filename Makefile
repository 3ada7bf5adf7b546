# `make demo` is the main job; `make check` is exactly what CI runs.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install demo check lint typecheck drift test bench

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

test: install
	$(PYTHON) -m pytest

check: lint typecheck drift test

bench: install
	$(PYTHON) bench/check_scale.py
	$(PYTHON) bench/build_scale.py
