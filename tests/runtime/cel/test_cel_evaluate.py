"""Tests for eventual.cel.evaluate: operators, functions, macros, errors, robustness, and
agreement with the compiler's type checker (eventualc.typecheck.cel)."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventual.cel import CelEvaluationError, CelSyntaxError, compile_expression, evaluate, parse
from eventual.cel.evaluate import INT_MAX, INT_MIN, equals, kind_of
from eventual.cel.values import Uint
from eventualc.typecheck import cel as celtypes
from eventualc.typecheck.values import (
    BOOL,
    BYTES,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    STRING,
    TIMESTAMP,
    ListOf,
    MapOf,
    Object,
    Type,
    TypeEnv,
)

T0 = datetime(2024, 3, 10, 12, 30, 45, 123456, tzinfo=UTC)  # a Sunday

VARS: dict[str, Any] = {
    "i": 5,
    "d": 2.5,
    "s": "héllo",
    "l": [1, 2, 3],
    "m": {"a": 1, "b": 2},
    "n": None,
    "t": T0,
    "du": timedelta(hours=1, minutes=30),
    "by": b"ab",
    "yes": True,
    "no": False,
    "input": {"region": "eu", "items": [{"price": 10}, {"price": 25}], "tags": ["a", "b"]},
    "steps": {"pay": {"output": {"amount": 150, "currency": "EUR"}}},
}


def run(text: str, variables: dict[str, Any] | None = None) -> Any:
    return compile_expression(parse(text))(VARS if variables is None else variables)


def error_of(text: str, variables: dict[str, Any] | None = None) -> str:
    with pytest.raises(CelEvaluationError) as info:
        run(text, variables)
    return str(info.value)


def same(a: Any, b: Any) -> bool:
    """Equal with the same Python types all the way down (1 is not 1.0, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


VALUES: list[tuple[str, Any]] = [
    # literals
    ("1", 1),
    ("-9223372036854775808", INT_MIN),
    ("1u", Uint(1)),
    ("0x10", 16),
    ("1.5", 1.5),
    ("1e3", 1000.0),
    ('"a\\tb"', "a\tb"),
    ("r'\\n'", "\\n"),
    ('b"\\xff"', b"\xff"),
    ("true", True),
    ("null", None),
    ("[1, 'a', null]", [1, "a", None]),
    ("[]", []),
    ("{'a': 1, 'b': [true]}", {"a": 1, "b": [True]}),
    ("{}", {}),
    # variables and selection
    ("i", 5),
    (".i", 5),
    ("input.region", "eu"),
    ("steps.pay.output.amount", 150),
    ("input.items[1].price", 25),
    ("input['region']", "eu"),
    ("m['a']", 1),
    ("l[0]", 1),
    ("l[2]", 3),
    ("{'a': {'b': 2}}.a.b", 2),
    ("[[1, 2]][0][1]", 2),
    ("{1: 'a'}[1]", "a"),
    ("{1: 'a'}[1.0]", "a"),
    ("{true: 'a'}[true]", "a"),
    # has
    ("has(m.a)", True),
    ("has(m.z)", False),
    ("has(input.items)", True),
    ("has(steps.pay.output.refund)", False),
    ("has({'a': null}.a)", True),
    # arithmetic: ints
    ("1 + 2", 3),
    ("7 - 10", -3),
    ("6 * 7", 42),
    ("7 / 2", 3),
    ("-7 / 2", -3),
    ("7 / -2", -3),
    ("-7 / -2", 3),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("7 % -3", 1),
    ("-7 % -3", -1),
    ("9223372036854775807 - 1 + 1", INT_MAX),
    ("-9223372036854775807 - 1", INT_MIN),
    ("-i", -5),
    ("--i", 5),
    ("-(-9223372036854775807)", INT_MAX),
    # arithmetic: doubles and mixed
    ("1.5 + 1.5", 3.0),
    ("1 + 1.5", 2.5),
    ("1.5 + 1", 2.5),
    ("i * d", 12.5),
    ("i - d", 2.5),
    ("7 / 2.0", 3.5),
    ("7.0 / 2", 3.5),
    ("-d", -2.5),
    ("1e308 * 10.0", math.inf),
    ("0.1 + 0.2", 0.1 + 0.2),
    # strings, bytes, lists
    ("'ab' + 'cd'", "abcd"),
    ("b'ab' + b'cd'", b"abcd"),
    ("[1] + [2, 3]", [1, 2, 3]),
    ("l + []", [1, 2, 3]),
    # equality (heterogeneous)
    ("1 == 1", True),
    ("1 == 1.0", True),
    ("1.0 == 1", True),
    ("1 != 1.0", False),
    ("1 == 2", False),
    ("1 == '1'", False),
    ("1 != '1'", True),
    ("true == 1", False),
    ("true != 1", True),
    ("null == null", True),
    ("null == 0", False),
    ("n == null", True),
    ("'a' == 'a'", True),
    ("b'a' == 'a'", False),
    ("[1, 2] == [1.0, 2.0]", True),
    ("[1, 2] == [1, 2, 3]", False),
    ("[true] == [1]", False),
    ("[[1]] == [[1.0]]", True),
    ("{'a': 1} == {'a': 1.0}", True),
    ("{'a': 1} == {'b': 1}", False),
    ("{'a': 1} == {'a': 1, 'b': 2}", False),
    ("{1: 'x'} == {true: 'x'}", False),
    ("m == {'b': 2, 'a': 1}", True),
    ("t == t", True),
    ("t == timestamp('2024-03-10T12:30:45.123456Z')", True),
    ("du == duration('90m')", True),
    ("du == 5400", False),
    ("double('NaN') == double('NaN')", False),
    ("[double('NaN')] == [double('NaN')]", False),
    ("i == 5 && s == 'héllo'", True),
    # ordering
    ("1 < 2", True),
    ("2 <= 2", True),
    ("3 > 2.5", True),
    ("2.5 >= 3", False),
    ("-1 < 0.5", True),
    # an int orders against a double by its double value, as cel-go (2**63-1 becomes 2**63)
    ("9223372036854775807 < 9223372036854775808.0", False),
    ("9223372036854775807 <= 9223372036854775808.0", True),
    ("9007199254740993 > 9007199254740992.0", False),
    ("1 < 1.5 && 2.5 > 2 && 2.0 >= 2 && 1u < 2 && 3 > 2u && 1u <= 1.0", True),
    ("false < true && true >= false && !(true < true)", True),
    ("'a' < 'b'", True),
    ("'B' < 'a'", True),
    ("'abc' >= 'abd'", False),
    ("b'a' < b'b'", True),
    ("t < t + duration('1s')", True),
    ("t > timestamp('2024-01-01T00:00:00Z')", True),
    ("du < duration('2h')", True),
    ("du >= duration('1h30m')", True),
    ("-du < du", True),
    ("double('NaN') < 1.0", False),
    # logic and short-circuit error absorption (commutative, as CEL)
    ("true && true", True),
    ("true && false", False),
    ("false || true", True),
    ("false || false", False),
    ("!true", False),
    ("!!true", True),
    ("false && 1 / 0 == 1", False),
    ("1 / 0 == 1 && false", False),
    ("true || 1 / 0 == 1", True),
    ("1 / 0 == 1 || true", True),
    ("x.y && false", False),
    ("false && x.y", False),
    ("m.z || true", True),
    ("1 && false", False),
    ("false && 'a'", False),
    ("'a' || true", True),
    ("i > 1 ? 'big' : 'small'", "big"),
    ("i > 10 ? 'big' : 'small'", "small"),
    ("true ? 1 : 1 / 0", 1),
    ("false ? 1 / 0 : 2", 2),
    ("true ? 1 : false ? 2 : 3", 1),
    # in
    ("1 in [1, 2]", True),
    ("3 in [1, 2]", False),
    ("1 in [1.0]", True),
    ("1.0 in l", True),
    ("true in [1]", False),
    ("1 in [true]", False),
    ("'a' in ['a', 'b']", True),
    ("'c' in input.tags", False),
    ("'a' in input.tags", True),
    ("[1] in [[1], [2]]", True),
    ("'a' in m", True),
    ("'z' in m", False),
    ("1 in m", False),
    ("1 in {1: 'x'}", True),
    ("true in {1: 'x'}", False),
    ("[1] in m", False),
    ("null in [null]", True),
    # macros over lists
    ("l.all(x, x > 0)", True),
    ("l.all(x, x > 1)", False),
    ("[].all(x, x > 1)", True),
    ("l.exists(x, x == 2)", True),
    ("l.exists(x, x == 7)", False),
    ("[].exists(x, true)", False),
    ("l.exists_one(x, x > 2)", True),
    ("l.exists_one(x, x > 1)", False),
    ("l.map(x, x * 2)", [2, 4, 6]),
    ("l.map(x, x > 1, x * 10)", [20, 30]),
    ("l.filter(x, x % 2 == 1)", [1, 3]),
    ("input.items.map(it, it.price)", [10, 25]),
    ("input.items.filter(it, it.price > 20).map(it, it.price)", [25]),
    ("l.map(x, l.map(y, x * y))", [[1, 2, 3], [2, 4, 6], [3, 6, 9]]),
    ("l.map(i, i + 1)", [2, 3, 4]),  # the macro variable shadows a variable
    ("l.map(x, x).size() + i", 8),  # ...only inside the macro
    ("[1, 2].map(i, .i)", [1, 2]),  # '.i' reads the macro variable, as the checker types it
    # macros absorb errors as CEL: a deciding item wins over errors elsewhere
    ("l.all(x, 3 / (x - 2) > 0)", False),
    ("l.exists(x, x / (x - 1) > 0)", True),
    ("[0, 1].exists(x, 1 / x == 1)", True),
    ("['a', 1].exists(x, x == 1)", True),
    # macros over maps iterate keys
    ("m.all(k, k in ['a', 'b'])", True),
    ("m.exists(k, m[k] == 2)", True),
    ("m.exists_one(k, k == 'a')", True),
    ("m.map(k, k)", ["a", "b"]),
    ("m.map(k, m[k] * 10)", [10, 20]),
    ("m.filter(k, m[k] > 1)", ["b"]),
    # functions: size
    ("size('héllo')", 5),
    ("s.size()", 5),
    ("size(b'ab')", 2),
    ("by.size()", 2),
    ("size(l)", 3),
    ("l.size()", 3),
    ("size(m)", 2),
    ("size({})", 0),
    # strings
    ("s.contains('é')", True),
    ("s.contains('')", True),
    ("contains('abc', 'bc')", True),
    ("s.startsWith('hé')", True),
    ("s.startsWith('x')", False),
    ("startsWith('abc', 'a')", True),
    ("s.endsWith('lo')", True),
    ("endsWith('abc', 'b')", False),
    ("'abc123'.matches('[0-9]+')", True),
    ("'abc'.matches('^b')", False),
    ("matches('abc', 'b')", True),
    ("'ÀBc'.lowerAscii()", "Àbc"),
    ("'àbC'.upperAscii()", "àBC"),
    ("lowerAscii('ABC')", "abc"),
    ("'  x y \\t\\n'.trim()", "x y"),
    ("'\\u00a0x\\u3000'.trim()", "x"),
    ("'a,b,,c'.split(',')", ["a", "b", "", "c"]),
    ("'abc'.split('')", ["a", "b", "c"]),
    ("''.split(',')", [""]),
    ("split('a b', ' ')", ["a", "b"]),
    ("['a', 'b'].join('-')", "a-b"),
    ("[].join('-')", ""),
    ("join(['a'], ', ')", "a"),
    # conversions: int
    ("int(5)", 5),
    ("int(2.9)", 2),
    ("int(-2.9)", -2),
    ("int('12')", 12),
    ("int('-12')", -12),
    ("int('+7')", 7),
    ("int('-9223372036854775808')", INT_MIN),
    ("int(true)", 1),
    ("int(false)", 0),
    ("int(t)", 1710073845),
    ("int(timestamp('1969-12-31T23:59:59.5Z'))", -1),
    # uint
    ("uint(5)", Uint(5)),
    ("uint(2.7)", Uint(2)),
    ("uint('18446744073709551615')", Uint(2**64 - 1)),
    ("18446744073709551615u / 5u", Uint(3689348814741910323)),
    ("7u % 4u + 1u * 2u - 1u", Uint(4)),
    ("int(5u) + 1", 6),
    ("1u == 1 && 1u == 1.0 && 2u != 1 && {1u: 'a'}[1] == 'a' && [1, 2][1u] == 2", True),
    ("string(18446744073709551615u)", "18446744073709551615"),
    ("double(18446744073709551615u)", 1.8446744073709552e19),
    ("[1, 2][1.0]", 2),
    # IEEE 754 division
    ("1.0 / 0.0", math.inf),
    ("-1 / 0.0", -math.inf),
    ("1.0 / -0.0", -math.inf),
    ("0.0 / 0.0 != 0.0 / 0.0", True),
    # type values
    ("type(1) == int && type(1u) == uint && type(1.5) == double && type('a') == string", True),
    ("type(null) == null_type && type([]) == list && type({}) == map && type(b'') == bytes", True),
    ("type(t) == google.protobuf.Timestamp && type(du) == google.protobuf.Duration", True),
    ("type(type(1)) == type && type(true) == bool && type(1) != type(1u)", True),
    # duration accessors and time zones
    ("duration('3730s').getHours() + duration('3730s').getMinutes()", 63),
    ("duration('-3730.5s').getSeconds()", -3730),
    ("duration('-1.5s').getMilliseconds()", -500),
    ("timestamp('2024-01-01T23:30:00Z').getHours('Europe/Paris')", 0),
    ("timestamp('2024-01-01T23:30:00Z').getDate('+01:00')", 2),
    ("timestamp('2024-01-01T00:30:00Z').getDayOfWeek('-01:00')", 0),
    # backtick field names and dotted variables
    ("{'content-type': 'json'}.`content-type`", "json"),
    ("has({'a.b': 1}.`a.b`) && !has({'a.b': 1}.`a/c`)", True),
    # double
    ("double(3)", 3.0),
    ("double(1.5)", 1.5),
    ("double('1.5')", 1.5),
    ("double('-1e3')", -1000.0),
    ("double('.5')", 0.5),
    ("double('inf')", math.inf),
    ("double('-Infinity')", -math.inf),
    # string
    ("string(1)", "1"),
    ("string(-1)", "-1"),
    ("string(1.5)", "1.5"),
    ("string(2.0)", "2.0"),
    ("string(1e16)", "1e+16"),
    ("string(1e-7)", "1e-07"),
    ("string(double('NaN'))", "NaN"),
    ("string(double('inf'))", "Infinity"),
    ("string('x')", "x"),
    ("string(true)", "true"),
    ("string(null)", "null"),
    ("string(b'\\xc3\\xa9')", "é"),
    ("string(t)", "2024-03-10T12:30:45.123456Z"),
    ("string(timestamp('2024-01-01T00:00:00Z'))", "2024-01-01T00:00:00Z"),
    ("string(timestamp('2024-01-01T00:00:00.500Z'))", "2024-01-01T00:00:00.5Z"),
    ("string(du)", "5400s"),
    ("string(duration('1.5s'))", "1.5s"),
    ("string(duration('-30s'))", "-30s"),
    ("string(-duration('0.25s'))", "-0.25s"),
    ("string(duration('0'))", "0s"),
    # bool, bytes, dyn
    ("bool(true)", True),
    ("bool('true')", True),
    ("bool('TRUE')", True),
    ("bool('t')", True),
    ("bool('1')", True),
    ("bool('False')", False),
    ("bool('0')", False),
    ("bytes('é')", b"\xc3\xa9"),
    ("bytes(b'a')", b"a"),
    ("dyn(1)", 1),
    ("dyn([1, 'a'])", [1, "a"]),
    ("dyn(1) + 1.5", 2.5),
    # timestamps
    ("timestamp('2024-01-01T00:00:00Z')", datetime(2024, 1, 1, tzinfo=UTC)),
    ("timestamp('2024-01-01t00:00:00z')", datetime(2024, 1, 1, tzinfo=UTC)),
    ("timestamp('2024-01-01T01:00:00+01:00')", datetime(2024, 1, 1, tzinfo=UTC)),
    ("timestamp('2024-01-01T00:00:00-02:30')", datetime(2024, 1, 1, 2, 30, tzinfo=UTC)),
    ("timestamp('2024-01-01T00:00:00.123456789Z')", datetime(2024, 1, 1, 0, 0, 0, 123456, UTC)),
    ("timestamp(0)", datetime(1970, 1, 1, tzinfo=UTC)),
    ("timestamp(1.5)", datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)),
    ("timestamp(-1)", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("timestamp(t)", T0),
    ("t.getFullYear()", 2024),
    ("t.getMonth()", 2),
    ("t.getDate()", 10),
    ("t.getDayOfMonth()", 9),
    ("t.getDayOfWeek()", 0),
    ("timestamp('2024-03-11T00:00:00Z').getDayOfWeek()", 1),
    ("t.getDayOfYear()", 69),
    ("timestamp('2024-01-01T00:00:00Z').getDayOfYear()", 0),
    ("t.getHours()", 12),
    ("t.getMinutes()", 30),
    ("t.getSeconds()", 45),
    ("t.getMilliseconds()", 123),
    ("getHours(t)", 12),
    ("timestamp('2024-01-01T23:30:00-01:00').getHours()", 0),
    ("timestamp('2024-01-01T23:30:00-01:00').getDate()", 2),
    # durations
    ("duration('1h')", timedelta(hours=1)),
    ("duration('1h30m')", timedelta(hours=1, minutes=30)),
    ("duration('1.5h')", timedelta(hours=1, minutes=30)),
    ("duration('-30s')", timedelta(seconds=-30)),
    ("duration('+30s')", timedelta(seconds=30)),
    ("duration('500ms')", timedelta(milliseconds=500)),
    ("duration('2us')", timedelta(microseconds=2)),
    ("duration('2µs')", timedelta(microseconds=2)),
    ("duration('3ns')", timedelta(0)),
    ("duration('1500ns')", timedelta(microseconds=2)),
    ("duration('.5s')", timedelta(milliseconds=500)),
    ("duration('1.s')", timedelta(seconds=1)),
    ("duration('0')", timedelta(0)),
    ("duration('2h45m30.5s')", timedelta(hours=2, minutes=45, seconds=30.5)),
    ("duration(du)", timedelta(hours=1, minutes=30)),
    # timestamp and duration arithmetic
    ("t + du", T0 + timedelta(hours=1, minutes=30)),
    ("du + t", T0 + timedelta(hours=1, minutes=30)),
    ("t - du", T0 - timedelta(hours=1, minutes=30)),
    ("t - timestamp('2024-03-10T00:00:00Z')", timedelta(hours=12, minutes=30, seconds=45.123456)),
    ("du + du", timedelta(hours=3)),
    ("du - duration('2h')", timedelta(minutes=-30)),
    ("-du", -timedelta(hours=1, minutes=30)),
]
VALUES += [
    ("n", None),
    ("m.a == 1 ? null : 1", None),
    ("dyn(null)", None),
    ("l.map(x, x > 5, 1 / 0)", []),
]

ERRORS: list[tuple[str, str]] = [
    # variables, keys, indexes
    ("x", "unknown variable 'x'"),
    ("x.y", "unknown variable 'x'"),
    ("input.country", "no such key: 'country'"),
    ("steps.ship.output", "no such key: 'ship'"),
    ("steps.pay.output.refund", "no such key: 'refund'"),
    ("input['country']", "no such key: 'country'"),
    ("m.z", "no such key: 'z'"),
    ("{1: 'a'}[2]", "no such key: 2"),
    ("{true: 'a'}[1]", "no such key: 1"),
    ("m[1]", "no such key: 1"),
    ("m[[1]]", "no such overload: map[list]"),
    ("l[3]", "index 3 out of range for a list of size 3"),
    ("l[-1]", "index -1 out of range for a list of size 3"),
    ("l[1.5]", "no such overload: list[double]"),
    ("l['a']", "no such overload: list[string]"),
    ("'abc'[0]", "no such overload: string[int]"),
    ("n.a", "cannot select field 'a' of null"),
    ("i.a", "cannot select field 'a' of int"),
    ("input.region.x", "cannot select field 'x' of string"),
    ("input.items.price", "cannot select field 'price' of list"),
    ("(1 + 1).a", "cannot select field 'a' of int"),
    ("has(n.a)", "cannot select field 'a' of null"),
    ("has(x.a)", "unknown variable 'x'"),
    ("has(input.x.a)", "no such key: 'x'"),
    # arithmetic
    ("1 / 0", "division by zero"),
    ("1 % 0", "modulo by zero"),
    ("1u / 0u", "division by zero"),
    ("1u % 0u", "modulo by zero"),
    ("0u - 1u", "unsigned integer overflow"),
    ("18446744073709551615u + 1u", "unsigned integer overflow"),
    ("-(1u)", "no such overload: -uint"),
    ("1u + 1", "no such overload: uint + int"),
    ("int(9223372036854775807.0)", "integer overflow"),
    ("int(-9223372036854775808.0)", "integer overflow"),
    ("uint(-1.0)", "unsigned integer overflow"),
    ("duration('320000000000s')", "duration overflow"),
    ("duration('200000000000s') + duration('200000000000s')", "duration overflow"),
    ("t.getHours('Mars/Olympus')", "unknown time zone 'Mars/Olympus'"),
    ("t.getHours('../etc/passwd')", "unknown time zone"),
    ("du.getHours('UTC')", "no such overload: duration.getHours(string)"),
    ("du.getFullYear()", "no such overload: duration.getFullYear()"),
    ("9223372036854775807 + 1", "integer overflow"),
    ("-9223372036854775808 - 1", "integer overflow"),
    ("4611686018427387904 * 2", "integer overflow"),
    ("-9223372036854775808 / -1", "integer overflow"),
    ("-(-9223372036854775807 - 1)", "integer overflow"),
    ("18446744073709551615u + 0", "no such overload: uint + int"),
    ("'a' + 1", "no such overload: string + int"),
    ("1 + 'a'", "no such overload: int + string"),
    ("5 % 2.0", "no such overload: int % double"),
    ("5.5 % 2", "no such overload: double % int"),
    ("true + true", "no such overload: bool + bool"),
    ("null + 1", "no such overload: null + int"),
    ("{'a': 1} + {'b': 2}", "no such overload: map + map"),
    ("[1] - [1]", "no such overload: list - list"),
    ("'ab' * 2", "no such overload: string * int"),
    ("b'a' + 'a'", "no such overload: bytes + string"),
    ("t + t", "no such overload: timestamp + timestamp"),
    ("du * 2", "no such overload: duration * int"),
    ("du / 2", "no such overload: duration / int"),
    ("t + 1", "no such overload: timestamp + int"),
    ("du - t", "no such overload: duration - timestamp"),
    ("-'a'", "no such overload: -string"),
    ("-true", "no such overload: -bool"),
    ("!1", "no such overload: !int"),
    ("!null", "no such overload: !null"),
    ("timestamp('9999-12-31T23:59:59Z') + duration('1s')", "timestamp overflow"),
    ("timestamp('0001-01-01T00:00:00Z') - duration('1s')", "timestamp overflow"),
    # ordering only within a family; bools, lists, maps, null are not ordered
    ("1 < 'a'", "no such overload: int < string"),
    ("'a' > 1.5", "no such overload: string > double"),
    ("true < 1", "no such overload: bool < int"),
    ("[1] < [2]", "no such overload: list < list"),
    ("{} <= {}", "no such overload: map <= map"),
    ("null < 1", "no such overload: null < int"),
    ("t < du", "no such overload: timestamp < duration"),
    ("b'a' < 'a'", "no such overload: bytes < string"),
    # logic: an error survives when the other side does not decide
    ("1 / 0 == 1 && true", "division by zero"),
    ("true && 1 / 0 == 1", "division by zero"),
    ("1 / 0 == 1 || false", "division by zero"),
    ("false || 1 / 0 == 1", "division by zero"),
    ("x.y && m.z", "unknown variable 'x'"),
    ("1 && true", "no such overload: int && bool"),
    ("true && 1", "no such overload: bool && int"),
    ("1 || false", "no such overload: int || bool"),
    ("false || 'a'", "no such overload: bool || string"),
    ("1 ? 2 : 3", "no such overload: int ? _ : _"),
    ("null ? 2 : 3", "no such overload: null ? _ : _"),
    # in
    ("1 in 1", "no such overload: int in int"),
    ("'a' in 'abc'", "no such overload: string in string"),
    ("i in [i, 1 / 0]", "division by zero"),
    # maps
    ("{'a': 1, 'a': 2}", "duplicate map key: 'a'"),
    ("{1: 'x', true: 'y'}", "duplicate map key: true"),
    ("{1.5: 1}", "unsupported map key type: double"),
    ("{null: 1}", "unsupported map key type: null"),
    # macros
    ("1.all(x, true)", "no such overload: int.all()"),
    ("'abc'.map(x, x)", "no such overload: string.map()"),
    ("n.exists(x, true)", "no such overload: null.exists()"),
    ("l.all(x, x)", "no such overload: all() predicate of type int"),
    ("l.exists(x, 'a')", "no such overload: exists() predicate of type string"),
    ("l.exists_one(x, 1)", "no such overload: exists_one() predicate of type int"),
    ("l.filter(x, null)", "no such overload: filter() predicate of type null"),
    ("l.map(x, x, x)", "no such overload: map() predicate of type int"),
    ("l.all(x, 1 / (x - 2) != 7)", "division by zero"),
    ("l.exists(x, 1 / (x - 2) == 7)", "division by zero"),
    ("l.exists_one(x, 1 / (x - 2) == 1)", "division by zero"),
    ("l.map(x, 1 / (x - 2))", "division by zero"),
    ("l.filter(x, 1 / (x - 2) == 1)", "division by zero"),
    # functions
    ("size(1)", "no such overload: size(int)"),
    ("1.size()", "no such overload: int.size()"),
    ("size(null)", "no such overload: size(null)"),
    ("i.contains('a')", "no such overload: int.contains(string)"),
    ("'a'.contains(1)", "no such overload: string.contains(int)"),
    ("contains(1, 'a')", "no such overload: contains(int, string)"),
    ("'a'.startsWith(null)", "no such overload: string.startsWith(null)"),
    ("'a'.endsWith(b'a')", "no such overload: string.endsWith(bytes)"),
    ("'a'.matches(1)", "no such overload: string.matches(int)"),
    ("l.lowerAscii()", "no such overload: list.lowerAscii()"),
    ("1.upperAscii()", "no such overload: int.upperAscii()"),
    ("1.trim()", "no such overload: int.trim()"),
    ("'a'.split(1)", "no such overload: string.split(int)"),
    ("[1, 2].join('-')", "no such overload: list.join(string)"),
    ("['a'].join(1)", "no such overload: list.join(int)"),
    ("'a'.join('-')", "no such overload: string.join(string)"),
    ("int(' 12')", "cannot convert ' 12' to int"),
    ("int('1_2')", "cannot convert '1_2' to int"),
    ("int('١٢')", "cannot convert '١٢' to int"),
    ("int('0x10')", "cannot convert '0x10' to int"),
    ("int('')", "cannot convert '' to int"),
    ("int('9223372036854775808')", "integer overflow"),
    ("int('99999999999999999999999999999')", "integer overflow"),
    ("int(1e19)", "integer overflow"),
    ("int(double('inf'))", "cannot convert Infinity to int"),
    ("int(double('nan'))", "cannot convert NaN to int"),
    ("int(null)", "no such overload: int(null)"),
    ("int(du)", "no such overload: int(duration)"),
    ("int([1])", "no such overload: int(list)"),
    ("uint(-1)", "unsigned integer overflow"),
    ("uint('18446744073709551616')", "unsigned integer overflow"),
    ("uint(true)", "no such overload: uint(bool)"),
    ("double('abc')", "cannot convert 'abc' to double"),
    ("double('1_0')", "cannot convert '1_0' to double"),
    ("double(' 1')", "cannot convert ' 1' to double"),
    ("double(true)", "no such overload: double(bool)"),
    ("string([1])", "no such overload: string(list)"),
    ("string({})", "no such overload: string(map)"),
    ("string(b'\\xff')", "invalid UTF-8 in bytes"),
    ("bool('yes')", "cannot convert 'yes' to bool"),
    ("bool(1)", "no such overload: bool(int)"),
    ("bytes(1)", "no such overload: bytes(int)"),
    ("timestamp('2024-13-01T00:00:00Z')", "invalid timestamp '2024-13-01T00:00:00Z'"),
    ("timestamp('2024-01-01')", "invalid timestamp '2024-01-01'"),
    ("timestamp('2024-01-01 00:00:00Z')", "invalid timestamp '2024-01-01 00:00:00Z'"),
    ("timestamp('2024-01-01T00:00:00')", "invalid timestamp '2024-01-01T00:00:00'"),
    ("timestamp('2024-01-01T00:00:60Z')", "invalid timestamp '2024-01-01T00:00:60Z'"),
    ("timestamp('0001-01-01T00:00:00+01:00')", "invalid timestamp '0001-01-01T00:00:00+01:00'"),
    ("timestamp(1e20)", "timestamp overflow"),
    ("timestamp(double('nan'))", "timestamp overflow"),
    ("timestamp(true)", "no such overload: timestamp(bool)"),
    ("timestamp(du)", "no such overload: timestamp(duration)"),
    ("duration('1x')", "invalid duration '1x'"),
    ("duration('1')", "invalid duration '1'"),
    ("duration('h')", "invalid duration 'h'"),
    ("duration('.s')", "invalid duration '.s'"),
    ("duration('1h 30m')", "invalid duration '1h 30m'"),
    ("duration('--1s')", "invalid duration '--1s'"),
    ("duration(1)", "no such overload: duration(int)"),
    ("duration(t)", "no such overload: duration(timestamp)"),
    ("getFullYear(1)", "no such overload: getFullYear(int)"),
    ("'a'.getMonth()", "no such overload: string.getMonth()"),
    ("'a'.matches('(')", "invalid regular expression '('"),
]

COMPILE_ERRORS: list[tuple[str, str]] = [
    ("foo(1)", "unknown function 'foo'"),
    ("l.foo()", "unknown function 'foo'"),
    ("type(1, 2)", "wrong number of arguments to 'type'"),
    ("size(1, 2)", "wrong number of arguments to 'size'"),
    ("size()", "wrong number of arguments to 'size'"),
    ("'a'.contains()", "wrong number of arguments to 'contains'"),
    ("l.size(1)", "wrong number of arguments to 'size'"),
    ("i.int()", "wrong number of arguments to 'int'"),
    ("int(1, 2)", "wrong number of arguments to 'int'"),
    ("t.getHours('Europe/Paris', 1)", "wrong number of arguments to 'getHours'"),
    ("[1].join('a', 'b')", "wrong number of arguments to 'join'"),
    ("T{a: 1}", "message construction is not supported"),
]


@pytest.mark.parametrize(("text", "expected"), VALUES, ids=[t for t, _ in VALUES])
def test_value(text: str, expected: Any) -> None:
    result = run(text)
    assert same(result, expected), (result, expected)


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[t for t, _ in ERRORS])
def test_error(text: str, message: str) -> None:
    assert error_of(text).startswith(message)


