"""Tests for eventual.cel.parser: grammar, literals, macros, errors, limits, robustness."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventual.cel import (
    MAX_DEPTH,
    RESERVED_WORDS,
    Binary,
    Call,
    CelSyntaxError,
    Conditional,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    MapLit,
    MessageLit,
    Node,
    Select,
    Unary,
    children,
    parse,
)

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"


def sx(node: Node) -> str:
    """A compact, fully parenthesised rendering of the tree, for structural assertions."""
    if isinstance(node, Literal):
        return _literal(node.value, node.kind)
    if isinstance(node, Ident):
        return node.name
    if isinstance(node, Call | Macro):
        return _call(node)
    match node:
        case Select(operand, field):
            return f"{sx(operand)}.{field}"
        case Index(operand, index):
            return f"{sx(operand)}[{sx(index)}]"
        case Unary(op, operand):
            return f"({op}{sx(operand)})"
        case Binary(op, left, right):
            return f"({sx(left)} {op} {sx(right)})"
        case Conditional(cond, then, otherwise):
            return f"({sx(cond)} ? {sx(then)} : {sx(otherwise)})"
        case ListLit(elements):
            return f"[{', '.join(sx(e) for e in elements)}]"
        case MapLit(entries):
            return "{" + ", ".join(f"{sx(k)}: {sx(v)}" for k, v in entries) + "}"
        case MessageLit(type_name, fields):
            return type_name + "{" + ", ".join(f"{f}: {sx(v)}" for f, v in fields) + "}"
    raise AssertionError(node)


def _call(node: Call | Macro) -> str:
    prefix = "" if node.target is None else f"{sx(node.target)}."
    args = [sx(a) for a in node.args]
    if isinstance(node, Call):
        return f"{prefix}{node.function}({', '.join(args)})"
    bound = [node.var] if node.var else []
    return f"{prefix}@{node.name}({', '.join(bound + args)})"


def _literal(value: object, kind: str) -> str:
    if kind == "uint":
        return f"{value}u"
    if kind in ("bool", "null"):
        return {True: "true", False: "false", None: "null"}[value]  # type: ignore[index]
    return repr(value)


def check_spans(text: str, node: Node) -> None:
    """Every span lies inside the text and inside its parent's span."""
    assert 0 <= node.start < node.end <= len(text)
    for child in children(node):
        assert node.start <= child.start and child.end <= node.end, (node, child)
        check_spans(text, child)


def error_of(text: str) -> CelSyntaxError:
    with pytest.raises(CelSyntaxError) as info:
        parse(text)
    return info.value


# --- precedence and associativity -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("a || b || c", "((a || b) || c)"),
        ("a && b && c", "((a && b) && c)"),
        ("a == b && c != d", "((a == b) && (c != d))"),
        ("a < b == c", "((a < b) == c)"),
        ("a <= b >= c > d", "(((a <= b) >= c) > d)"),
        ("a in b && c", "((a in b) && c)"),
        ("x in [1] in y", "((x in [1]) in y)"),
        ("a + b < c - d", "((a + b) < (c - d))"),
        ("a + b * c", "(a + (b * c))"),
        ("a * b + c", "((a * b) + c)"),
        ("a - b - c", "((a - b) - c)"),
        ("a - b + c", "((a - b) + c)"),
        ("a / b * c % d", "(((a / b) * c) % d)"),
        ("(a + b) * c", "((a + b) * c)"),
        ("a * (b + c)", "(a * (b + c))"),
        ("-a * b", "((-a) * b)"),
        ("!a || b", "((!a) || b)"),
        ("!!a", "(!(!a))"),
        ("---a", "(-(-(-a)))"),
        ("-a.b", "(-a.b)"),
        ("-a[0].c", "(-a[0].c)"),
        ("!a.b()", "(!a.b())"),
        ("a ? b : c", "(a ? b : c)"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ("(a ? b : c) ? d : e", "((a ? b : c) ? d : e)"),
        ("a || b ? c + d : e && f", "((a || b) ? (c + d) : (e && f))"),
        ("a.b.c(d)[e].f", "a.b.c(d)[e].f"),
        ("a[b][c]", "a[b][c]"),
        ("f(a, b + c)", "f(a, (b + c))"),
        ("f()", "f()"),
        ("a.f()", "a.f()"),
        ("a-1", "(a - 1)"),
        ("a - -1", "(a - -1)"),
        ("1 - 2 - -3", "((1 - 2) - -3)"),
        ("a.b - c.d", "(a.b - c.d)"),
        ("[1, 2][0]", "[1, 2][0]"),
        ("{1: 2}[1]", "{1: 2}[1]"),
        ("'abc'.size()", "'abc'.size()"),
        ("1.x", "1.x"),
        ("1.e3", "1.e3"),
        ("a.if + a.package()", "(a.if + a.package())"),
        (".a.b", ".a.b"),
        (".f(x)", ".f(x)"),
        ("a // comment\n + b // another", "(a + b)"),
        ("a\t+\r\nb\f", "(a + b)"),
        ('x in"abc"', "(x in 'abc')"),
    ],
)
def test_structure(text: str, expected: str) -> None:
    node = parse(text)
    assert sx(node) == expected
    check_spans(text, node)


