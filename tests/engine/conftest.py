"""The crash suite's fixtures: the ``crashy`` service, built once for the session."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from tests.conftest import forget
from tests.engine.harness import Project
from tests.engine.workload import SPEC, handler_files


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The ``crashy`` service, built into a fresh project by ``eventualc build``."""
    root = tmp_path_factory.mktemp("crashy")
    package = f"gen_crashy_{uuid.uuid4().hex[:8]}"
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'crashy'\n\n[tool.eventualc]\nspecs = 'specs'\nout = '{package}'\n"
    )
    (root / "specs").mkdir()
    (root / "specs" / "crashy.yaml").write_text(SPEC)
    build = subprocess.run(
        [sys.executable, "-m", "eventualc", "build"], cwd=root, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    for name, source in handler_files().items():
        (root / package / "crashy" / "handlers" / name).write_text(source)
    sys.path.insert(0, str(root))
    try:
        yield Project(root, package, importlib.import_module(f"{package}.crashy").service)
    finally:
        sys.path.remove(str(root))
        forget(package)
