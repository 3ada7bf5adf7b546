"""The source stage: YAML 1.2 core semantics, positions, duplicate keys, tags."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eventualc.frontend.source import SourceFile, parse_documents


def parse(text: str) -> tuple[list[object], list[str]]:
    documents, diagnostics = parse_documents(SourceFile(Path("x.yaml"), "x.yaml", text))
    return [d.data for d in documents], [f"{d.span}: {d.code} {d.message}" for d in diagnostics]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"), ("yes", "yes"), ("no", "no"), ("off", "off"), ("y", "y"),
        ("true", True), ("False", False), ("TRUE", True), ("null", None), ("~", None), ("", None),
        ("12", 12), ("-3", -3), ("0o17", 15), ("0x1F", 31), ("012", 12), ("1_000", "1_000"),
        ("12:30", "12:30"), ("1.5", 1.5), ("1e3", 1000.0), ("-.inf", -math.inf),
        ("2024-01-01", "2024-01-01"), ("0b101", "0b101"),
    ],
)  # fmt: skip
def test_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    data, problems = parse(f"k: {text}\n")
    assert problems == []
    assert data == [{"k": value}]


def test_keys_are_strings_and_on_stays_a_key() -> None:
    data, _ = parse("on: push\n1: one\ntrue: t\n")
    assert data == [{"on": "push", "1": "one", "true": "t"}]


def test_duplicate_key_is_located_at_the_second_with_a_note() -> None:
    documents, diagnostics = parse_documents(
        SourceFile(Path("x.yaml"), "x.yaml", "a:\n  b: 1\n  b: 2\n")
    )
    assert [(d.code, str(d.span), d.message) for d in diagnostics] == [
        ("E003", "x.yaml:3:3", "duplicate key 'b'")
    ]
    assert str(diagnostics[0].notes[0].span) == "x.yaml:2:3"
    assert documents[0].data == {"a": {"b": 1}}


def test_positions_of_keys_and_values() -> None:
    documents, _ = parse_documents(
        SourceFile(Path("x.yaml"), "x.yaml", "top:\n  list: [a, 'b c']\n")
    )
    where = documents[0].locations
    assert str(where.key(("top", "list"))) == "x.yaml:2:3"
    assert str(where.value(("top", "list", 1))) == "x.yaml:2:13"
    assert str(where.text(("top", "list", 1), 0, 1)) == "x.yaml:2:14"  # inside the quotes
    assert str(where.value(("top", "list", 1, "missing"))) == "x.yaml:2:13"


def test_explicit_core_tags_and_unknown_tags() -> None:
    data, problems = parse("a: !!int '7'\nb: !!str 7\nc: !!python/object x\nd: !!int nope\n")
    assert data == [{"a": 7, "b": "7", "c": "x", "d": "nope"}]
    assert problems == [
        "x.yaml:3:4: E004 unsupported YAML tag '!!python/object'",
        "x.yaml:4:4: E004 'nope' is not a valid !!int",
    ]


def test_syntax_error_is_located() -> None:
    _, problems = parse("a: [1, 2\nb: 3\n")
    assert len(problems) == 1
    assert problems[0].startswith("x.yaml:2:") and "E002 invalid YAML" in problems[0]


def test_alias_bombs_are_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    _, problems = parse("\n".join(lines) + "\n")
    assert problems == ["x.yaml:5:5: E002 invalid YAML: aliases repeat more than 100,000 values"]


def test_complex_keys_are_rejected() -> None:
    _, problems = parse("? [a, b]\n: 1\n")
    assert problems == ["x.yaml:1:3: E005 a mapping key must be a plain value"]


def test_multi_document_files() -> None:
    data, problems = parse("service: a\n---\nservice: b\n")
    assert problems == []
    assert data == [{"service": "a"}, {"service": "b"}]
