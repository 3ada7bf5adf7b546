"""The diagnostics corpus: golden output of `eventualc check` for realistic spec mistakes.

Every folder of ``tests/corpus/`` is one case: ``spec.yaml`` (or several spec files, and
any schema files they reference) plus ``expected.txt``, the exact stdout of

    eventualc check tests/corpus/<case>

run from the repository root. Each case runs the real CLI in-process and compares
stdout byte for byte; the exit code must be 1 when the output holds an error and 0
otherwise, and ``--format json`` must report the same diagnostics in the same order.
Two more tests keep the corpus and ``eventualc.codes.CODES`` in step: every code is
shown by some case, and the codes the compiler's source mentions are exactly those
of ``CODES``.

To regenerate the golden files after an intended change in diagnostics, run

    UPDATE_GOLDEN=1 python -m pytest tests/compiler/checks/test_corpus.py

which rewrites every ``expected.txt`` instead of comparing; then read the diff of each
changed file (``git diff tests/corpus``): right code, right line and column, a message
a user can act on. To add a case, create its folder with the spec files and an empty
``expected.txt``, run the update, and review the output the same way.
"""

from __future__ import annotations

import ast
import json
import os
import re

import pytest
from click.testing import CliRunner, Result
from tests.support import REPO

from eventualc.cli import cli
from eventualc.codes import BUILD_CODES, CODES, COMPAT_CODES

CORPUS = REPO / "tests" / "corpus"
COMPILER = REPO / "compiler" / "eventualc"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())

# The first line of a diagnostic (``eventualc:`` when it has no location); context lines
# (snippets, notes) are indented.
FIRST_LINE = re.compile(
    r"^(?:(?P<file>\S+?):(?P<line>\d+):(?P<column>\d+)|eventualc): "
    r"(?P<severity>error|warning)\[(?P<code>[EW]\d{3})\]: (?P<message>.*)$",
    re.MULTILINE,
)
CODE_LITERAL = re.compile(r"[EW]\d{3}")


def check(case: str, *options: str) -> Result:
    result = CliRunner().invoke(cli, ["check", f"tests/corpus/{case}", *options])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"eventualc crashed on {case}: {result.exception!r}") from (
            result.exception
        )
    return result


def first_lines(text: str) -> list[dict[str, object]]:
    """Each diagnostic's first line as the fields ``--format json`` reports."""
    return [
        {
            **m.groupdict(),
            "line": int(m["line"]) if m["line"] else None,
            "column": int(m["column"]) if m["column"] else None,
        }
        for m in FIRST_LINE.finditer(text)
    ]


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize("case", CASES)
def test_case_matches_golden_output(case: str) -> None:
    specs = [p for p in (CORPUS / case).rglob("*") if p.suffix in (".yaml", ".yml")]
    assert specs, f"{case} holds no spec file"
    result = check(case)
    golden = CORPUS / case / "expected.txt"
    if UPDATE:
        golden.write_bytes(result.stdout_bytes)
    assert golden.is_file(), f"{golden} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert result.stdout_bytes == golden.read_bytes()
    has_error = any(d["severity"] == "error" for d in first_lines(result.stdout))
    assert result.exit_code == (1 if has_error else 0), result.stdout


@pytest.mark.parametrize("case", CASES)
def test_json_format_reports_the_same_diagnostics(case: str) -> None:
    text = check(case).stdout
    result = check(case, "--format", "json")
    reported = json.loads(result.stdout)
    assert isinstance(reported, list)
    shown = first_lines(text)
    assert [d["code"] for d in reported] == [d["code"] for d in shown]
    assert reported == [
        {key: d[key] for key in ("file", "line", "column", "severity", "code", "message")}
        for d in shown
    ]
    assert result.exit_code == (1 if any(d["severity"] == "error" for d in shown) else 0)


def test_every_code_is_covered_by_a_case() -> None:
    seen = {
        str(d["code"])
        for case in CASES
        if (CORPUS / case / "expected.txt").is_file()
        for d in first_lines((CORPUS / case / "expected.txt").read_text("utf-8"))
    }
    assert sorted(set(CODES) - seen) == [], "codes no case shows"
    assert sorted(seen - set(CODES)) == [], "codes shown but not in CODES"


def test_codes_in_compiler_source_are_the_registered_ones() -> None:
    used: dict[str, set[str]] = {}
    for path in sorted(COMPILER.rglob("*.py")):
        if path.name == "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and CODE_LITERAL.fullmatch(node.value)
            ):
                used.setdefault(node.value, set()).add(str(path.relative_to(REPO)))
    known = CODES | BUILD_CODES | COMPAT_CODES
    unregistered = {code: sorted(where) for code, where in used.items() if code not in known}
    assert unregistered == {}, "codes used in the compiler but missing from CODES"
    assert sorted(set(known) - set(used)) == [], "codes in CODES that the compiler never uses"
