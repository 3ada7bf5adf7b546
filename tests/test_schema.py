"""The spec JSON Schema: valid draft 2020-12, printed by `eventualc schema`, and the
single source of truth for spec shape (every valid spec passes it, shape errors fail it)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from eventualc.cli import cli
from eventualc.shape import schema_path, spec_schema

REPO = Path(__file__).resolve().parents[1]
SHAPE_CODES = ("E101", "E102", "E103", "E104", "E105", "E106", "E201")


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(spec_schema())
    assert schema_path() == REPO / "schemas" / "eventual-spec.schema.json"


def test_schema_command_prints_it() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == spec_schema()


def test_every_key_has_a_description() -> None:
    missing = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                if "description" not in sub and "$ref" not in sub:
                    missing.append(f"{where}.{key}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}")

    walk(spec_schema(), "#")
    assert missing == []


def _documents(folder: Path) -> list[tuple[Path, object]]:
    found = []
    for path in sorted(folder.rglob("*.y*ml")):
        try:
            found.extend((path, doc) for doc in yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue
    return found


def test_example_specs_validate() -> None:
    validator = Draft202012Validator(spec_schema())
    for path, document in _documents(REPO / "specs"):
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], path


def test_corpus_shape_cases_fail_and_others_pass() -> None:
    """A corpus case whose expected output has a shape code fails the schema; others pass it."""
    validator = Draft202012Validator(spec_schema())
    checked = 0
    for case in sorted((REPO / "tests" / "corpus").iterdir()):
        expected = (case / "expected.txt").read_text()
        if any(f"[E00{i}]" in expected for i in range(1, 7)):
            continue  # YAML-level cases: PyYAML's own reading differs from ours
        shape_error = any(f"error[{code}]" in expected for code in SHAPE_CODES)
        valid = all(
            not list(validator.iter_errors(doc))
            for path, doc in _documents(case)
            if isinstance(doc, dict) and "service" in doc
        )
        assert valid != shape_error, case.name
        checked += 1
    assert checked >= 40