def test_left_associative_chain_of_24_operators_of_each_level() -> None:
    for op in ["||", "&&", "==", "+", "-", "*", "/", "%"]:
        node = parse(f" {op} ".join(f"x{i}" for i in range(25)))
        depth = 0
        while isinstance(node, Binary):
            assert node.op == op and isinstance(node.right, Ident)
            node, depth = node.left, depth + 1
        assert depth == 24


def test_conditional_requires_conditional_or_in_middle() -> None:
    # Expr = ConditionalOr ["?" ConditionalOr ":" Expr]: no bare ternary in the middle.
    assert error_of("a ? b ? c : d : e").message == "expected ':'"
    assert sx(parse("a ? (b ? c : d) : e")) == "(a ? (b ? c : d) : e)"


def test_spans_of_nodes() -> None:
    text = "f(a.b, x[1]) + -2 * !c ? [d] : {e: T{g: 1}}"
    node = parse(text)
    assert isinstance(node, Conditional)
    assert (node.start, node.end) == (0, len(text))
    add = node.cond
    assert isinstance(add, Binary) and text[add.start : add.end] == "f(a.b, x[1]) + -2 * !c"
    call = add.left
    assert isinstance(call, Call) and text[call.start : call.end] == "f(a.b, x[1])"
    assert [text[a.start : a.end] for a in call.args] == ["a.b", "x[1]"]
    mul = add.right
    assert isinstance(mul, Binary)
    assert text[mul.left.start : mul.left.end] == "-2"
    assert text[mul.right.start : mul.right.end] == "!c"
    assert text[node.otherwise.start : node.otherwise.end] == "{e: T{g: 1}}"


def test_parentheses_widen_the_inner_span() -> None:
    node = parse("(a + b).c")
    assert isinstance(node, Select) and (node.start, node.end) == (0, 9)
    assert isinstance(node.operand, Binary) and (node.operand.start, node.operand.end) == (0, 7)
    assert parse(" ( ( x ) ) ") == Ident("x", 1, 10)


def test_offsets_count_characters_not_bytes() -> None:
    node = parse('"ééé" + x')
    assert isinstance(node, Binary) and node.right == Ident("x", 8, 9)


