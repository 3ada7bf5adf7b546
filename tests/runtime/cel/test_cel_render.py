"""Tests for eventual.cel.render: typed placeholders, interpolation, escapes, constants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventual.cel import CelEvaluationError, CelSyntaxError, compile_template
from eventual.cel.render import to_text

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
VARS: dict[str, Any] = {
    "input": {
        "name": "Ada",
        "count": 3,
        "price": 2.0,
        "ratio": 0.25,
        "big": 1e16,
        "ok": True,
        "no": False,
        "none": None,
        "items": [1, "a", None, True, 2.5, {"at": T0}],
        "order": {"id": "o-1", "lines": [{"sku": "x", "qty": 2}]},
        "at": T0,
        "wait": timedelta(minutes=90),
        "raw": b"hi",
        "bad": b"\xff",
        "accent": "é",
    },
    "steps": {"pay": {"output": {"amount": 150}}},
}


def render(template: Any) -> Any:
    return compile_template(template)(VARS)


TYPED: list[tuple[Any, Any]] = [
    ("${{ input.count }}", 3),
    ("${{input.price}}", 2.0),
    ("${{ input.ok }}", True),
    ("${{ input.none }}", None),
    ("${{ input.items }}", VARS["input"]["items"]),
    ("${{ input.order }}", VARS["input"]["order"]),
    ("${{ input.at }}", T0),
    ("${{ input.wait }}", timedelta(minutes=90)),
    ("${{ input.raw }}", b"hi"),
    ("${{ steps.pay.output.amount > 100 }}", True),
    ("${{ {'a': input.count, 'b': [input.name]} }}", {"a": 3, "b": ["Ada"]}),
    ("${{ '}}' }}", "}}"),
    ("  ${{ 1 }}", "  1"),  # text around a placeholder makes it text
]

TEXT: list[tuple[str, str]] = [
    ("Hello ${{ input.name }}!", "Hello Ada!"),
    ("n=${{ input.count }}", "n=3"),
    ("p=${{ input.price }}", "p=2.0"),
    ("r=${{ input.ratio }}", "r=0.25"),
    ("b=${{ input.big }}", "b=1e+16"),
    ("ok=${{ input.ok }}/${{ input.no }}", "ok=true/false"),
    ("none=${{ input.none }}", "none=null"),
    ("at=${{ input.at }}", "at=2024-01-02T03:04:05Z"),
    ("wait=${{ input.wait }}", "wait=5400s"),
    ("raw=${{ input.raw }}", "raw=hi"),
    ("é=${{ input.accent }}", "é=é"),
    ("items=${{ input.items }}", 'items=[1, "a", null, true, 2.5, {"at": "2024-01-02T03:04:05Z"}]'),
    ("order=${{ input.order }}", 'order={"id": "o-1", "lines": [{"sku": "x", "qty": 2}]}'),
    (
        "map=${{ {'k': input.accent, 'd': duration('1s'), 'b': b'x'} }}",
        'map={"k": "é", "d": "1s", "b": "x"}',
    ),
    ("${{ input.count }}${{ input.name }}", "3Ada"),
    ("${{ input.count }} ", "3 "),
    ("nan=${{ double('nan') }} inf=${{ -double('inf') }}", "nan=NaN inf=-Infinity"),
    ("int=${{ 9223372036854775807 }}", "int=9223372036854775807"),
    ("keys=${{ {1: 'a'} }}", 'keys={"1": "a"}'),
    ("total: ${{ string(input.count * 2) + ' items' }}", "total: 6 items"),
]

ESCAPES: list[tuple[str, str]] = [
    ("$${{ input.name }}", "${{ input.name }}"),
    ("cost: $${{", "cost: ${{"),
    ("$${{ a }} and ${{ input.name }}", "${{ a }} and Ada"),
    ("$$${{ input.count }}", "$${{ input.count }}"),  # "$", then the escape "$${{"
    ("$${{ input.count }}${{ input.count }}", "${{ input.count }}3"),
    ("no placeholders $ { {", "no placeholders $ { {"),
    ("${ {input.name}}", "${ {input.name}}"),
]


@pytest.mark.parametrize(("template", "expected"), TYPED, ids=[str(t) for t, _ in TYPED])
def test_typed_placeholder(template: Any, expected: Any) -> None:
    result = render(template)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("template", "expected"), TEXT, ids=[t for t, _ in TEXT])
def test_interpolation(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(("template", "expected"), ESCAPES, ids=[t for t, _ in ESCAPES])
def test_escapes(template: str, expected: str) -> None:
    assert render(template) == expected


def test_nested_structures() -> None:
    template = {
        "order": "${{ input.order.id }}",
        "greeting": "Hi ${{ input.name }}",
        "lines": [{"sku": "${{ input.order.lines[0].sku }}", "qty": 1}, "const", 7],
        "meta": {"static": True, "list": [1, 2, {"deep": None}]},
        "${{ input.name }}": "keys are never templates",
        "$${{ k }}": "nor escapes in keys",
        "escaped": "$${{ not.an.expression }}",
        "typed": ["${{ input.count + 1 }}", "${{ input.items[4] }}", "${{ input.ok }}"],
    }
    assert render(template) == {
        "order": "o-1",
        "greeting": "Hi Ada",
        "lines": [{"sku": "x", "qty": 1}, "const", 7],
        "meta": {"static": True, "list": [1, 2, {"deep": None}]},
        "${{ input.name }}": "keys are never templates",
        "$${{ k }}": "nor escapes in keys",
        "escaped": "${{ not.an.expression }}",
        "typed": [4, 2.5, True],
    }


@pytest.mark.parametrize(
    "template",
    [
        {"a": [1, {"b": "x"}], "c": "$${{ y }}"},
        [[1], {"a": []}],
        {"dyn": "${{ input.count }}", "static": {"a": [1]}},
        ["${{ input.count }}", [1, [2]]],
    ],
)
def test_constants_are_fresh_copies(template: Any) -> None:
    original = json.dumps(template)
    renderer = compile_template(template)
    expected = renderer(VARS)
    _mutate(renderer(VARS))
    assert renderer(VARS) == expected
    assert json.dumps(template) == original


def _mutate(value: Any) -> None:
    if isinstance(value, dict):
        for v in list(value.values()):
            _mutate(v)
        value["new"] = 1
    elif isinstance(value, list):
        for v in list(value):
            _mutate(v)
        value.append("new")


def test_template_is_not_mutated_by_callers() -> None:
    template = {"a": [1, 2]}
    renderer = compile_template(template)
    renderer({})["a"].append(3)
    assert template == {"a": [1, 2]}
    assert renderer({}) == {"a": [1, 2]}


@pytest.mark.parametrize("value", [None, True, 1, 1.5, "plain", [], {}, T0])
def test_scalars_and_empty_values(value: Any) -> None:
    assert compile_template(value)({}) == value


def test_syntax_errors_at_compile_time() -> None:
    with pytest.raises(CelSyntaxError) as info:
        compile_template({"a": ["ok", "x ${{ 1 + }}"]})
    assert info.value.offset == len("x ${{ 1 +")  # the end of the expression
    with pytest.raises(CelSyntaxError):
        compile_template("${{ unterminated")


def test_evaluation_errors_name_the_expression() -> None:
    renderer = compile_template({"a": "id: ${{ input.missing }}"})
    with pytest.raises(CelEvaluationError) as info:
        renderer(VARS)
    assert str(info.value) == "no such key: 'missing'"
    assert info.value.expression == "input.missing"
    with pytest.raises(CelEvaluationError, match="invalid UTF-8"):
        compile_template("x=${{ input.bad }}")(VARS)
    with pytest.raises(CelEvaluationError, match="invalid UTF-8"):
        compile_template("x=${{ [input.bad] }}")(VARS)


def test_unknown_functions_fail_at_compile_time() -> None:
    with pytest.raises(CelEvaluationError, match="unknown function 'nope'"):
        compile_template("${{ nope() }}")


def test_to_text() -> None:
    assert to_text("s") == "s"
    assert to_text(None) == "null"
    assert to_text(2.0) == "2.0"
    assert to_text(-0.0) == "-0.0"
    assert to_text(10**20) == "100000000000000000000"
    assert to_text(timedelta(microseconds=-1)) == "-0.000001s"
    with pytest.raises(CelEvaluationError, match="cannot render a set"):
        to_text({1})
    with pytest.raises(CelEvaluationError, match="cannot render"):
        to_text([{1}])


SAFE_TEXT = st.text(alphabet=st.characters(blacklist_characters="$"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.one_of(SAFE_TEXT, st.sampled_from(["name", "count", "price"])), max_size=6)
)
def test_interpolation_matches_string_concatenation(parts: list[str]) -> None:
    template = "".join(
        p if p not in ("name", "count", "price") else f"${{{{ input.{p} }}}}" for p in parts
    )
    expected = "".join(
        p if p not in ("name", "count", "price") else to_text(VARS["input"][p]) for p in parts
    )
    if template.startswith("${{") and template.endswith("}}") and template.count("${{") == 1:
        return  # a single placeholder keeps its type
    assert render(template) == expected