@pytest.mark.parametrize(("text", "message"), COMPILE_ERRORS, ids=[t for t, _ in COMPILE_ERRORS])
def test_compile_error(text: str, message: str) -> None:
    node = parse(text)
    with pytest.raises(CelEvaluationError, match="^" + message):
        compile_expression(node)
    # the checker rejects the same expressions
    scope: dict[str, Type] = {name: DYN for name in VARS}
    _, problems = celtypes.infer(node, scope, TypeEnv({}))
    assert problems


def test_the_example_from_the_brief() -> None:
    text = 'steps.pay.output.amount > 100 && input.region == "eu"'
    assert run(text) is True
    assert run(text, {**VARS, "input": {"region": "us"}}) is False
    assert error_of(text, {**VARS, "input": {}}) == "no such key: 'region'"
    assert run(text, {**VARS, "steps": {"pay": {"output": {"amount": 50}}}, "input": {}}) is False


def test_functions_match_the_checker() -> None:
    from eventual.cel.evaluate import _FUNCTIONS

    assert set(_FUNCTIONS) == set(celtypes.FUNCTIONS)
    for name, (receiver, arity, optional, _) in _FUNCTIONS.items():
        receiver_kinds, arg_kinds, _ = celtypes.FUNCTIONS[name]
        assert receiver == bool(receiver_kinds), name
        assert arity == len([k for k in arg_kinds if not k.endswith("?")]), name
        assert optional == len([k for k in arg_kinds if k.endswith("?")]), name