# --- literals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("0", 0, "int"),
        ("42", 42, "int"),
        ("007", 7, "int"),
        ("0x0", 0, "int"),
        ("0x1F", 31, "int"),
        ("0xabcdef", 0xABCDEF, "int"),
        ("9223372036854775807", 2**63 - 1, "int"),
        ("0x7fffffffffffffff", 2**63 - 1, "int"),
        ("-1", -1, "int"),
        ("- 1", -1, "int"),
        ("-9223372036854775808", -(2**63), "int"),
        ("-0x8000000000000000", -(2**63), "int"),
        ("0u", 0, "uint"),
        ("1u", 1, "uint"),
        ("1U", 1, "uint"),
        ("0x1U", 1, "uint"),
        ("0xffu", 255, "uint"),
        ("18446744073709551615u", 2**64 - 1, "uint"),
        ("0xFFFFFFFFFFFFFFFFu", 2**64 - 1, "uint"),
        ("1.5", 1.5, "double"),
        ("0.0", 0.0, "double"),
        ("1e3", 1000.0, "double"),
        ("1E3", 1000.0, "double"),
        ("1e+3", 1000.0, "double"),
        ("1e-3", 0.001, "double"),
        (".5", 0.5, "double"),
        (".5e1", 5.0, "double"),
        ("2.5E-1", 0.25, "double"),
        (".700e1", 7.0, "double"),
        ("-1.5", -1.5, "double"),
        ("-.5", -0.5, "double"),
        ("1e-400", 0.0, "double"),
        ("true", True, "bool"),
        ("false", False, "bool"),
        ("null", None, "null"),
        ('""', "", "string"),
        ("''", "", "string"),
        ('"abc"', "abc", "string"),
        ("'abc'", "abc", "string"),
        ("'\"\"'", '""', "string"),
        ('"\'"', "'", "string"),
        ('""""""', "", "string"),
        ("''''''", "", "string"),
        ("'''x''x'''", "x''x", "string"),
        ('"""a"b""c"""', 'a"b""c', "string"),
        ('"""line1\nline2"""', "line1\nline2", "string"),
        ('"""a\r\nb\rc"""', "a\nb\nc", "string"),
        ('r"a\\nb"', "a\\nb", "string"),
        ('R"\\"', "\\", "string"),
        ("r'\\d+'", "\\d+", "string"),
        ("r'''\\'''", "\\", "string"),
        ('r"""\\n\r\n"""', "\\n\n", "string"),
        ('"ÿ"', "ÿ", "string"),
        ('"\U0001f600"', "\U0001f600", "string"),
        ('b""', b"", "bytes"),
        ('b"abc"', b"abc", "bytes"),
        ("B'abc'", b"abc", "bytes"),
        ('b"ÿ"', b"\xc3\xbf", "bytes"),
        ('b"\\303\\277"', b"\xc3\xbf", "bytes"),
        ('b"\\377"', b"\xff", "bytes"),
        ('b"\\xff"', b"\xff", "bytes"),
        ('b"\\XFF"', b"\xff", "bytes"),
        ('b"""a\nb"""', b"a\nb", "bytes"),
        ('br"\\x"', b"\\x", "bytes"),
        ("bR'\\u0041'", b"\\u0041", "bytes"),
        ('Br"""\\"""', b"\\", "bytes"),
    ],
)
def test_literal(text: str, value: object, kind: str) -> None:
    node = parse(text)
    assert node == Literal(value, kind, 0, len(text))  # type: ignore[arg-type]
    assert isinstance(node, Literal) and type(node.value) is type(value)


@pytest.mark.parametrize(
    ("escape", "char"),
    [
        ("\\a", "\a"),
        ("\\b", "\b"),
        ("\\f", "\f"),
        ("\\n", "\n"),
        ("\\r", "\r"),
        ("\\t", "\t"),
        ("\\v", "\v"),
        ("\\\\", "\\"),
        ("\\'", "'"),
        ('\\"', '"'),
        ("\\`", "`"),
        ("\\?", "?"),
        ("\\x41", "A"),
        ("\\X4a", "J"),
        ("\\xff", "ÿ"),
        ("\\u00e9", "é"),
        ("\\u01aB", "\u01ab"),
        ("\\uFFFB", "\ufffb"),
        ("\\U0001F600", "\U0001f600"),
        ("\\U00088888", "\U00088888"),
        ("\\000", "\x00"),
        ("\\012", "\n"),
        ("\\101", "A"),
        ("\\377", "ÿ"),
    ],
)
@pytest.mark.parametrize("quote", ['"', "'", '"""', "'''"])
def test_string_escape(escape: str, char: str, quote: str) -> None:
    text = f"{quote}<{escape}>{quote}"
    assert parse(text) == Literal(f"<{char}>", "string", 0, len(text))


