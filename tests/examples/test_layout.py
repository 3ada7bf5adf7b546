"""Each example is a project: ``eventualc build`` in its folder generates the package
around the handlers kept there, and finds one for every task and handler subscription
(it creates no stub)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.examples.support import EXAMPLES

from eventualc.cli import cli

NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "specs").is_dir())


def test_the_index_lists_every_example() -> None:
    index = (EXAMPLES / "README.md").read_text()
    assert NAMES == ["checkout", "eventbridge-atm", "money-transfer", "purchase-order",
                     "subscription", "travel-saga"]  # fmt: skip
    assert all(f"[{name}]({name}/)" in index for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_build_in_the_folder_uses_the_handlers_kept_there(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("__pycache__"))
    kept = sorted(p.name for p in project.glob("generated/*/handlers/*.py"))
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert "0 handler stubs created" in result.output
    built = sorted(p.name for p in project.glob("generated/*/handlers/*.py"))
    assert built == sorted([*kept, "__init__.py"])