def test_error_type_and_message() -> None:
    with pytest.raises(CelEvaluationError) as info:
        evaluate("input.zip", {"input": {}})
    err = info.value
    assert str(err) == err.message == "no such key: 'zip'"
    assert err.expression == "input.zip"
    assert isinstance(err, Exception) and not isinstance(err, CelSyntaxError)


def test_evaluate_caches_and_raises_syntax_errors() -> None:
    assert evaluate("a + 1", {"a": 1}) == 2
    assert evaluate("a + 1", {"a": 2}) == 3
    with pytest.raises(CelSyntaxError):
        evaluate("a +", {"a": 1})


def test_variables_are_any_mapping_and_not_mutated() -> None:
    from types import MappingProxyType

    variables = {"l": [1, 2], "m": {"a": 1}}
    frozen = MappingProxyType(variables)
    assert run("l.map(x, x + m.a)", frozen) == [2, 3]  # type: ignore[arg-type]
    assert run("m.exists(k, k == 'a') && has(m.a)", frozen) is True  # type: ignore[arg-type]
    assert variables == {"l": [1, 2], "m": {"a": 1}}


def test_results_are_fresh_for_literals() -> None:
    evaluator = compile_expression(parse("[1, [2]]"))
    first = evaluator({})
    first[1].append(3)
    assert evaluator({}) == [1, [2]]