@pytest.mark.parametrize(
    ("escape", "octets"),
    [("\\n", b"\n"), ("\\\\", b"\\"), ("\\?", b"?"), ("\\x00", b"\x00"), ("\\177", b"\x7f")],
)
def test_bytes_escape(escape: str, octets: bytes) -> None:
    text = f'b"<{escape}>"'
    assert parse(text) == Literal(b"<" + octets + b">", "bytes", 0, len(text))


def test_raw_strings_keep_every_escape() -> None:
    body = "\\\\ \\? \\a \\n \\000 \\x00 \\u0000 \\U00000000"
    assert parse(f"r'{body}'") == Literal(body, "string", 0, len(body) + 3)


def test_negation_of_literals() -> None:
    # The sign folds into a number only when written right before it.
    assert parse("--1") == Unary("-", Literal(-1, "int", 1, 3), 0, 3)
    assert parse("-(1)") == Unary("-", Literal(1, "int", 1, 4), 0, 4)
    assert parse("-1u") == Unary("-", Literal(1, "uint", 1, 3), 0, 3)
    assert parse("!-1") == Unary("!", Literal(-1, "int", 1, 3), 0, 3)
    assert parse("-" * 32 + "19") == parse("-" * 32 + "19")  # spec conformance: "unary_neg"
    node = parse("-1.x")
    assert isinstance(node, Select) and node.operand == Literal(-1, "int", 0, 2)


# --- aggregates and message construction ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", "[]"),
        ("[1]", "[1]"),
        ("[1, 2, 3]", "[1, 2, 3]"),
        ("[1, 2,]", "[1, 2]"),
        ("[,]", "[]"),  # the grammar's "[" [ExprList] [","] "]" allows it
        ("[[1], []]", "[[1], []]"),
        ("{}", "{}"),
        ("{1: 'a'}", "{1: 'a'}"),
        ("{'a': 1, 'b': 2,}", "{'a': 1, 'b': 2}"),
        ("{a: b ? c : d}", "{a: (b ? c : d)}"),
        ("{1: 1, 1: 2}", "{1: 1, 1: 2}"),
        ("{,}", "{}"),
        ("T{}", "T{}"),
        ("T{a: 1}", "T{a: 1}"),
        ("T{a: 1, b: [2],}", "T{a: 1, b: [2]}"),
        ("T{,}", "T{}"),
        ("pkg.sub.T{a: 1}", "pkg.sub.T{a: 1}"),
        (".pkg.T{a: 1}", ".pkg.T{a: 1}"),
        (" . pkg . T { a : 1 } ", ".pkg.T{a: 1}"),
        ("T{a: T{b: 1}}.a.b", "T{a: T{b: 1}}.a.b"),
        ("T{if: 1, package: 2, as: 3}", "T{if: 1, package: 2, as: 3}"),
        ("if.T{}", "if.T{}"),
        ("[T{}]", "[T{}]"),
        ("{'k': T{}}", "{'k': T{}}"),
    ],
)
def test_aggregates(text: str, expected: str) -> None:
    node = parse(text)
    assert sx(node) == expected
    check_spans(text, node)


def test_message_literal_span() -> None:
    assert parse(".a.B{}") == MessageLit(".a.B", (), 0, 6)


def test_spec_whitespace_conformance_expression() -> None:
    text = (
        "[ . cel. expr .conformance. proto3. TestAllTypes { single_int64 : int ( 17 ) } "
        ". single_int64 ] [ 0 ] == ( 18 - 1 ) && ! false ? 1 : 2"
    )
    expected = (
        "((([.cel.expr.conformance.proto3.TestAllTypes{single_int64: int(17)}.single_int64][0]"
        " == (18 - 1)) && (!false)) ? 1 : 2)"
    )
    assert sx(parse(text)) == expected
    assert sx(parse(text.replace(" ", "\n"))) == expected
    assert sx(parse(text.replace(" ", "// c\n"))) == expected


