"""Tests for eventual.cel.template: placeholders, escapes, delimiters, error offsets."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventual.cel import (
    Binary,
    CelSyntaxError,
    Ident,
    Interpolation,
    Literal,
    MapLit,
    Placeholder,
    children,
    has_placeholders,
    parse,
    parse_template,
)
from eventual.cel.nodes import Node


def error_of(text: str) -> CelSyntaxError:
    with pytest.raises(CelSyntaxError) as info:
        parse_template(text)
    return info.value


def placeholders(result: str | Placeholder | Interpolation) -> list[Placeholder]:
    if isinstance(result, Placeholder):
        return [result]
    if isinstance(result, Interpolation):
        return [p for p in result.parts if isinstance(p, Placeholder)]
    return []


def all_nodes(node: Node) -> list[Node]:
    return [node] + [n for child in children(node) for n in all_nodes(child)]


# --- plain text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("hello", "hello"),
        ("cost: $5 {{ not cel }} }}", "cost: $5 {{ not cel }} }}"),
        ("${ x }", "${ x }"),
        ("$ {{x}}", "$ {{x}}"),
        ("$${{", "${{"),
        ("$${{ x }}", "${{ x }}"),
        ("a $${{ b $${{ c", "a ${{ b ${{ c"),
        ("$$${{ x }}", "$${{ x }}"),  # the escape is matched leftmost
        ("$$", "$$"),
    ],
)
def test_plain_text(text: str, expected: str) -> None:
    assert parse_template(text) == expected
    assert not has_placeholders(text)


# --- one whole placeholder --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source", "offset"),
    [
        ("${{a}}", "a", 3),
        ("${{ a }}", "a", 4),
        ("${{\n  a.b + 1\n}}", "a.b + 1", 6),
        ("${{ a // note\n }}", "a // note", 4),
        ("${{ {'a': 1}}}", "{'a': 1}", 4),
        ('${{ {"a": {"b": 1}} }}', '{"a": {"b": 1}}', 4),
        ("${{ T{a: {'b': 1}} }}", "T{a: {'b': 1}}", 4),
        ('${{ "}}" }}', '"}}"', 4),
        ("${{ '}}' + \"}}\" }}", "'}}' + \"}}\"", 4),
        ('${{ """a }} b""" }}', '"""a }} b"""', 4),
        ("${{ r'}}' }}", "r'}}'", 4),
        ('${{ "${{" }}', '"${{"', 4),
        ('${{ "$${{" }}', '"$${{"', 4),
    ],
)
def test_whole_placeholder(text: str, source: str, offset: int) -> None:
    result = parse_template(text)
    assert result == Placeholder(parse(source), source, offset)
    assert text[offset : offset + len(source)] == source
    assert has_placeholders(text)


def test_whole_placeholder_keeps_the_expression() -> None:
    result = parse_template("${{ 1 + x }}")
    assert isinstance(result, Placeholder)
    assert result.expr == Binary("+", Literal(1, "int", 0, 1), Ident("x", 4, 5), 0, 5)


def test_literal_escapes_inside_expression_strings_are_not_template_escapes() -> None:
    result = parse_template('${{ "$${{" }}')
    assert isinstance(result, Placeholder)
    assert result.expr == Literal("$${{", "string", 0, 6)


# --- interpolation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        (" ${{ a }}", [" ", "a"]),
        ("${{ a }} ", ["a", " "]),
        ("x${{a}}y", ["x", "a", "y"]),
        ("${{a}}${{b}}", ["a", "b"]),
        ("${{a}} and ${{b}}", ["a", " and ", "b"]),
        ("Hello ${{ user.name }}!", ["Hello ", "user.name", "!"]),
        ("a $${{ b ${{ c }} d $${{", ["a ${{ b ", "c", " d ${{"]),
        ("$${{${{c}}", ["${{", "c"]),
        ("${{c}}$${{", ["c", "${{"]),
        ("}} ${{ {'a': {'b': 1}} }} }}", ["}} ", "{'a': {'b': 1}}", " }}"]),
        ("${{ {'a': 1}}}}}", ["{'a': 1}", "}}"]),
        ("$${{ x }} ${{ y }}", ["${{ x }} ", "y"]),
    ],
)
def test_interpolation(text: str, shape: list[str]) -> None:
    result = parse_template(text)
    assert isinstance(result, Interpolation)
    assert [p.source if isinstance(p, Placeholder) else p for p in result.parts] == shape
    kinds = [isinstance(p, Placeholder) for p in result.parts]
    assert (False, False) not in itertools.pairwise(kinds)  # text parts are merged
    assert "" not in result.parts
    assert has_placeholders(text)


def test_node_offsets_map_into_the_template() -> None:
    text = "Total: ${{ order.items.map(i, i.price * 2) }} for ${{ 'é' + order.id }}"
    for placeholder in placeholders(parse_template(text)):
        src = placeholder.source
        for node in all_nodes(placeholder.expr):
            start, end = placeholder.offset + node.start, placeholder.offset + node.end
            assert text[start:end] == src[node.start : node.end]


def test_result_objects_are_immutable_values() -> None:
    result = parse_template("a ${{ b }}")
    assert result == parse_template("a ${{ b }}")
    assert hash(result) == hash(parse_template("a ${{ b }}"))
    assert isinstance(result, Interpolation)
    with pytest.raises(AttributeError):
        result.parts = ()  # type: ignore[misc]
    assert repr(result).startswith("Interpolation(parts=('a ', Placeholder(expr=Ident(")


def test_map_result_is_a_map_literal() -> None:
    result = parse_template('${{ {"a": {"b": 1}} }}')
    assert isinstance(result, Placeholder) and isinstance(result.expr, MapLit)


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("${{", "unterminated placeholder: '${{' without '}}'", 0),
        ("${{ a", "unterminated placeholder: '${{' without '}}'", 0),
        ("ab ${{ a }", "unterminated placeholder: '${{' without '}}'", 3),
        ("ab ${{ a } }", "unterminated placeholder: '${{' without '}}'", 3),
        ("${{ a }} ${{ b", "unterminated placeholder: '${{' without '}}'", 9),
        ("${{ {'a': 1 }}", "unterminated placeholder: '${{' without '}}'", 0),
        ("${{ a // }}", "unterminated placeholder: '${{' without '}}'", 0),
        ('x ${{ "abc }}', "unterminated string", 6),
        ("x ${{ 'it's' }}", "unterminated string", 11),
        ("${{}}", "empty expression", 3),
        ("${{ }}", "empty expression", 4),
        ("ab ${{ 1 + }}", "unexpected end of expression", 10),
        ("ab ${{ a ) }}", "unexpected ')'", 9),
        ("${{ a } b }}", "unexpected '}'", 6),
        ("é ${{ if }}", "'if' is a reserved word", 6),
        ("${{ a }} ${{ \n  b c }}", "unexpected identifier 'c'", 18),
        ('${{ "\\q" }}', "invalid escape sequence '\\q'", 5),
        ("$${{ x }} ${{ # }}", "unexpected character '#'", 14),
    ],
)
def test_errors(text: str, message: str, offset: int) -> None:
    err = error_of(text)
    assert (err.message, err.offset) == (message, offset)


# --- has_placeholders -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("plain", False),
        ("$${{ x }}", False),
        ("$$${{ x }}", False),
        ("${{ x }}", True),
        ("a ${{", True),  # unterminated, but still a placeholder
        ("$${{${{ x }}", True),
        ("{{ x }}", False),
    ],
)
def test_has_placeholders(text: str, expected: bool) -> None:
    assert has_placeholders(text) is expected


# --- robustness -------------------------------------------------------------------------

_PIECES = ["$", "{", "}", "${{", "$${{", "}}", " ", "a", "1", "+", "'", '"', "\\", "\n", "é"]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_random_text_raises_only_syntax_errors(text: str) -> None:
    _check(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_random_template_like_text_raises_only_syntax_errors(text: str) -> None:
    _check(text)


def _check(text: str) -> None:
    try:
        result = parse_template(text)
    except CelSyntaxError as err:
        assert err.message and 0 <= err.offset <= len(text)
        assert has_placeholders(text)
        return
    if isinstance(result, str):
        assert not has_placeholders(text)
        assert result == text.replace("$${{", "${{")
        return
    assert has_placeholders(text)
    for placeholder in placeholders(result):
        offset, source = placeholder.offset, placeholder.source
        assert text[offset : offset + len(source)] == source
        assert text[offset - 3 : offset].endswith("${{") or text[:offset].rstrip().endswith("${{")