def test_values_outside_the_json_model() -> None:
    naive = datetime(2024, 1, 1)
    aware = datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    variables = {"naive": naive, "aware": aware, "st": {1, 2}, "tu": (1, 2), "big": 10**30}
    assert run("naive == aware", variables) is True  # naive timestamps are read as UTC
    assert run("naive < aware + duration('1s')", variables) is True
    assert run("string(aware)", variables) == "2024-01-01T00:00:00Z"
    assert run("aware.getHours()", variables) == 0
    assert run("naive - aware", variables) == timedelta(0)
    assert error_of("size(st)", variables) == "no such overload: size(set)"
    assert error_of("tu[0]", variables) == "no such overload: tuple[int]"
    assert error_of("big + 1", variables) == "integer overflow"
    assert run("big + 1.0", variables) == 1e30
    assert run("big > 1", variables) is True
    assert run("huge > 1.5 && tiny < 1.5", {"huge": 10**400, "tiny": -(10**400)}) is True
    assert error_of("int(big)", variables) == "integer overflow"
    assert run("double(big)", variables) == 1e30
    assert error_of("double(big * 1)", variables) == "integer overflow"
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(CelEvaluationError, match="nested too deeply"):
        run("a == b", {"a": deep, "b": deep})


def test_subclasses_of_json_types() -> None:
    from collections import OrderedDict
    from enum import IntEnum

    class Level(IntEnum):
        HIGH = 3

    variables = {"lvl": Level.HIGH, "od": OrderedDict(a=1)}
    assert run("lvl + 1", variables) == 4
    assert run("lvl == 3 && lvl > 2 && string(lvl) == '3'", variables) is True
    assert run("od.a == 1 && has(od.a) && 'a' in od && od == {'a': 1}", variables) is True


