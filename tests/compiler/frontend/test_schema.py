"""The spec JSON Schema: valid draft 2020-12, printed by `eventualc schema`, and the
single source of truth for spec shape (every valid spec passes it, shape errors fail it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from tests.support import REPO, json_paths

from eventualc.cli import cli
from eventualc.frontend.shape import schema_path, spec_schema
from eventualc.frontend.source import SourceFile, parse_documents
from eventualc.frontend.validator import CompiledSchema

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
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        documents, _ = parse_documents(SourceFile(path, path.name, text))
        found.extend((path, d.data) for d in documents)
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
            if isinstance(doc, dict) and "service" in doc  # others are skipped (W007)
        )
        assert valid != shape_error, case.name
        checked += 1
    assert checked >= 40


# The compiled validator behind the shape stage must agree with jsonschema, the reference.
_REFERENCE = Draft202012Validator(spec_schema())
_COMPILED = CompiledSchema(spec_schema())


def _reference_errors(document: object) -> set[tuple[str, tuple[object, ...]]]:
    return {(str(e.validator), tuple(e.absolute_path)) for e in _REFERENCE.iter_errors(document)}


def _compiled_errors(document: object) -> set[tuple[str, tuple[object, ...]]]:
    return {(e.keyword, e.path) for e in _COMPILED.errors(document)}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_compiled_validator_agrees_with_jsonschema(data: st.DataObject) -> None:
    document = yaml.safe_load((REPO / "specs" / "orders.yaml").read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(json_paths(document)))
        document = _replace(document, path, data.draw(VALUES))
    assert _compiled_errors(document) == _reference_errors(document)


def test_compiled_validator_agrees_on_the_corpus() -> None:
    for _, document in _documents(REPO / "tests" / "corpus"):
        assert _compiled_errors(document) == _reference_errors(document)


def test_compiled_validator_rejects_unknown_keywords() -> None:
    with pytest.raises(ValueError, match="'not'"):
        CompiledSchema({"not": {}})


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(-1, 1e4)
    | st.sampled_from(["task", "x", "1s", "${{ input }}", "OrderCreated", "full", "Bad Name"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["task", "if", "then", "id", "schema", "x", "events",
                                       "workflow", "input", "attempts", "steps"]), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


def _replace(document: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document
