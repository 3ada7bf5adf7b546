# `make demo` is the main job; `make check` is exactly what CI runs.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install demo check lint typecheck test bench

.install.stamp: pyproject.toml
	$(PIP) install -q -e '.[dev,cdk]'
	touch $@

install: .install.stamp

demo: install
	eventualc check specs/

lint: install
	ruff format --check compiler runtime tests bench
	ruff check compiler runtime tests bench

typecheck: install
	mypy

test: install
	$(PYTHON) -m pytest

check: lint typecheck test

bench: install
	$(PYTHON) bench/check_scale.py
