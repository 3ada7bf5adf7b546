"""Shared fixtures: check spec text through the real front end."""

from __future__ import annotations

import importlib
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support import CheckSpec, MakeService, forget

from eventual import Service
from eventualc.cli import cli
from eventualc.pipeline import FrontEnd, load


@pytest.fixture
def check_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CheckSpec:
    """``check_spec(yaml_text, **more_files)`` -> the front end's result for that project."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")

    def run(text: str, **files: str) -> FrontEnd:
        specs = tmp_path / "specs"
        specs.mkdir(exist_ok=True)
        (specs / "spec.yaml").write_text(textwrap.dedent(text))
        for name, content in files.items():
            path = tmp_path / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content))
        return load([specs], tmp_path)

    return run


@pytest.fixture
def make_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeService]:
    """``make_service(spec, **handlers)``: builds the spec and imports its package."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    packages: list[str] = []

    def make(spec: str, **handlers: str) -> Service:
        out = f"gen_{uuid.uuid4().hex[:8]}"
        (tmp_path / "spec.yaml").write_text(textwrap.dedent(spec))
        result = CliRunner().invoke(cli, ["build", "spec.yaml", "--out", out])
        assert result.exit_code == 0, result.output
        name = textwrap.dedent(spec).split("service:")[1].split()[0]
        for handler, code in handlers.items():
            (tmp_path / out / name / "handlers" / f"{handler}.py").write_text(textwrap.dedent(code))
        packages.append(out)
        module = importlib.import_module(f"{out}.{name}")
        service: Service = module.service
        return service

    yield make
    for out in packages:
        forget(out)
