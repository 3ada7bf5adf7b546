"""Golden builds: each folder of tests/golden holds specs and the exact files
`eventualc build` must write for them (under `generated/`), compared byte for byte.

Run with UPDATE_GOLDEN=1 to rewrite the expected files after an intended change, then
review the diff. Every golden tree must also pass `ruff check` and `mypy --strict`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from eventualc.cli import cli
from eventualc.emit.write import MANIFEST

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and not p.name.startswith("."))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def build_case(case: str, into: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = GOLDEN / case
    for item in source.iterdir():
        if item.name != "generated":
            copy = shutil.copytree if item.is_dir() else shutil.copy
            copy(item, into / item.name)
    (into / "pyproject.toml").write_text("[tool.eventualc]\nspecs = '.'\n")
    monkeypatch.chdir(into)
    result = CliRunner().invoke(cli, ["build", "."])
    assert result.exit_code == 0, result.output
    return into / "generated"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("case", CASES)
def test_golden_build(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = tree(build_case(case, tmp_path, monkeypatch))
    expected_dir = GOLDEN / case / "generated"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for name, data in built.items():
            (expected_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / name).write_bytes(data)
    expected = tree(expected_dir)
    assert sorted(built) == sorted(expected)
    for name, data in built.items():
        assert data == expected[name], f"{case}/generated/{name} differs"


@pytest.mark.parametrize("case", CASES)
def test_build_is_deterministic(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tree(build_case(case, tmp_path / "a", monkeypatch))
    assert tree(build_case(case, tmp_path / "b", monkeypatch)) == first


def test_golden_outputs_pass_ruff_and_mypy_strict(tmp_path: Path) -> None:
    folders = [GOLDEN / case for case in CASES]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *(str(f / "generated") for f in folders)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    # One fresh cache for all cases: aws_cdk, which every CDK app imports, takes mypy
    # most of a minute to analyse; a case's own modules are still checked from scratch.
    cache = str(tmp_path / "mypy-cache")
    for folder in folders:
        mypy = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache, "generated"],
            cwd=folder, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert mypy.returncode == 0, f"{folder.name}: {mypy.stdout}{mypy.stderr}"


def test_golden_outputs_pass_ruff_in_a_users_project(tmp_path: Path) -> None:
    """In a user's project `eventual` and `eventualc` are installed (third-party) packages,
    while this repository's ruff settings make them first-party; the generated imports
    must sort right there, under ruff's default rules and its default isort settings."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\nversion = '0'\n")
    for case in CASES:
        shutil.copytree(GOLDEN / case / "generated", tmp_path / case / "generated")
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--extend-select", "I", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def _written_by_templates(path: Path) -> bool:
    """Python eventualc writes from its templates: all but the model classes, which
    datamodel-code-generator writes and formats."""
    return path.parent.name != "models" or path.name == "__init__.py"


def test_golden_outputs_of_templates_are_ruff_formatted() -> None:
    files = [p for p in sorted(GOLDEN.glob("*/generated/**/*.py")) if _written_by_templates(p)]
    assert any(p.parts[-2] == "infra" for p in files) and any(
        p.parts[-2] == "handlers" for p in files
    )
    command = ["ruff", "format", "--check", "--isolated", "--line-length", "100"]
    ruff = subprocess.run(
        [sys.executable, "-m", *command, *map(str, files)], capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
