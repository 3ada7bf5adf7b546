"""The crash suite's fixtures: the ``crashy`` service, built once for the session."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest
from tests.runtime.engine.harness import Project
from tests.runtime.engine.workload import SPEC, handler_files
from tests.support import build_project, forget


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The ``crashy`` service, built into a fresh project by ``eventualc build``."""
    root = tmp_path_factory.mktemp("crashy")
    package = build_project(root, "crashy", SPEC, handler_files())
    sys.path.insert(0, str(root))
    try:
        yield Project(root, package, importlib.import_module(f"{package}.crashy").service)
    finally:
        sys.path.remove(str(root))
        forget(package)