# --- macros -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("has(a.b)", "@has(a.b)"),
        ("has(a.b.c)", "@has(a.b.c)"),
        ("has(m['k'].f)", "@has(m['k'].f)"),
        ("l.all(x, x > 0)", "l.@all(x, (x > 0))"),
        ("l.exists(x, x > 0)", "l.@exists(x, (x > 0))"),
        ("l.exists_one(x, x > 0)", "l.@exists_one(x, (x > 0))"),
        ("l.filter(x, x > 0)", "l.@filter(x, (x > 0))"),
        ("l.map(x, x * 2)", "l.@map(x, (x * 2))"),
        ("l.map(x, x > 0, x * 2)", "l.@map(x, (x > 0), (x * 2))"),
        ("a.b.all(x, x.c.exists(y, y))", "a.b.@all(x, x.c.@exists(y, y))"),
        ("[1].exists(x, .x == 1)", "[1].@exists(x, (.x == 1))"),
        # Not macros: wrong arity, a non-identifier variable, or not a receiver call.
        ("has(a.b, c)", "has(a.b, c)"),
        ("has()", "has()"),
        (".has(a.b)", ".has(a.b)"),
        ("a.has(b.c)", "a.has(b.c)"),
        ("all(l, x)", "all(l, x)"),
        ("l.all(x)", "l.all(x)"),
        ("l.all(x, y, z)", "l.all(x, y, z)"),
        ("l.map(x)", "l.map(x)"),
        ("l.map(x, y, z, w)", "l.map(x, y, z, w)"),
        ("l.exists(1, p)", "l.exists(1, p)"),
        ("l.exists(x.y, p)", "l.exists(x.y, p)"),
        ("l.exists(.x, p)", "l.exists(.x, p)"),
    ],
)
def test_macros(text: str, expected: str) -> None:
    node = parse(text)
    assert sx(node) == expected
    check_spans(text, node)


def test_macro_fields() -> None:
    assert parse("l.map(v, p, t)") == Macro(
        "map", Ident("l", 0, 1), "v", (Ident("p", 9, 10), Ident("t", 12, 13)), 0, 14
    )
    node = parse("has(a.b)")
    assert node == Macro("has", None, None, (Select(Ident("a", 4, 5), "b", 4, 7),), 0, 8)


def test_has_needs_a_selection() -> None:
    for text, offset in [("has(a)", 4), ("has(a[0])", 4), ("has(f(x))", 4), ("x || has(1)", 9)]:
        err = error_of(text)
        assert (err.message, err.offset) == ("has() needs a field selection", offset)


# --- reserved words ---------------------------------------------------------------------


@pytest.mark.parametrize("word", sorted(RESERVED_WORDS))
def test_reserved_word(word: str) -> None:
    for text, offset in [(word, 0), (f"1 + {word}", 4), (f"{word}(1)", 0), (f".{word}", 1)]:
        err = error_of(text)
        assert (err.message, err.offset) == (f"'{word}' is a reserved word", offset)
    # Selectors, field names, receiver calls and type name segments may use them.
    assert sx(parse(f"a.{word}")) == f"a.{word}"
    assert sx(parse(f"a.{word}(1)")) == f"a.{word}(1)"
    assert sx(parse(f"T{{{word}: 1}}")) == f"T{{{word}: 1}}"
    assert sx(parse(f"{word}.T{{}}")) == f"{word}.T{{}}"


def test_reserved_word_list_matches_the_spec() -> None:
    spec = "as break const continue else for function if import let loop package namespace"
    assert sorted(RESERVED_WORDS) == sorted(f"{spec} return var void while".split(" "))


