"""Shared fixtures: check spec text through the real front end."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eventualc.pipeline import FrontEnd, load

REPO = Path(__file__).resolve().parents[1]

CheckSpec = Callable[..., FrontEnd]


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
