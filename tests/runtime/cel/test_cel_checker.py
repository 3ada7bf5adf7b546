"""The compiler's checker on what the evaluator gained: uint, type values, string
extensions, time zones, RE2 patterns. Each accepted expression also evaluates (no type
error); each rejected one is located where the problem is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support import CheckSpec

from eventual.cel import compile_expression, parse
from eventualc.typecheck import cel as celtypes
from eventualc.typecheck.values import BOOL, DURATION, INT, STRING, TIMESTAMP, ListOf, Type, TypeEnv

SCOPE: dict[str, Type] = {"s": STRING, "i": INT, "t": TIMESTAMP, "d": DURATION, "l": ListOf(STRING)}
VALUES: dict[str, Any] = {
    "s": "a-b-c",
    "i": 2,
    "t": datetime(2024, 1, 1, tzinfo=UTC),
    "d": timedelta(hours=2),
    "l": ["x", "y"],
}


def infer(text: str) -> tuple[Type, list[str]]:
    found, problems = celtypes.infer(parse(text), dict(SCOPE), TypeEnv({}))
    return found, [f"{p.code} {p.message}" for p in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1u + 2u", celtypes.UINT),
        ("uint(i) * 2u", celtypes.UINT),
        ("int(1u) + i", INT),
        ("1u < 2 && 1u == 1.0", BOOL),
        ("type(i)", celtypes.TYPE),
        ("type(s) == string && type(t) == google.protobuf.Timestamp", BOOL),
        ("int", celtypes.TYPE),
        ("false < true", BOOL),
        ("s.indexOf('b') + s.indexOf('b', 1) + s.lastIndexOf('b') + s.lastIndexOf('-', 3)", INT),
        (
            "s.replace('-', '+') + s.replace('-', '+', 1) + s.substring(1) + s.substring(1, 2)",
            STRING,
        ),
        ("s.charAt(0) + s.reverse() + strings.quote(s) + l.join() + l.join(',')", STRING),
        ("s.split('-', 2)", ListOf(STRING)),
        ("'%s has %d items'.format([s, size(l)])", STRING),
        ("t.getHours('Europe/Paris') + t.getDate('+05:30') + d.getHours() + d.getMinutes()", INT),
        ("s.matches('^[a-z]+(-[a-z]+)*$')", BOOL),
        ("{'content-type': 1}.`content-type`", INT),
    ],
)
def test_accepted_and_typed(text: str, expected: Type) -> None:
    found, problems = infer(text)
    assert problems == []
    assert found == expected
    compile_expression(parse(text))(VALUES)  # and the evaluator agrees: no type error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1u + 1", "E404 cannot apply '+' to uint and int"),
        ("-(1u)", "E404 cannot negate a uint"),
        ("[1][0u] + 1u", "E404 cannot apply '+' to int and uint"),
        ("type(1) < type(2)", "E404 '<' does not order type values"),
        ("type(1) + 1", "E404 cannot apply '+' to type and int"),
        ("s.indexOf(1)", "E404 'indexOf' takes string, not int"),
        ("s.substring('1')", "E404 'substring' takes int, not string"),
        ("s.split('-', 'x')", "E404 'split' takes int, not string"),
        ("s.replace('a')", "E408 wrong number of arguments to 'replace'"),
        ("s.format('x')", "E404 'format' takes list, not string"),
        ("strings.quote(1)", "E404 'strings.quote' takes string, not int"),
        ("d.getHours('UTC')", "E404 'getHours' of a duration takes no time zone"),
        ("d.getFullYear()", "E404 'getFullYear' takes timestamp, not duration"),
        ("t.getHours(1)", "E404 'getHours' takes string, not int"),
        ("s.matches('(a')", "E406 invalid regular expression: missing ): (a"),
        ("s.matches('a(?=b)')", "E406 invalid regular expression: invalid perl operator: (?="),
        (r"s.matches('(a)\\1')", "E406 invalid regular expression: invalid escape sequence: \\1"),
    ],
)
def test_rejected(text: str, expected: str) -> None:
    assert infer(text)[1] == [expected]


SPEC = """\
service: shop
tasks:
  note: {input: string}
workflows:
  flow:
    input: {type: object, properties: {name: {type: string}}}
    steps:
      - {task: note, input: "${{ string(input.name.matches('[a-z]++')) }}"}
"""


def test_a_pattern_re2_rejects_is_a_located_check_error(check_spec: CheckSpec) -> None:
    (diagnostic,) = check_spec(SPEC).diagnostics
    assert diagnostic.code == "E406"
    assert diagnostic.message == "invalid regular expression: bad repetition operator: ++"
    assert diagnostic.span is not None
    line = SPEC.splitlines()[diagnostic.span.line - 1]
    assert line[diagnostic.span.column - 1 : diagnostic.span.end_column - 1] == "'[a-z]++'"