@pytest.mark.parametrize("keyword", ["true", "false", "null", "in"])
def test_keywords_are_not_selectors(keyword: str) -> None:
    err = error_of(f"a.{keyword}")
    assert (err.message, err.offset) == ("expected field name after '.'", 2)


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "empty expression", 0),
        ("   ", "empty expression", 3),
        ("// only a comment", "empty expression", 17),
        (")", "unexpected ')'", 0),
        ("a +", "unexpected end of expression", 3),
        ("a + ", "unexpected end of expression", 4),
        ("a b", "unexpected identifier 'b'", 2),
        ("1 2", "unexpected '2'", 2),
        ("a true", "unexpected 'true'", 2),
        ("'a' 'b'", "unexpected string literal", 4),
        ("'a' b'b'", "unexpected bytes literal", 4),
        ("in", "unexpected 'in'", 0),
        ("a in", "unexpected end of expression", 4),
        ("(a", "expected ')'", 2),
        ("(a b)", "expected ')'", 3),
        ("a[1", "expected ']'", 3),
        ("a[1, 2]", "expected ']'", 3),
        ("[1, 2", "expected ',' or ']'", 5),
        ("[1 2]", "expected ',' or ']'", 3),
        ("[1,,]", "unexpected ','", 3),
        ("[true'x']", "expected ',' or ']'", 5),
        ("[,,]", "expected ']'", 2),
        ("{1: 2", "expected ',' or '}'", 5),
        ("{1 2}", "expected ':'", 3),
        ("{1: 2, 3}", "expected ':'", 8),
        ("f(1, 2", "expected ',' or ')'", 6),
        ("f(", "unexpected end of expression", 2),
        ("f(1,)", "unexpected ')'", 4),
        ("f(,)", "unexpected ','", 2),
        ("f(a)(b)", "unexpected '('", 4),
        ("a.b(c)(d)", "unexpected '('", 6),
        ("a ? b", "expected ':'", 5),
        ("a ? b : ", "unexpected end of expression", 8),
        ("a.", "expected field name after '.'", 2),
        ("a.1", "unexpected '.1'", 1),
        ("a.(b)", "expected field name after '.'", 2),
        ("1.", "expected field name after '.'", 2),
        ("T{1: 2}", "expected field name", 2),
        ("T{a 1}", "expected ':'", 4),
        ("T{a: 1", "expected ',' or '}'", 6),
        (". 1", "unexpected '.'", 0),
        ("!-a", "unexpected '-'", 1),
        ("-!a", "unexpected '!'", 1),
        ("a = b", "unexpected '=', did you mean '=='?", 2),
        ("a & b", "unexpected '&', did you mean '&&'?", 2),
        ("a | b", "unexpected '|', did you mean '||'?", 2),
        ("a # b", "unexpected character '#'", 2),
        ("a\x00", "unexpected character '\\x00'", 1),
        ("a ; b", "unexpected character ';'", 2),
        ("café", "unexpected character 'é'", 3),
        ("a\ud800", "unexpected character '\\ud800'", 1),
        ('"\ud800"', "invalid character '\\ud800'", 1),
        ("0x", "invalid number literal '0x'", 0),
        ("0X1", "invalid number literal '0X1'", 0),
        ("1e", "invalid number literal '1e'", 0),
        ("12abc + 1", "invalid number literal '12abc'", 0),
        ("1.5u", "invalid number literal '1.5u'", 0),
        ("f(1x)", "invalid number literal '1x'", 2),
        ('"abc', "unterminated string", 0),
        ("x + 'abc", "unterminated string", 4),
        ("'abc\ndef'", "unterminated string", 0),
        ('"abc\\"', "unterminated string", 0),
        ('"""abc', "unterminated string", 0),
        ("'''abc''", "unterminated string", 0),
        ('r"abc', "unterminated string", 0),
        ('b"abc', "unterminated string", 0),
        ("bR'abc", "unterminated string", 0),
        ('"\\q"', "invalid escape sequence '\\q'", 1),
        ('"ab\\ "', "invalid escape sequence '\\ '", 3),
        ('"\\x4"', "invalid escape sequence '\\x'", 1),
        ('"\\u12"', "invalid escape sequence '\\u'", 1),
        ('"\\U0001F60"', "invalid escape sequence '\\U'", 1),
        ('"\\400"', "invalid escape sequence '\\4'", 1),
        ('"\\08"', "invalid escape sequence '\\0'", 1),
        ('"\\uD800"', "invalid code point in escape '\\uD800'", 1),
        ('"\\uD83D\\uDE03"', "invalid code point in escape '\\uD83D'", 1),
        ('"\\U0000DE03"', "invalid code point in escape '\\U0000DE03'", 1),
        ('"\\U00110000"', "invalid code point in escape '\\U00110000'", 1),
        ('b"\\u0041"', "invalid escape sequence '\\u' in bytes literal", 2),
        ('b"\\U00000041"', "invalid escape sequence '\\U' in bytes literal", 2),
        ('"""a\n\\z"""', "invalid escape sequence '\\z'", 5),
        ("9223372036854775808", "integer literal out of range", 0),
        ("0x8000000000000000", "integer literal out of range", 0),
        ("-9223372036854775809", "integer literal out of range", 0),
        ("1 + -0x8000000000000001", "integer literal out of range", 4),
        ("18446744073709551616u", "integer literal out of range", 0),
        ("0x10000000000000000u", "integer literal out of range", 0),
        ("1" + "0" * 5000, "integer literal out of range", 0),
        ("1e999", "double literal out of range", 0),
        ("x + 1e309", "double literal out of range", 4),
        # The first problem in reading order wins, lexical or not.
        (') "unterminated', "unexpected ')'", 0),
        ('a "unterminated', "unterminated string", 2),
        ("f(a.if) + 'x", "unterminated string", 10),
    ],
)
def test_error(text: str, message: str, offset: int) -> None:
    err = error_of(text)
    assert (err.message, err.offset) == (message, offset)
    assert str(err) == f"{message} (at offset {offset})"