def test_concurrent_macros_do_not_share_state() -> None:
    evaluator = compile_expression(parse("l.map(x, l.map(y, x * y + n))"))
    failures: list[Any] = []

    def work(n: int) -> None:
        for _ in range(200):
            got = evaluator({"l": [1, 2, 3], "n": n})
            if got != [[x * y + n for y in (1, 2, 3)] for x in (1, 2, 3)]:
                failures.append(got)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_equals_helper() -> None:
    assert equals(1, 1.0) and not equals(True, 1) and not equals([True], [1])
    assert equals({"a": [1]}, {"a": [1.0]}) and not equals({1: "a"}, {True: "a"})
    assert kind_of(None) == "null" and kind_of(1.0) == "double" and kind_of(T0) == "timestamp"


# --- robustness: random expressions over random values -------------------------------------

FUNCTION_NAMES = sorted(celtypes.FUNCTIONS)
RECEIVER_FUNCTIONS = [name for name in FUNCTION_NAMES if celtypes.FUNCTIONS[name][0]]


def _arity(name: str) -> int:
    return len(celtypes.FUNCTIONS[name][1])


def _receiver(name: str) -> int:
    return 1 if celtypes.FUNCTIONS[name][0] else 0


NAMES = ["a", "b", "c"]
FIELDS = ["x", "y", "f"]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, -1, INT_MAX, INT_MIN, 2**64]),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["", "a", "1", "1.5", "true", "1h", "2024-01-01T00:00:00Z", "(", "x"]),
    st.binary(max_size=4),
    st.datetimes(timezones=st.just(UTC)),
    st.timedeltas(),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*FIELDS, "z"]), inner, max_size=4),
    ),
    max_leaves=12,
)

