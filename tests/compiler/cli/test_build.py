"""`eventualc build` as users live with it: stubs survive, edits are protected, drift
is reported, unchanged builds do nothing, and spec text never becomes code."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from tests.support import REPO

from eventualc.cli import cli
from eventualc.emit.text import docstring
from eventualc.emit.write import MANIFEST

SPEC = """\
service: shop
events:
  Paid: {schema: {type: object, required: [id], properties: {id: {type: string}}}}
tasks:
  charge: {description: Charges., input: string, output: string, emits: [Paid]}
  refund: {input: Paid}
subscriptions:
  onPaid: {events: [Paid]}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "shop.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def build(*args: str) -> Result:
    return CliRunner().invoke(cli, ["build", *args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_first_build_writes_the_package_and_stubs(project: Path) -> None:
    result = build()
    assert result.exit_code == 0, result.output
    generated = project / "generated"
    for name in (
        "__init__.py",
        "shop/__init__.py",
        "shop/definition.json",
        "shop/models/paid.py",
        "shop/handlers/charge.py",
        "shop/handlers/refund.py",
        "shop/handlers/on_paid.py",
    ):
        assert (generated / name).is_file(), name  # fmt: skip
    stub = (generated / "shop/handlers/charge.py").read_text()
    assert "def charge(input: str, ctx: eventual.TaskContext) -> str:" in stub
    assert '"""Charges."""' in stub and "raise NotImplementedError" in stub


def test_user_stub_survives_every_rebuild_and_staleness_is_reported(project: Path) -> None:
    assert build().exit_code == 0
    stub = project / "generated/shop/handlers/charge.py"
    mine = stub.read_text().replace('raise NotImplementedError("charge is not implemented yet")',
                                    'return "paid " + input')  # fmt: skip
    stub.write_text(mine)
    spec = project / "specs/shop.yaml"
    spec.write_text(SPEC.replace("output: string", "output: integer"))
    result = build()
    assert result.exit_code == 0, result.output
    assert stub.read_text() == mine
    assert (
        "generated/shop/handlers/charge.py:8:1: warning[W801]: handler 'charge' has a signature "
        "that no longer matches the spec; the spec now says: "
        "def charge(input: str, ctx: eventual.TaskContext) -> int"
    ) in result.output
    spec.write_text(SPEC.replace("  refund: {input: Paid}\n", ""))
    result = build()
    assert result.exit_code == 0, result.output
    assert (project / "generated/shop/handlers/refund.py").is_file()  # never deleted
    assert "generated/shop/handlers/refund.py:1:1: warning[W802]" in result.output
    assert stub.read_text() == mine


def test_files_of_removed_items_are_deleted(project: Path) -> None:
    assert build().exit_code == 0
    models = project / "generated/shop/models"
    assert (models / "refund_input.py").exists() is False  # refund takes the Paid model
    assert (models / "charge_input.py").is_file()
    (project / "specs/shop.yaml").write_text(SPEC.replace("input: string, output: string, ", ""))
    assert build().exit_code == 0
    assert not (models / "charge_input.py").exists()
    assert not (models / "charge_output.py").exists()


def test_hand_edited_generated_file_stops_the_build_unless_forced(project: Path) -> None:
    assert build().exit_code == 0
    edited = project / "generated/shop/models/paid.py"
    edited.write_text(edited.read_text() + "# my change\n")
    (project / "specs/shop.yaml").write_text(SPEC + "  onPaid2: {events: [Paid]}\n")
    before = snapshot(project / "generated")
    result = build()
    assert result.exit_code == 1
    assert (
        "generated/shop/models/paid.py: edited by hand; not overwritten (use --force)"
        in result.output
    )
    assert snapshot(project / "generated") == before
    result = build("--force")
    assert result.exit_code == 0, result.output
    assert "# my change" not in edited.read_text()


def test_check_writes_nothing_and_lists_changes(project: Path) -> None:
    result = build("--check")
    assert result.exit_code == 1
    assert "would update generated/shop/models/paid.py" in result.output
    assert "would create generated/shop/handlers/charge.py" in result.output
    assert not (project / "generated").exists()
    assert build().exit_code == 0
    assert build("--check").exit_code == 0
    (project / "specs/shop.yaml").write_text(SPEC.replace("required: [id]", "required: []"))
    before = snapshot(project / "generated")
    result = build("--check")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "would update generated/shop/README.md",  # the catalog's "required" column
        "would update generated/shop/models/paid.py",
    ]
    assert snapshot(project / "generated") == before


def test_unchanged_build_does_nothing(project: Path) -> None:
    assert build().exit_code == 0
    files = {p: p.stat().st_mtime_ns for p in (project / "generated").rglob("*") if p.is_file()}
    result = build()
    assert result.exit_code == 0
    assert "up to date" in result.output
    assert {p: p.stat().st_mtime_ns for p in files} == files


def test_spec_errors_stop_the_build(project: Path) -> None:
    (project / "specs/shop.yaml").write_text(SPEC.replace("events: [Paid]}", "events: [Payd]}"))
    result = build()
    assert result.exit_code == 1
    assert "error[E306]: unknown event 'Payd'; did you mean 'Paid'?" in result.output
    assert not (project / "generated").exists()


HOSTILE = ['"""', "'''", "\\", "\n", "{{ x }}", "${{ input }}", "\0", '"', "\r", "\t", "\u2028"]


@given(st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), max_size=12).map("".join))
def test_docstrings_hold_any_text_and_nothing_else(text: str) -> None:
    source = f"def f() -> None:\n{docstring(text or 'x', 4)}\n    raise NotImplementedError\n"
    module = ast.parse(source)
    (function,) = module.body
    assert isinstance(function, ast.FunctionDef) and len(function.body) == 2
    raw = ast.get_docstring(function, clean=False) or ""
    if raw.startswith("\n"):  # multi-line: each line indented by 4, closing quotes own line
        lines = raw[1:].removesuffix("\n    ").split("\n")
        raw = "\n".join(line.removeprefix("    ") for line in lines)
    assert raw == (text or "x").strip()