def test_error_is_picklable() -> None:
    err = error_of("a +")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.message, clone.offset) == (err.message, err.offset)


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(b"1")  # type: ignore[arg-type]


# --- nesting limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "({})",
        "[{}]",
        "{{1: {}}}",
        "f({})",
        "a[{}]",
        "T{{a: {}}}",
        "x.all(y, {})",
        "true ? 1 : {}",
        "1 + ({})",
    ],
)
def test_nesting_spec_minimum_and_the_cap(template: str) -> None:
    def nest(levels: int) -> str:
        text = "1"
        for _ in range(levels):
            text = template.format(text)
        return text

    check_spans(nest(40), parse(nest(40)))  # the spec asks for 12
    err = error_of(nest(MAX_DEPTH + 1))
    assert err.message == "expression nested too deeply"
    huge = nest(5000)
    err = error_of(huge)
    assert err.message == "expression nested too deeply"
    assert 0 <= err.offset <= len(huge)


@pytest.mark.parametrize(
    "text",
    [
        "!" * 300 + "x",
        "-" * 300 + "x",
        "a" + ".b" * 300,
        "a" + "[0]" * 300,
        " + ".join(["1"] * 300),
        " || ".join(["x"] * 300),
        "(" * 100_000,
        "[" * 100_000,
        "-" * 100_000,
        "a ? b : " * 5000 + "c",
    ],
)
def test_long_chains_are_capped(text: str) -> None:
    assert error_of(text).message == "expression nested too deeply"


def test_chains_well_below_the_cap_parse() -> None:
    parse(" || ".join(["x"] * 200))
    parse("a" + ".b" * 200)
    parse("!" * 200 + "x")


def test_deep_caller_stack_still_gets_a_syntax_error() -> None:
    limit = sys.getrecursionlimit()

    def recurse(n: int) -> CelSyntaxError:
        if n:
            return recurse(n - 1)
        with pytest.raises(CelSyntaxError) as info:
            parse("(" * 200 + "1" + ")" * 200)
        return info.value

    assert recurse(limit - 150).message == "expression nested too deeply"


# --- node behaviour ---------------------------------------------------------------------