LITERALS = st.sampled_from(
    [
        "0", "1", "-1", "2", "9223372036854775807", "-9223372036854775808", "18446744073709551615u",
        "0.0", "1.5", "-2.5", "1e308", "'a'", "''", "'x'", "'1'", "'1h'", "'2024-01-01T00:00:00Z'",
        "b'a'", "true", "false", "null", "[]", "{}", "duration('1h')", "timestamp(0)",
    ]
)  # fmt: skip
BINARY_OPS = ["&&", "||", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"]
MACROS = ["all", "exists", "exists_one", "filter", "map"]


def _any_expr(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def extend(sub: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(["-", "!"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(sub, st.sampled_from(BINARY_OPS), sub).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(sub, sub, sub).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            st.tuples(sub, st.sampled_from(FIELDS)).map(lambda t: f"({t[0]}).{t[1]}"),
            st.tuples(sub, st.sampled_from(FIELDS)).map(lambda t: f"has(({t[0]}).{t[1]})"),
            st.tuples(sub, sub).map(lambda t: f"({t[0]})[{t[1]}]"),
            st.tuples(st.sampled_from(FUNCTION_NAMES), st.lists(sub, min_size=1, max_size=2)).map(
                lambda t: f"{t[0]}({', '.join(t[1][: _arity(t[0]) + _receiver(t[0])])})"
            ),
            st.tuples(sub, st.sampled_from(RECEIVER_FUNCTIONS), st.lists(sub, max_size=1)).map(
                lambda t: f"({t[0]}).{t[1]}({', '.join(t[2][: _arity(t[1])])})"
            ),
            st.tuples(sub, st.sampled_from(MACROS), sub).map(
                lambda t: f"({t[0]}).{t[1]}(v, {t[2]})"
            ),
            st.tuples(sub, sub, sub).map(lambda t: f"({t[0]}).map(v, {t[1]}, {t[2]})"),
            st.lists(sub, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
            st.lists(st.tuples(sub, sub), max_size=2).map(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
            ),
        )

    return st.recursive(leaves, extend, max_leaves=10)


RANDOM_EXPRESSIONS = _any_expr(st.one_of(LITERALS, st.sampled_from([*NAMES, "v"])))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=RANDOM_EXPRESSIONS, values=st.fixed_dictionaries({n: JSON_VALUES for n in NAMES}))
def test_random_expressions_raise_only_cel_errors(text: str, values: dict[str, Any]) -> None:
    node = parse(text)
    try:
        evaluator = compile_expression(node)
    except CelEvaluationError as err:
        assert str(err).startswith(("unknown function", "wrong number of arguments"))
        return
    try:
        result = evaluator(values)
    except CelEvaluationError as err:
        # The catch-all for values outside the model must not be what handled JSON values.
        assert not str(err).startswith("evaluation failed"), str(err)
        return
    assert _in_model(result), result


def _in_model(value: Any) -> bool:
    kind = kind_of(value)
    if kind == "list":
        return all(_in_model(v) for v in value)
    if kind == "map":
        return all(
            kind_of(k) in ("string", "int", "uint", "bool") and _in_model(v)
            for k, v in value.items()
        )
    return kind in (
        "null", "bool", "int", "uint", "double", "string", "bytes", "timestamp", "duration",
        "type",
    )  # fmt: skip


# --- agreement with the checker ---------------------------------------------------------------
# Well-typed random expressions over a typed scope: when the checker reports no problem,
# evaluation may fail (missing keys, division by zero, overflow, bad conversions) but never
# with a type error.

TYPE_ERRORS = ("no such overload", "cannot select field", "unsupported map key type")

INPUT_TYPE = Object(
    (
        ("i", INT), ("j", INT), ("d", DOUBLE), ("e", DOUBLE), ("s", STRING), ("u", STRING),
        ("b", BOOL), ("c", BOOL), ("li", ListOf(INT)), ("ls", ListOf(STRING)),
        ("m", MapOf(INT)), ("o", Object((("x", INT), ("y", STRING)), frozenset({"x", "y"}))),
        ("raw", BYTES),
    ),
    frozenset({"i", "j", "d", "e", "s", "u", "b", "c", "li", "ls", "m", "o", "raw"}),
)  # fmt: skip
SCOPE = {"input": INPUT_TYPE, "now": TIMESTAMP, "wait": DURATION}

SMALL_INTS = st.one_of(st.integers(-3, 3), st.integers(INT_MIN, INT_MAX))
KEYS = st.sampled_from(["a", "b", "k"])
TYPED_VALUES = st.fixed_dictionaries(
    {
        "input": st.fixed_dictionaries(
            {
                "i": SMALL_INTS, "j": SMALL_INTS, "d": st.floats(), "e": st.floats(-5, 5),
                "s": st.text(max_size=5), "u": st.sampled_from(["a", "1", "1.5", "true", "1h",
                "2024-01-01T00:00:00Z", "ab,c", "A b"]), "b": st.booleans(), "c": st.booleans(),
                "li": st.lists(SMALL_INTS, max_size=4), "ls": st.lists(st.text(max_size=3), max_size=4),
                "m": st.dictionaries(KEYS, SMALL_INTS, max_size=3),
                "o": st.fixed_dictionaries({"x": SMALL_INTS, "y": st.text(max_size=3)}),
                "raw": st.binary(max_size=4),
            }
        ),
        "now": st.datetimes(timezones=st.just(UTC)),
        "wait": st.timedeltas(min_value=timedelta(days=-9999), max_value=timedelta(days=9999)),
    }
)  # fmt: skip


class Gen:
    """Draws a CEL expression of a wanted type; macro variables are in ``bound``."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.fresh = 0

    def pick(self, options: list[Any]) -> Any:
        return self.data.draw(st.sampled_from(options))

    def expr(self, t: str, depth: int, bound: dict[str, str]) -> str:
        leaves = self.leaves(t, bound)
        if depth <= 0 or not self.data.draw(st.integers(0, 2)):
            return str(self.pick(leaves))
        maker = self.pick(self.makers(t))
        return str(maker(depth - 1, bound))

    def leaves(self, t: str, bound: dict[str, str]) -> list[str]:
        names = [name for name, kind in bound.items() if kind == t]
        return names + LEAVES[t]

    def var(self) -> str:
        self.fresh += 1
        return f"v{self.fresh}"

    def makers(self, t: str) -> list[Any]:
        e = self.expr
        cond = [lambda d, b: f"({e('bool', d, b)} ? {e(t, d, b)} : {e(t, d, b)})"]
        numeric = {
            "int": [
                lambda d, b: (
                    f"({e('int', d, b)} {self.pick(['+', '-', '*', '/', '%'])} {e('int', d, b)})"
                ),
                lambda d, b: f"-({e('int', d, b)})",
                lambda d, b: (
                    f"size({e(self.pick(['string', 'list_int', 'list_string', 'map_int', 'bytes']), d, b)})"
                ),
                lambda d, b: f"{e(self.pick(['list_int']), d, b)}[{e('int', d, b)}]",
                lambda d, b: (
                    f"int({e(self.pick(['int', 'double', 'string', 'bool', 'timestamp']), d, b)})"
                ),
                lambda d, b: f"uint({e(self.pick(['int', 'double', 'string']), d, b)})",
                lambda d, b: f"{e('map_int', d, b)}.{self.pick(['a', 'b', 'k'])}",
                lambda d, b: f"{e('map_int', d, b)}[{e('string', d, b)}]",
                lambda d, b: f"{e('timestamp', d, b)}.{self.pick(list(celtypes._TIME_PARTS))}()",
                lambda d, b: (
                    f"{e('timestamp', d, b)}.{self.pick(list(celtypes._TIME_PARTS))}({self.zone()})"
                ),
                lambda d, b: f"{e('duration', d, b)}.{self.pick(list(celtypes._DURATION_PARTS))}()",
                lambda d, b: (
                    f"{e('string', d, b)}.{self.pick(['indexOf', 'lastIndexOf'])}"
                    f"({e('string', d, b)}{self.optional('int', d, b)})"
                ),
                lambda d, b: f"int({e('int', d, b)} > 0 ? 1u : uint({e('int', d, b)}) * 2u)",
            ],
            "double": [
                lambda d, b: (
                    f"({e(self.pick(['int', 'double']), d, b)} {self.pick(['+', '-', '*', '/'])} {e('double', d, b)})"
                ),
                lambda d, b: (
                    f"({e('double', d, b)} {self.pick(['+', '-', '*', '/'])} {e(self.pick(['int', 'double']), d, b)})"
                ),
                lambda d, b: f"-({e('double', d, b)})",
                lambda d, b: f"double({e(self.pick(['int', 'double', 'string']), d, b)})",
            ],
        }
        table: dict[str, list[Any]] = {
            **numeric,
            "string": [
                lambda d, b: f"({e('string', d, b)} + {e('string', d, b)})",
                lambda d, b: (
                    f"string({e(self.pick(['int', 'double', 'string', 'bool', 'bytes', 'timestamp', 'duration']), d, b)})"
                ),
                lambda d, b: (
                    f"{e('string', d, b)}.{self.pick(['lowerAscii', 'upperAscii', 'trim'])}()"
                ),
                lambda d, b: f"{e('list_string', d, b)}.join({e('string', d, b)})",
                lambda d, b: f"{e('list_string', d, b)}.join()",
                lambda d, b: (
                    f"{e('string', d, b)}.replace({e('string', d, b)}, {e('string', d, b)}"
                    f"{self.optional('int', d, b)})"
                ),
                lambda d, b: (
                    f"{e('string', d, b)}.substring({e('int', d, b)}{self.optional('int', d, b)})"
                ),
                lambda d, b: f"{e('string', d, b)}.charAt({e('int', d, b)})",
                lambda d, b: f"{e('string', d, b)}.reverse()",
                lambda d, b: f"strings.quote({e('string', d, b)})",
                lambda d, b: (
                    f"{self.pick(['%s', '%d-%s', '%.2f', '%x', '%%%b', '%e', '%o'])!r}"
                    f".format([{e(self.pick(TYPES), d, b)}, {e(self.pick(TYPES), d, b)}])"
                ),
                lambda d, b: f"{e('list_string', d, b)}[{e('int', d, b)}]",
                lambda d, b: f"{{'k': {e('string', d, b)}}}.k",
            ],
            "bool": [
                lambda d, b: f"({e('bool', d, b)} {self.pick(['&&', '||'])} {e('bool', d, b)})",
                lambda d, b: f"!({e('bool', d, b)})",
                lambda d, b: self.comparison(d, b),
                lambda d, b: f"({e('int', d, b)} in {e('list_int', d, b)})",
                lambda d, b: (
                    f"({e('string', d, b)} in {e(self.pick(['list_string', 'map_int']), d, b)})"
                ),
                lambda d, b: (
                    f"{e('string', d, b)}.{self.pick(['contains', 'startsWith', 'endsWith'])}({e('string', d, b)})"
                ),
                lambda d, b: f"{e('string', d, b)}.matches({self.pick(LEAVES['pattern'])})",
                lambda d, b: (
                    f"has({self.pick(['input.o', 'input.m', 'input'])}.{self.pick(['x', 'a', 'li'])})"
                ),
                lambda d, b: f"bool({e(self.pick(['bool', 'string']), d, b)})",
                lambda d, b: (
                    f"type({e(self.pick(TYPES), d, b)}) == "
                    f"{self.pick(['int', 'string', 'list', 'google.protobuf.Timestamp', 'type'])}"
                ),
                lambda d, b: (
                    f"({e('bool', d, b)} {self.pick(['<', '<=', '>='])} {e('bool', d, b)})"
                ),
                lambda d, b: self.macro("bool", d, b),
            ],
            "list_int": [
                lambda d, b: f"[{e('int', d, b)}, {e('int', d, b)}]",
                lambda d, b: f"({e('list_int', d, b)} + {e('list_int', d, b)})",
                lambda d, b: self.macro("list_int", d, b),
            ],
            "list_string": [
                lambda d, b: f"[{e('string', d, b)}]",
                lambda d, b: f"{e('string', d, b)}.split({e('string', d, b)})",
                lambda d, b: f"{e('string', d, b)}.split({e('string', d, b)}, {e('int', d, b)})",
                lambda d, b: self.macro("list_string", d, b),
            ],
            "map_int": [lambda d, b: f"{{'a': {e('int', d, b)}, 'k': {e('int', d, b)}}}"],
            "timestamp": [
                lambda d, b: (
                    f"({e('timestamp', d, b)} {self.pick(['+', '-'])} {e('duration', d, b)})"
                ),
                lambda d, b: f"({e('duration', d, b)} + {e('timestamp', d, b)})",
                lambda d, b: (
                    f"timestamp({e(self.pick(['string', 'int', 'double', 'timestamp']), d, b)})"
                ),
            ],
            "duration": [
                lambda d, b: (
                    f"({e('duration', d, b)} {self.pick(['+', '-'])} {e('duration', d, b)})"
                ),
                lambda d, b: f"({e('timestamp', d, b)} - {e('timestamp', d, b)})",
                lambda d, b: f"-({e('duration', d, b)})",
                lambda d, b: f"duration({e(self.pick(['string', 'duration']), d, b)})",
            ],
            "bytes": [
                lambda d, b: f"({e('bytes', d, b)} + {e('bytes', d, b)})",
                lambda d, b: f"bytes({e(self.pick(['string', 'bytes']), d, b)})",
            ],
        }
        return table[t] + cond

    def optional(self, t: str, d: int, b: dict[str, str]) -> str:
        """Nothing, or an optional argument of type ``t`` (with its comma)."""
        return "" if self.data.draw(st.booleans()) else f", {self.expr(t, d, b)}"

    def zone(self) -> str:
        return str(self.pick(["'UTC'", "'+01:00'", "'-09:30'", "'Europe/Paris'", "input.u"]))

    def comparison(self, d: int, b: dict[str, str]) -> str:
        family = self.pick(["number", "string", "timestamp", "duration", "bytes", "any"])
        if family == "number":
            left, right = self.pick(["int", "double"]), self.pick(["int", "double"])
        elif family == "any":
            left = right = self.pick(["bool", "list_int", "list_string", "map_int", "string"])
            op = self.pick(["==", "!="])
            return f"({self.expr(left, d, b)} {op} {self.expr(right, d, b)})"
        else:
            left = right = family
        op = self.pick(["==", "!=", "<", "<=", ">", ">="])
        return f"({self.expr(left, d, b)} {op} {self.expr(right, d, b)})"

    def macro(self, result: str, d: int, b: dict[str, str]) -> str:
        source = self.pick(["list_int", "list_string", "map_int"])
        item = {"list_int": "int", "list_string": "string", "map_int": "string"}[source]
        var = self.var()
        inner = {**b, var: item}
        target = self.expr(source, d, b)
        if result == "bool":
            name = self.pick(["all", "exists", "exists_one"])
            return f"{target}.{name}({var}, {self.expr('bool', d, inner)})"
        element = result.removeprefix("list_")
        if source != "map_int" and item == element and self.data.draw(st.booleans()):
            return f"{target}.filter({var}, {self.expr('bool', d, inner)})"
        if self.data.draw(st.booleans()):
            return f"{target}.map({var}, {self.expr(element, d, inner)})"
        return f"{target}.map({var}, {self.expr('bool', d, inner)}, {self.expr(element, d, inner)})"


LEAVES: dict[str, list[str]] = {
    "int": ["input.i", "input.j", "input.o.x", "0", "1", "-2", "7", "9223372036854775807", "3u"],
    "double": ["input.d", "input.e", "0.0", "1.5", "-2.25", "1e300"],
    "string": ["input.s", "input.u", "input.o.y", "'a'", "''", "'1h'", "'12'", "'2024-01-01T00:00:00Z'", "','"],
    "bool": ["input.b", "input.c", "true", "false"],
    "list_int": ["input.li", "[1, 2, 3]", "[0]"],
    "list_string": ["input.ls", "['a', 'b']", "['']"],
    "map_int": ["input.m", "{'a': 1}"],
    "timestamp": ["now", "timestamp('2024-01-01T00:00:00Z')"],
    "duration": ["wait", "duration('1h30m')", "duration('-1.5s')"],
    "bytes": ["input.raw", "b'a'", "bytes('é')"],
    "pattern": ["'a'", "'^[0-9]+$'", "input.u", "'('"],
}  # fmt: skip
TYPES = [t for t in LEAVES if t != "pattern"]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), values=TYPED_VALUES)
def test_checked_expressions_have_no_type_errors(
    data: st.DataObject, values: dict[str, Any]
) -> None:
    gen = Gen(data)
    text = gen.expr(data.draw(st.sampled_from(TYPES)), 4, {})
    node = parse(text)
    _, problems = celtypes.infer(node, dict(SCOPE), TypeEnv({}))
    if problems:
        return
    try:
        compile_expression(node)(values)
    except CelEvaluationError as err:
        assert not str(err).startswith(TYPE_ERRORS), (text, str(err))


# Expressions the checker accepts but that fail at run time with a type error: the checker
# is more lenient than CEL here (reported, not papered over). When either side changes, this
# test fails: then drop the entry.
KNOWN_DISAGREEMENTS: list[tuple[str, dict[str, Any]]] = [
    # map literal keys: the checker does not check key types (CEL: int, uint, bool, string)
    ("{input.d: 1}", {"input": {"d": 1.5}}),
    # a null literal or nullable operand passes where a number is needed
    ("null < 1", {}),
    ("(input.b ? 1 : null) + 1", {"input": {"b": False}}),
    # unions of different families are not checked by ordering
    ("(input.b ? 1 : 'a') < 2", {"input": {"b": False}}),
    ("[1, 'a'][1] < 2", {}),
]


@pytest.mark.parametrize("text", ["input.li.join(',')", "input.m.filter(k, true)['a']"])
def test_former_disagreements_are_rejected_by_the_checker(text: str) -> None:
    _, problems = celtypes.infer(parse(text), dict(SCOPE), TypeEnv({}))
    assert problems


@pytest.mark.parametrize(
    ("text", "values"), KNOWN_DISAGREEMENTS, ids=[t for t, _ in KNOWN_DISAGREEMENTS]
)
def test_known_disagreements(text: str, values: dict[str, Any]) -> None:
    node = parse(text)
    _, problems = celtypes.infer(node, dict(SCOPE), TypeEnv({}))
    assert not problems, problems
    with pytest.raises(CelEvaluationError) as info:
        compile_expression(node)(values)
    assert str(info.value).startswith(TYPE_ERRORS)