def test_hostile_descriptions_build_to_valid_code(project: Path) -> None:
    text = '"""\n\'\'\'; import os; os.system("x")\n{{ a }} ${{ b }} \0 \\ \r'
    nasty = json.dumps(text)  # a JSON string is a YAML double-quoted scalar
    spec = SPEC.replace("description: Charges.", f"description: {nasty}")
    (project / "specs/shop.yaml").write_text(f"description: {nasty}\n" + spec)
    result = build()
    assert result.exit_code == 0, result.output
    for path in (project / "generated").rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        assert not any(isinstance(c.func, ast.Attribute) and c.func.attr == "system" for c in calls)
    charge = ast.parse((project / "generated/shop/handlers/charge.py").read_text())
    function = charge.body[-1]
    assert isinstance(function, ast.FunctionDef)
    assert "import os; os.system" in (ast.get_docstring(function) or "")


def test_repository_generated_code_is_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """generated/ matches a full rebuild of specs/ (not only the manifest's fingerprint)."""
    for name in ("specs", "generated"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    manifest = tmp_path / "generated" / MANIFEST
    manifest.write_text(manifest.read_text().replace('"inputs": "', '"inputs": "stale'))
    monkeypatch.chdir(tmp_path)
    result = build("--check")
    assert (result.exit_code, result.output) == (0, "")


LONG_SIGNATURES = """\
service: shop
events:
  {event}: {{schema: {{type: object, properties: {{id: {{type: string}}}}}}}}
  {other}: {{schema: {{type: object, properties: {{id: {{type: string}}}}}}}}
  {third}: {{schema: {{type: object, properties: {{id: {{type: string}}}}}}}}
tasks:
  {task}: {{input: {event}, output: {event}}}
  {longer}: {{input: {{type: object, properties: {{a: {{type: string}}}}}}, output: string}}
subscriptions:
  {subscription}: {{events: [{event}, {other}, {third}]}}
"""


@pytest.mark.parametrize("length", [5, 30, 60])
def test_stubs_are_ruff_formatted_whatever_their_names_length(project: Path, length: int) -> None:
    """A line too long wraps as ruff would: the signature's parameters on one indented
    line, or one a line; imports one a line; the placeholder's message on its own line."""
    spec = LONG_SIGNATURES.format(
        event="E" * length,
        other="O" * length,
        third="T" * length,
        task="t" * length,
        longer="l" * (2 * length),
        subscription="s" * length,
    )
    (project / "specs" / "shop.yaml").write_text(spec)
    result = build()
    assert result.exit_code == 0, result.output
    handlers = sorted((project / "generated/shop/handlers").glob("[!_]*.py"))
    assert len(handlers) == 3
    command = ["ruff", "format", "--check", "--isolated", "--line-length", "100"]
    ruff = subprocess.run(
        [sys.executable, "-m", *command, *map(str, handlers)], capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    texts = [p.read_text() for p in handlers]
    assert any("(\n" in text for text in texts) == (length > 5)
    assert any(" import (\n" in text for text in texts) == (length > 5)
    assert any(",\n) ->" in text for text in texts) == (length > 5)
    assert any("NotImplementedError(\n" in text for text in texts) == (length > 5)


def test_a_handler_named_l_passes_ruff(project: Path) -> None:
    """`l` is a fine task name, but pycodestyle calls a function of that name ambiguous
    (E743): its stub says why the check does not apply, so a project's lint passes."""
    (project / "specs" / "shop.yaml").write_text(
        "service: shop\ntasks:\n  l: {input: string, output: string}\n"
    )
    result = build()
    assert result.exit_code == 0, result.output
    stub = project / "generated/shop/handlers/l.py"
    assert "def l(input: str, ctx: eventual.TaskContext) -> str:  # noqa: E743" in stub.read_text()
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E7", str(stub)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