def test_nodes_are_immutable_values() -> None:
    node = parse("f(a.b, [1, {2: T{c: 3}}])")
    assert isinstance(node, Call)
    assert node == parse("f(a.b, [1, {2: T{c: 3}}])")
    assert hash(node) == hash(parse("f(a.b, [1, {2: T{c: 3}}])"))
    assert node != parse("f(a.b,  [1, {2: T{c: 3}}])")  # offsets are part of the value
    assert pickle.loads(pickle.dumps(node)) == node
    assert copy.deepcopy(node) == node
    with pytest.raises(AttributeError):
        node.function = "g"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del node.args
    assert not hasattr(node, "__dict__")
    assert repr(Ident("x", 0, 1)) == "Ident(name='x', start=0, end=1)"
    assert type(node)(*node.field_values()) == node


def test_children_in_source_order() -> None:
    text = "x.map(v, v > 1, {v: T{f: [v]}})"
    node = parse(text)
    assert [text[c.start : c.end] for c in children(node)] == [
        "x",
        "v > 1",
        "{v: T{f: [v]}}",
    ]


# --- robustness -------------------------------------------------------------------------

_CEL_PIECES = [
    *"abcxyz019_ .,:?!-+*/%<>=&|()[]{}\"'`\\\n\t#$@",
    "==", "!=", "<=", ">=", "&&", "||", "in", "true", "null", "0x", "1u", "1.5", "1e3",
    '"s"', "'''", '"""', "r'", "b'", "br\"", "has(", ".all(", ".map(", "if", "//", "\\u",
    "\\x4", "\\377", "T{", "é", "\x00", "\ud800",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_random_text_raises_only_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_CEL_PIECES), max_size=40).map("".join))
def test_random_cel_like_text_raises_only_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


def _parse_or_syntax_error(text: str) -> None:
    try:
        node = parse(text)
    except CelSyntaxError as err:
        assert isinstance(err.message, str) and err.message
        assert 0 <= err.offset <= len(text)
    else:
        check_spans(text, node)


def _expressions() -> st.SearchStrategy[str]:
    """Random well-formed expressions, rendered with some random spacing."""
    names = st.sampled_from(["a", "b", "xs", "_v1", "if_", "as_"])
    leaves = st.one_of(
        names,
        st.integers(0, 2**63 - 1).map(str),
        st.integers(0, 2**64 - 1).map(lambda i: f"{i}u"),
        st.floats(0, 1e300, allow_nan=False).map(repr),
        st.text(
            st.characters(exclude_categories=["Cs"], exclude_characters='\\"\r\n'), max_size=5
        ).map(lambda s: f'"{s}"'),
        st.sampled_from(["true", "false", "null", "b'x'", "r'\\d'", "'''a\nb'''"]),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        op = st.sampled_from(["||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*"])
        return st.one_of(
            st.tuples(inner, op, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            inner.map(lambda e: f"!({e})"),
            inner.map(lambda e: f"-({e})"),
            st.tuples(inner, names).map(lambda t: f"({t[0]}).{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
            st.lists(inner, max_size=3).map(lambda es: f"f({', '.join(es)})"),
            st.lists(inner, max_size=3).map(lambda es: f"[{', '.join(es)}]"),
            st.lists(st.tuples(inner, inner), max_size=3).map(
                lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
            ),
            st.lists(inner, max_size=2).map(lambda es: f"T{{{', '.join(f'f: {e}' for e in es)}}}"),
            st.tuples(inner, names, inner).map(lambda t: f"({t[0]}).exists({t[1]}, {t[2]})"),
            inner.map(lambda e: f"has(({e}).f)"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_expressions())
def test_random_valid_expressions_parse_with_nested_spans(text: str) -> None:
    node = parse(text)
    check_spans(text, node)
    assert (node.start, node.end) == (len(text) - len(text.lstrip()), len(text.rstrip()))


# --- package hygiene --------------------------------------------------------------------


def test_import_uses_only_the_standard_library() -> None:
    code = (
        "import sys; before = set(sys.modules); import eventual.cel; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(RUNTIME), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded = eval(out)  # a printed list of module names
    assert "eventual.cel.parser" in loaded
    assert [m for m in loaded if m != "eventual" and not m.startswith("eventual.")] == []
