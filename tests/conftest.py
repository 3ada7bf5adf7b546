"""Shared fixtures: check spec text through the real front end."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventual import Service
from eventualc.cli import cli
from eventualc.pipeline import FrontEnd, load

REPO = Path(__file__).resolve().parents[1]

CheckSpec = Callable[..., FrontEnd]
MakeService = Callable[..., Service]


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


def codes(result: FrontEnd) -> list[str]:
    return [d.code for d in result.diagnostics]


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON-like value, the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += json_paths(value, (*prefix, i))
    return found


def forget(package: str) -> None:
    """Drops an imported package and its modules, so that the next build is imported anew."""
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]


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
