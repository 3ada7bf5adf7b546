"""The ``example`` fixture: an example of ``examples/`` built and imported.

``example(name)`` copies ``examples/<name>/specs`` into a temporary project, builds it
with ``eventualc build`` into a fresh package (so that each test imports its own), copies
the example's handlers (kept where a project keeps them, ``generated/<service>/handlers/``)
into that package and imports it.
"""

from __future__ import annotations

import importlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support import forget
from tests.examples.support import EXAMPLES, Example

from eventual import Service
from eventualc.cli import cli


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Example]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'examples'\n")
    packages: list[str] = []

    def build(name: str) -> Service:
        source = EXAMPLES / name
        shutil.copytree(source / "specs", tmp_path / name / "specs")
        out = f"ex_{uuid.uuid4().hex[:8]}"
        result = CliRunner().invoke(cli, ["build", f"{name}/specs", "--out", out])
        assert result.exit_code == 0, result.output
        packages.append(out)
        (service_dir,) = [p for p in (tmp_path / out).iterdir() if (p / "handlers").is_dir()]
        for handler in (source / "generated" / service_dir.name / "handlers").glob("*.py"):
            shutil.copy(handler, service_dir / "handlers" / handler.name)
        module = importlib.import_module(f"{out}.{service_dir.name}")
        service: Service = module.service
        return service

    yield build
    for out in packages:
        forget(out)
