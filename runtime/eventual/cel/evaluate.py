"""Evaluate CEL expressions over JSON-like values.

``compile_expression(node)`` turns a parsed expression (``eventual.cel.parse``) into an
``Evaluator``: a tree of closures built once, so that evaluating it does no dispatch on node
types. ``evaluator(variables)`` looks names up in ``variables`` and returns the value, or
raises ``CelEvaluationError`` (its ``str`` is a short user-facing message) and nothing else,
whatever the values. ``evaluate(text, variables)`` parses, compiles (cached) and evaluates.

Values are JSON-like: None, bool, int, float, str, bytes, list, dict, plus aware ``datetime``
for timestamps (naive ones are read as UTC) and ``timedelta`` for durations. Results may
share structure with the variables (``input.items`` is the very list in ``input``); callers
must not mutate them. Values outside this model give ``no such overload`` errors, or, where
Python itself fails on them, ``evaluation failed: ...``; never another exception.

Semantics are CEL's (https://github.com/google/cel-spec/blob/master/doc/langdef.md) as the
compiler's type checker (``eventualc.celtypes``) reads them, so that an expression means the
same at build time and at run time; the same operators, functions and macros exist:
- int and double mix in arithmetic and comparisons (JSON numbers); ``/`` on two ints
  truncates toward zero, ``%`` takes the sign of the dividend and needs two ints; int results
  outside signed 64 bits, and division or modulo by zero (double too), are errors. ``uint``
  values are plain ints.
- ``==``/``!=`` compare any two values (different types are unequal, ``1 == 1.0``, ``true !=
  1``); ``<``... order numbers, strings, bytes, timestamps and durations, each among its own
  (bools, lists and maps are not ordered).
- ``&&``/``||`` are commutative: an error (or non-bool) on one side is absorbed when the other
  side decides the result; ``all``/``exists`` absorb errors the same way.
- selecting a missing map key is an error (``no such key: 'x'``); ``has(a.b)`` tests it.
- ``filter`` and ``map`` over a map iterate its keys and return lists (as CEL does).
- conversions follow CEL; ``string(double)`` and ``string(x)`` interpolated in a template
  agree (``2.0``, ``1e+16``, ``NaN``, ``Infinity``); timestamps read and print RFC 3339 (UTC
  ``Z``), durations CEL's ``1h30m``/``1.5s`` syntax, kept to microseconds.
- timestamp accessors (``getHours()``...) are in UTC; the time-zone argument is not
  supported (the checker does not accept it either).
- ``matches`` is Python's ``re.search``, not RE2: the syntax differs at the edges
  (backreferences and lookaround are accepted) and patterns are not linear-time.
- map literal keys may be strings, ints and bools (as CEL); ``true`` and ``1`` cannot both
  be keys of one map (a Python dict cannot keep them apart).
- ``.x`` (a root-scoped name) reads ``x`` like the checker does, even inside a macro whose
  variable is also ``x``.

Compiling raises ``CelEvaluationError`` only for expressions no value can make valid
(unknown function, wrong number of arguments, message construction): the checker rejects
those too. Anything the checker accepts compiles, and fails, if at all, when evaluated.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NoReturn

from . import nodes as n
from .parser import parse

__all__ = [
    "CelEvaluationError",
    "Evaluator",
    "compile_expression",
    "equals",
    "evaluate",
    "format_double",
    "format_duration",
    "format_timestamp",
    "kind_of",
]

Vars = Mapping[str, Any]
Evaluator = Callable[[Vars], Any]


class CelEvaluationError(Exception):
    """An expression could not be evaluated; ``str(err)`` is the short message.

    ``expression`` is the source text of the failing expression when known (set by
    ``evaluate`` and by template renderers), else None.
    """

    message: str
    expression: str | None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.expression = None


INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
UINT_MAX = 2**64 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MISSING: Any = object()
_INF = float("inf")

# --- kinds -----------------------------------------------------------------------------

_KIND_OF: dict[type, str] = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "double",
    str: "string",
    bytes: "bytes",
    list: "list",
    dict: "map",
    datetime: "timestamp",
    timedelta: "duration",
}
# For subclasses (IntEnum, OrderedDict...) and other mappings; bool before int.
_KIND_BY_CLASS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),
    (int, "int"),
    (float, "double"),
    (str, "string"),
    (bytes, "bytes"),
    (list, "list"),
    (Mapping, "map"),
    (datetime, "timestamp"),
    (timedelta, "duration"),
)
_NUMBERS = frozenset({"int", "double"})
_ORDERED = frozenset({"string", "bytes", "duration"})  # timestamps: see _order_slow
# Types whose Python == is CEL's == when both sides have the same type.
_EQ_FAST = frozenset({str, int, float, bool, type(None), bytes, timedelta})


def kind_of(value: Any) -> str:
    """The CEL type name of a value: null bool int double string bytes list map timestamp
    duration, or the Python type name for anything outside the JSON-like model."""
    found = _KIND_OF.get(type(value))
    if found is not None:
        return found
    for cls, name in _KIND_BY_CLASS:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _fail(message: str) -> NoReturn:
    raise CelEvaluationError(message)


def _overload(text: str) -> CelEvaluationError:
    return CelEvaluationError(f"no such overload: {text}")


def _show(value: Any) -> str:
    """A key or value as it appears in a message: strings quoted, others as CEL prints."""
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    return repr(value) if isinstance(value, int | float) else kind_of(value)


# --- equality and maps -------------------------------------------------------------------


def equals(a: Any, b: Any) -> bool:
    """CEL's heterogeneous ``==``: numbers compare by value, other kinds only among their own."""
    ta = type(a)
    if ta is type(b) and ta in _EQ_FAST:
        return bool(a == b)
    return _eq_slow(a, b)


def _eq_slow(a: Any, b: Any) -> bool:
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb:
        return ka in _NUMBERS and kb in _NUMBERS and bool(a == b)
    if ka == "list":
        return len(a) == len(b) and all(map(equals, a, b))
    if ka == "map":
        if len(a) != len(b):
            return False
        for key, value in a.items():
            other = _map_find(b, key)
            if other is _MISSING or not equals(value, other):
                return False
        return True
    if ka == "timestamp":
        return bool(_aware(a) == _aware(b))
    return bool(a == b)


def _map_find(mapping: Any, key: Any) -> Any:
    """The value under a CEL-equal key, or _MISSING (also for keys no map can hold)."""
    if type(key) is str:
        return mapping.get(key, _MISSING)
    kind = kind_of(key)
    if kind == "double":
        if not key.is_integer():
            return _MISSING
        key, kind = int(key), "int"
    if kind == "string":
        return mapping.get(key, _MISSING)
    if kind not in ("int", "bool") or mapping.get(key, _MISSING) is _MISSING:
        return _MISSING
    # Python takes True for 1 and 1.0 for 1; CEL keys match only within their kind.
    for stored in mapping:
        if kind_of(stored) == kind and stored == key:
            return mapping[stored]
    return _MISSING


# --- timestamps and durations ------------------------------------------------------------


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is UTC:
        return ts
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        _fail("timestamp overflow")


def format_timestamp(ts: datetime) -> str:
    """RFC 3339 in UTC with 'Z', fractional seconds only as needed: ``2024-01-01T00:00:00Z``."""
    t = _utc(ts)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += "." + f"{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def _micros(d: timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def format_duration(d: timedelta) -> str:
    """CEL's form: seconds with the fraction needed, ``3600s``, ``1.5s``, ``-0.000001s``."""
    total = _micros(d)
    seconds, fraction = divmod(abs(total), 1_000_000)
    text = f"{'-' if total < 0 else ''}{seconds}"
    if fraction:
        text += "." + f"{fraction:06d}".rstrip("0")
    return text + "s"


def format_double(x: float) -> str:
    """As JSON writes doubles (Python's shortest repr): ``2.0``, ``1e+16``, ``NaN``."""
    if x != x:
        return "NaN"
    if x in (_INF, -_INF):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(float(x))


# Patterns are compiled on first use (by re's cache), keeping them out of import time.
_TIMESTAMP_RE = (
    r"(?a)([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def _parse_timestamp(text: str) -> datetime:
    m = re.fullmatch(_TIMESTAMP_RE, text)
    if m is None:
        _fail(f"invalid timestamp {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "").ljust(6, "0")[:6])
    offset = timedelta()
    if not m.group(8):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, micro, timezone(offset))
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        _fail(f"invalid timestamp {text!r}")


_DURATION_UNITS = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1000,
    "\u00b5s": 1000,
    "\u03bcs": 1000,
    "ns": 1,
}
_DURATION_PART = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:h|ms|m|s|us|\u00b5s|\u03bcs|ns)"
_DURATION_RE = rf"(?a)([-+]?)((?:{_DURATION_PART})+|0)"
_DURATION_PARTS_RE = r"([0-9]*)(?:\.([0-9]*))?([^0-9.]+)"


def _parse_duration(text: str) -> timedelta:
    """CEL (Go) duration syntax, ``-1.5h``, ``1h30m``, ``500ms``, rounded to microseconds."""
    m = re.fullmatch(_DURATION_RE, text)
    if m is None or len(text) > 200:
        _fail(f"invalid duration {text!r}")
    nanos = 0
    for whole, fraction, unit in re.findall(_DURATION_PARTS_RE, m.group(2)):
        size = _DURATION_UNITS[unit]
        nanos += int(whole or "0") * size
        if fraction:
            nanos += int(fraction) * size // 10 ** len(fraction)
    micros, rest = divmod(nanos, 1000)
    micros += rest >= 500
    try:
        return timedelta(microseconds=-micros if m.group(1) == "-" else micros)
    except OverflowError:
        _fail("duration overflow")


# --- arithmetic ---------------------------------------------------------------------------


def _int_result(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    _fail("integer overflow")


def _div_int(a: int, b: int) -> int:
    if b == 0:
        _fail("division by zero")
    quotient = abs(a) // abs(b)
    return _int_result(-quotient if (a < 0) != (b < 0) else quotient)


def _mod_int(a: int, b: int) -> int:
    if b == 0:
        _fail("modulo by zero")
    rest = abs(a) % abs(b)
    return -rest if a < 0 else rest


def _div_double(a: float, b: float) -> float:
    if b == 0:
        _fail("division by zero")
    return a / b


def _double_op(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        try:
            return op(float(a), float(b))
        except OverflowError:
            _fail("double overflow")

    return apply


def _int_op(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        return _int_result(op(int(a), int(b)))

    return apply


def _time_op(op: Callable[[Any, Any], Any], what: str) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if isinstance(a, datetime):
            a = _aware(a)
        if isinstance(b, datetime):
            b = _aware(b)
        try:
            return op(a, b)
        except OverflowError:
            _fail(f"{what} overflow")

    return apply


_ARITHMETIC: dict[tuple[str, str, str], Callable[[Any, Any], Any]] = {
    ("+", "int", "int"): _int_op(operator.add),
    ("-", "int", "int"): _int_op(operator.sub),
    ("*", "int", "int"): _int_op(operator.mul),
    ("/", "int", "int"): lambda a, b: _div_int(int(a), int(b)),
    ("%", "int", "int"): lambda a, b: _mod_int(int(a), int(b)),
    **{
        (op, ka, kb): _double_op(fn)
        for op, fn in (("+", operator.add), ("-", operator.sub), ("*", operator.mul))
        for ka, kb in (("int", "double"), ("double", "int"), ("double", "double"))
    },
    **{
        ("/", ka, kb): _double_op(_div_double)
        for ka, kb in (("int", "double"), ("double", "int"), ("double", "double"))
    },
    ("+", "string", "string"): lambda a, b: str(a) + str(b),
    ("+", "bytes", "bytes"): lambda a, b: bytes(a) + bytes(b),
    ("+", "list", "list"): lambda a, b: [*a, *b],
    ("+", "timestamp", "duration"): _time_op(operator.add, "timestamp"),
    ("+", "duration", "timestamp"): _time_op(operator.add, "timestamp"),
    ("+", "duration", "duration"): _time_op(operator.add, "duration"),
    ("-", "timestamp", "timestamp"): _time_op(operator.sub, "duration"),
    ("-", "timestamp", "duration"): _time_op(operator.sub, "timestamp"),
    ("-", "duration", "duration"): _time_op(operator.sub, "duration"),
}


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    ka, kb = kind_of(a), kind_of(b)
    apply = _ARITHMETIC.get((op, ka, kb))
    if apply is None:
        raise _overload(f"{ka} {op} {kb}")
    return apply(a, b)


def _order_slow(op: str, compare: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    ka, kb = kind_of(a), kind_of(b)
    if (ka in _NUMBERS and kb in _NUMBERS) or (ka == kb and ka in _ORDERED):
        return bool(compare(a, b))
    if ka == kb == "timestamp":
        return bool(compare(_aware(a), _aware(b)))
    raise _overload(f"{ka} {op} {kb}")


def _contains(op: str, item: Any, container: Any) -> bool:
    tc = type(container)
    if tc is list or (tc is not dict and kind_of(container) == "list"):
        if type(item) is str:
            return item in container
        return any(equals(item, x) for x in container)
    if tc is dict or kind_of(container) == "map":
        return _map_find(container, item) is not _MISSING
    raise _overload(f"{kind_of(item)} {op} {kind_of(container)}")


# --- functions ------------------------------------------------------------------------------


class _Mismatch(Exception):
    """Raised by a function implementation for argument types it has no overload for."""


def _str_args(*args: Any) -> None:
    for arg in args:
        if not isinstance(arg, str):
            raise _Mismatch


def _size(x: Any) -> int:
    if isinstance(x, str | bytes | list | Mapping):
        return len(x)
    raise _Mismatch


def _has_substring(s: Any, sub: Any) -> bool:
    _str_args(s, sub)
    return sub in s


def _starts_with(s: Any, prefix: Any) -> bool:
    _str_args(s, prefix)
    return bool(s.startswith(prefix))


def _ends_with(s: Any, suffix: Any) -> bool:
    _str_args(s, suffix)
    return bool(s.endswith(suffix))


def _matches(s: Any, pattern: Any) -> bool:
    _str_args(s, pattern)
    try:
        return re.search(pattern, s) is not None
    except (re.error, RecursionError, OverflowError, ValueError) as err:
        _fail(f"invalid regular expression {pattern!r}: {err}")


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c + 32: c for c in range(ord("A"), ord("Z") + 1)}
# Unicode White_Space, as cel-go's trim (strings.TrimSpace) strips.
_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _lower_ascii(s: Any) -> str:
    _str_args(s)
    return str(s.lower() if s.isascii() else s.translate(_LOWER))


def _upper_ascii(s: Any) -> str:
    _str_args(s)
    return str(s.upper() if s.isascii() else s.translate(_UPPER))


def _trim(s: Any) -> str:
    _str_args(s)
    return str(s.strip(_WHITESPACE))


def _split(s: Any, separator: Any) -> list[str]:
    _str_args(s, separator)
    return list(s) if separator == "" else [str(p) for p in s.split(separator)]


def _join(items: Any, separator: Any) -> str:
    if kind_of(items) != "list":
        raise _Mismatch
    _str_args(separator, *items)
    return str(separator).join(items)


_INT_RE = r"(?a)[-+]?[0-9]+"
_DOUBLE_RE = r"(?ai)[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf|infinity|nan)"


def _parse_int(text: str) -> int:
    if re.fullmatch(_INT_RE, text) is None:
        _fail(f"cannot convert {text!r} to int")
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 20:
        _fail("integer overflow")
    return -int(digits or "0") if text.startswith("-") else int(digits or "0")


def _double_to_int(x: float) -> int:
    if x != x or x in (_INF, -_INF):
        _fail(f"cannot convert {format_double(x)} to int")
    return int(x)


def _to_int(x: Any) -> int:
    kind = kind_of(x)
    if kind in ("int", "bool"):
        return _int_result(int(x))
    if kind == "double":
        return _int_result(_double_to_int(x))
    if kind == "string":
        return _int_result(_parse_int(x))
    if kind == "timestamp":
        return _int_result((_aware(x) - _EPOCH) // _SECOND)
    raise _Mismatch


def _to_uint(x: Any) -> int:
    kind = kind_of(x)
    if kind == "int":
        value = int(x)
    elif kind == "double":
        value = _double_to_int(x)
    elif kind == "string":
        value = _parse_int(x)
    else:
        raise _Mismatch
    if 0 <= value <= UINT_MAX:
        return value
    _fail("unsigned integer overflow")


def _to_double(x: Any) -> float:
    kind = kind_of(x)
    if kind in _NUMBERS:
        try:
            return float(x)
        except OverflowError:
            _fail("double overflow")
    if kind == "string":
        if re.fullmatch(_DOUBLE_RE, x) is None:
            _fail(f"cannot convert {x!r} to double")
        return float(x)
    raise _Mismatch


def _decode(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        _fail("invalid UTF-8 in bytes")


def _to_string(x: Any) -> str:
    kind = kind_of(x)
    if kind == "string":
        return str(x)
    if kind == "int":
        return str(int(x))
    if kind == "double":
        return format_double(x)
    if kind in ("null", "bool"):
        return _show(x)
    if kind == "bytes":
        return _decode(bytes(x))
    if kind == "timestamp":
        return format_timestamp(x)
    if kind == "duration":
        return format_duration(x)
    raise _Mismatch


_BOOL_STRINGS = {
    **dict.fromkeys(("1", "t", "true", "TRUE", "True"), True),
    **dict.fromkeys(("0", "f", "false", "FALSE", "False"), False),
}


def _to_bool(x: Any) -> bool:
    if x is True or x is False:
        return x
    if isinstance(x, str):
        found = _BOOL_STRINGS.get(x)
        if found is None:
            _fail(f"cannot convert {x!r} to bool")
        return found
    raise _Mismatch


def _to_bytes(x: Any) -> bytes:
    if isinstance(x, bytes):
        return bytes(x)
    if isinstance(x, str):
        try:
            return x.encode()
        except UnicodeEncodeError:
            _fail("string is not valid Unicode")
    raise _Mismatch


def _to_timestamp(x: Any) -> datetime:
    kind = kind_of(x)
    if kind == "timestamp":
        return _aware(x)
    if kind == "string":
        return _parse_timestamp(x)
    if kind in _NUMBERS:
        try:
            return _EPOCH + timedelta(seconds=x)
        except (OverflowError, ValueError):
            _fail("timestamp overflow")
    raise _Mismatch


def _to_duration(x: Any) -> timedelta:
    if isinstance(x, timedelta):
        return x
    if isinstance(x, str):
        return _parse_duration(x)
    raise _Mismatch


def _dyn(x: Any) -> Any:
    return x


def _time_part(part: Callable[[datetime], int]) -> Callable[[Any], int]:
    def get(ts: Any) -> int:
        if not isinstance(ts, datetime):
            raise _Mismatch
        return part(_utc(ts))

    return get


# name -> (callable as a receiver, arguments besides the receiver, implementation). A
# receiver function may also be called globally with the receiver first, as the checker
# allows: size(x) is x.size(), contains(s, t) is s.contains(t).
_FUNCTIONS: dict[str, tuple[bool, int, Callable[..., Any]]] = {
    "size": (True, 0, _size),
    "contains": (True, 1, _has_substring),
    "startsWith": (True, 1, _starts_with),
    "endsWith": (True, 1, _ends_with),
    "matches": (True, 1, _matches),
    "lowerAscii": (True, 0, _lower_ascii),
    "upperAscii": (True, 0, _upper_ascii),
    "trim": (True, 0, _trim),
    "split": (True, 1, _split),
    "join": (True, 1, _join),
    "int": (False, 1, _to_int),
    "uint": (False, 1, _to_uint),
    "double": (False, 1, _to_double),
    "string": (False, 1, _to_string),
    "bool": (False, 1, _to_bool),
    "bytes": (False, 1, _to_bytes),
    "timestamp": (False, 1, _to_timestamp),
    "duration": (False, 1, _to_duration),
    "dyn": (False, 1, _dyn),
    "getFullYear": (True, 0, _time_part(lambda t: t.year)),
    "getMonth": (True, 0, _time_part(lambda t: t.month - 1)),
    "getDate": (True, 0, _time_part(lambda t: t.day)),
    "getDayOfMonth": (True, 0, _time_part(lambda t: t.day - 1)),
    "getDayOfWeek": (True, 0, _time_part(lambda t: (t.weekday() + 1) % 7)),
    "getDayOfYear": (True, 0, _time_part(lambda t: t.timetuple().tm_yday - 1)),
    "getHours": (True, 0, _time_part(lambda t: t.hour)),
    "getMinutes": (True, 0, _time_part(lambda t: t.minute)),
    "getSeconds": (True, 0, _time_part(lambda t: t.second)),
    "getMilliseconds": (True, 0, _time_part(lambda t: t.microsecond // 1000)),
}


def _call_error(name: str, receiver: bool, values: tuple[Any, ...]) -> CelEvaluationError:
    kinds = [kind_of(v) for v in values]
    if receiver:
        return _overload(f"{kinds[0]}.{name}({', '.join(kinds[1:])})")
    return _overload(f"{name}({', '.join(kinds)})")


# --- compilation ------------------------------------------------------------------------------


def compile_expression(node: n.Node) -> Evaluator:
    """Compile a parsed expression into a function of the variables (see the module doc)."""
    try:
        inner = _compile(node)
    except RecursionError:
        _fail("expression nested too deeply")

    def evaluator(variables: Vars) -> Any:
        try:
            return inner(variables)
        except CelEvaluationError:
            raise
        except RecursionError:
            raise CelEvaluationError("value nested too deeply") from None
        except Exception as err:  # values outside the JSON-like model
            raise CelEvaluationError(f"evaluation failed: {type(err).__name__}: {err}") from err

    return evaluator


_CACHE: dict[str, Evaluator] = {}
_CACHE_SIZE = 512


def evaluate(text: str, variables: Vars) -> Any:
    """Parse (CelSyntaxError), compile and evaluate ``text``; compiled forms are cached."""
    evaluator = _CACHE.get(text)
    if evaluator is None:
        evaluator = compile_expression(parse(text))
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[text] = evaluator
    try:
        return evaluator(variables)
    except CelEvaluationError as err:
        err.expression = err.expression or text
        raise


def _compile(node: n.Node) -> Evaluator:
    compiler = _COMPILERS.get(type(node))
    if compiler is None:
        _fail("message construction is not supported")
    return compiler(node)


def _constant(node: n.Node) -> tuple[bool, Any]:
    """(True, value) when the node is a literal, or a list of constants; else (False, None)."""
    if isinstance(node, n.Literal):
        return True, node.value
    if isinstance(node, n.ListLit):
        values = [_constant(e) for e in node.elements]
        if all(ok for ok, _ in values):
            return True, [v for _, v in values]
    return False, None


def _literal(node: n.Literal) -> Evaluator:
    value = node.value
    return lambda _: value


def _ident(node: n.Ident) -> Evaluator:
    name = node.name.lstrip(".")

    def ident(v: Vars) -> Any:
        try:
            return v[name]
        except KeyError:
            pass
        _fail(f"unknown variable '{name}'")

    return ident


def _lookup(v: Vars, name: str) -> Any:
    try:
        return v[name]
    except KeyError:
        pass
    _fail(f"unknown variable '{name}'")


def _walk(value: Any, fields: tuple[str, ...]) -> Any:
    """Select fields one by one, raising the right error where that fails."""
    for field in fields:
        if not isinstance(value, Mapping):
            _fail(f"cannot select field '{field}' of {kind_of(value)}")
        try:
            value = value[field]
        except KeyError:
            _fail(f"no such key: {field!r}")
    return value


def _select(node: n.Select) -> Evaluator:
    fields: list[str] = []
    base: n.Node = node
    while isinstance(base, n.Select):
        fields.append(base.field)
        base = base.operand
    keys = tuple(reversed(fields))
    if isinstance(base, n.Ident):
        return _path(base.name.lstrip("."), keys)
    operand = _compile(base)

    def select(v: Vars) -> Any:
        value = start = operand(v)
        try:
            for key in keys:
                value = value[key]
            return value
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(start, keys)

    return select


def _path(name: str, keys: tuple[str, ...]) -> Evaluator:
    """``name.k1.k2...``: plain item lookups, redone step by step only to report an error."""
    make = _PATHS.get(len(keys), _path_n)
    return make(name, keys)


def _path_1(name: str, keys: tuple[str, ...]) -> Evaluator:
    (k1,) = keys

    def path(v: Vars) -> Any:
        try:
            return v[name][k1]
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(_lookup(v, name), keys)

    return path


def _path_2(name: str, keys: tuple[str, ...]) -> Evaluator:
    k1, k2 = keys

    def path(v: Vars) -> Any:
        try:
            return v[name][k1][k2]
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(_lookup(v, name), keys)

    return path


def _path_3(name: str, keys: tuple[str, ...]) -> Evaluator:
    k1, k2, k3 = keys

    def path(v: Vars) -> Any:
        try:
            return v[name][k1][k2][k3]
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(_lookup(v, name), keys)

    return path


def _path_n(name: str, keys: tuple[str, ...]) -> Evaluator:
    def path(v: Vars) -> Any:
        try:
            value = v[name]
            for key in keys:
                value = value[key]
            return value
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(_lookup(v, name), keys)

    return path


_PATHS: dict[int, Callable[[str, tuple[str, ...]], Evaluator]] = {
    1: _path_1,
    2: _path_2,
    3: _path_3,
}


def _index_value(container: Any, index: Any) -> Any:
    tc = type(container)
    if tc is list or (tc is not dict and kind_of(container) == "list"):
        if type(index) is not int and kind_of(index) != "int":
            raise _overload(f"list[{kind_of(index)}]")
        if 0 <= index < len(container):
            return container[index]
        _fail(f"index {index} out of range for a list of size {len(container)}")
    if tc is dict or kind_of(container) == "map":
        if kind_of(index) not in ("string", "int", "bool", "double"):
            raise _overload(f"map[{kind_of(index)}]")
        found = _map_find(container, index)
        if found is _MISSING:
            _fail(f"no such key: {_show(index)}")
        return found
    raise _overload(f"{kind_of(container)}[{kind_of(index)}]")


def _index(node: n.Index) -> Evaluator:
    operand, index = _compile(node.operand), _compile(node.index)

    def index_(v: Vars) -> Any:
        container = operand(v)
        key = index(v)
        tc, tk = type(container), type(key)
        if tc is dict and tk is str:
            try:
                return container[key]
            except KeyError:
                pass
        elif tc is list and tk is int and 0 <= key < len(container):
            return container[key]
        return _index_value(container, key)

    return index_


def _call(node: n.Call) -> Evaluator:
    name = node.function.lstrip(".")
    entry = _FUNCTIONS.get(name)
    if entry is None:
        _fail(f"unknown function '{name}'")
    receiver, arity, impl = entry
    operands = ((node.target,) if node.target is not None else ()) + node.args
    if (node.target is not None and not receiver) or len(operands) != arity + receiver:
        _fail(f"wrong number of arguments to '{name}'")
    as_receiver = node.target is not None
    literals = tuple([o.value for o in operands if isinstance(o, n.Literal)])
    if len(literals) == len(operands):
        folded = _fold(impl, literals)
        if folded is not _MISSING:
            return lambda _: folded
    fns = [_compile(o) for o in operands]
    if len(fns) == 1:
        (f1,) = fns

        def call1(v: Vars) -> Any:
            a = f1(v)
            try:
                return impl(a)
            except _Mismatch:
                pass
            raise _call_error(name, as_receiver, (a,))

        return call1

    def call(v: Vars) -> Any:
        values = tuple([f(v) for f in fns])
        try:
            return impl(*values)
        except _Mismatch:
            pass
        raise _call_error(name, as_receiver, values)

    return call


def _fold(impl: Callable[..., Any], values: tuple[Any, ...]) -> Any:
    """The immutable result of a call on literals, computed once (``timestamp('...')``), or
    _MISSING when it fails (the error then comes at evaluation) or is mutable (a list)."""
    try:
        result = impl(*values)
    except (CelEvaluationError, _Mismatch):
        return _MISSING
    return _MISSING if isinstance(result, list | dict) else result


def _unary(node: n.Unary) -> Evaluator:
    operand = _compile(node.operand)
    if node.op == "!":

        def not_(v: Vars) -> bool:
            value = operand(v)
            if value is True or value is False:
                return not value
            raise _overload(f"!{kind_of(value)}")

        return not_

    def negate(v: Vars) -> Any:
        value = operand(v)
        kind = kind_of(value)
        if kind == "int":
            return _int_result(-value)
        if kind == "double":
            return -value
        if kind == "duration":
            try:
                return -value
            except OverflowError:
                _fail("duration overflow")
        raise _overload(f"-{kind}")

    return negate


def _binary(node: n.Binary) -> Evaluator:
    op = node.op
    if op in ("&&", "||"):
        return _logical(op == "&&", _compile(node.left), _compile(node.right))
    left = _compile(node.left)
    if op == "in":
        return _in(node, left)
    if op in ("==", "!="):
        return _equality(op == "==", node, left)
    if op in _COMPARE:
        return _ordering(op, node, left)
    return _arithmetic_node(op, left, _compile(node.right))


def _logical(is_and: bool, left: Evaluator, right: Evaluator) -> Evaluator:
    """``&&`` / ``||``: the deciding value (false / true) wins over an error on either side."""
    decides = outcome = not is_and  # outcome: the same, unnarrowed by `is` for mypy
    op = "&&" if is_and else "||"

    def logical(v: Vars) -> bool:
        try:
            a = left(v)
        except CelEvaluationError as err:
            error = err
        else:
            if a is decides:
                return outcome
            if a is True or a is False:
                b = right(v)
                if b is True or b is False:
                    return b
                raise _overload(f"bool {op} {kind_of(b)}")
            error = _overload(f"{kind_of(a)} {op} bool")
        try:
            b = right(v)
        except CelEvaluationError:
            raise error from None
        if b is decides:
            return outcome
        raise error

    return logical


def _in(node: n.Binary, left: Evaluator) -> Evaluator:
    ok, constant = _constant(node.right)
    if ok and isinstance(constant, list):
        items: list[Any] = constant
        strings = frozenset(x for x in items if type(x) is str)

        def in_constant(v: Vars) -> bool:
            item = left(v)
            if type(item) is str:
                return item in strings
            return any(equals(item, x) for x in items)

        return in_constant
    right = _compile(node.right)

    def in_(v: Vars) -> bool:
        return _contains("in", left(v), right(v))

    return in_


def _equality(is_eq: bool, node: n.Binary, left: Evaluator) -> Evaluator:
    if isinstance(node.right, n.Literal):
        constant = node.right.value
        tc = type(constant)
        if is_eq:

            def eq_constant(v: Vars) -> bool:
                a = left(v)
                if type(a) is tc:
                    return bool(a == constant)
                return _eq_slow(a, constant)

            return eq_constant

        def ne_constant(v: Vars) -> bool:
            a = left(v)
            if type(a) is tc:
                return bool(a != constant)
            return not _eq_slow(a, constant)

        return ne_constant
    right = _compile(node.right)
    if is_eq:
        return lambda v: equals(left(v), right(v))
    return lambda v: not equals(left(v), right(v))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FAST_ORDER = frozenset({int, float})


def _ordering(op: str, node: n.Binary, left: Evaluator) -> Evaluator:
    compare = _COMPARE[op]
    if isinstance(node.right, n.Literal) and node.right.kind in ("int", "uint", "double"):
        constant = node.right.value

        def order_number(v: Vars) -> bool:
            a = left(v)
            if type(a) in _FAST_ORDER:
                return compare(a, constant)
            return _order_slow(op, compare, a, constant)

        return order_number
    right = _compile(node.right)

    def order(v: Vars) -> bool:
        a = left(v)
        b = right(v)
        ta = type(a)
        if (ta in _FAST_ORDER and type(b) in _FAST_ORDER) or (ta is str and type(b) is str):
            return compare(a, b)
        return _order_slow(op, compare, a, b)

    return order


def _arithmetic_node(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    if op in ("+", "-", "*"):
        int_op = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

        def arith(v: Vars) -> Any:
            a = left(v)
            b = right(v)
            if type(a) is int and type(b) is int:
                result = int_op(a, b)
                if INT_MIN <= result <= INT_MAX:
                    return result
                _fail("integer overflow")
            return _arithmetic(op, a, b)

        return arith
    return lambda v: _arithmetic(op, left(v), right(v))


def _conditional(node: n.Conditional) -> Evaluator:
    cond, then, otherwise = _compile(node.cond), _compile(node.then), _compile(node.otherwise)

    def conditional(v: Vars) -> Any:
        c = cond(v)
        if c is True:
            return then(v)
        if c is False:
            return otherwise(v)
        raise _overload(f"{kind_of(c)} ? _ : _")

    return conditional


def _list(node: n.ListLit) -> Evaluator:
    fns = [_compile(e) for e in node.elements]
    return lambda v: [f(v) for f in fns]


def _map(node: n.MapLit) -> Evaluator:
    pairs = [(_compile(k), _compile(value)) for k, value in node.entries]
    keys = [k.value for k, _ in node.entries if isinstance(k, n.Literal) and k.kind == "string"]
    if len(keys) == len(pairs) and len(set(keys)) == len(keys):
        items = [(key, fn) for key, (_, fn) in zip(keys, pairs, strict=True)]
        return lambda v: {key: fn(v) for key, fn in items}

    def map_(v: Vars) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_fn, value_fn in pairs:
            key = key_fn(v)
            kind = kind_of(key)
            if kind not in ("string", "int", "bool"):
                _fail(f"unsupported map key type: {kind}")
            if key in out:  # also True/1, which a Python dict cannot keep apart
                _fail(f"duplicate map key: {_show(key)}")
            out[key] = value_fn(v)
        return out

    return map_


# --- macros ---------------------------------------------------------------------------------


def _range(value: Any, name: str) -> list[Any]:
    kind = kind_of(value)
    if kind in ("list", "map"):
        return list(value)
    raise _overload(f"{kind}.{name}()")


def _macro(node: n.Macro) -> Evaluator:
    if node.name == "has":
        return _has(node.args[0])
    assert node.target is not None and node.var is not None
    target, var = _compile(node.target), node.var
    fns = [_compile(a) for a in node.args]
    if node.name in ("all", "exists"):
        return _quantifier(node.name == "all", target, var, fns[0])
    if node.name == "exists_one":
        return _exists_one(target, var, fns[0])
    if node.name == "filter":
        return _filter(target, var, fns[0])
    return _map_macro(target, var, fns)


def _has(arg: n.Node) -> Evaluator:
    assert isinstance(arg, n.Select)
    operand, field = _compile(arg.operand), arg.field

    def has(v: Vars) -> bool:
        value = operand(v)
        if type(value) is dict or isinstance(value, Mapping):
            return field in value
        _fail(f"cannot select field '{field}' of {kind_of(value)}")

    return has


def _iterate(target: Evaluator, name: str, v: Vars) -> tuple[list[Any], dict[str, Any]]:
    """The items a macro ranges over, and a copy of the variables to bind its variable in."""
    return _range(target(v), name), dict(v)


def _predicate(name: str, value: Any) -> CelEvaluationError:
    return _overload(f"{name}() predicate of type {kind_of(value)}")


def _quantifier(is_all: bool, target: Evaluator, var: str, pred: Evaluator) -> Evaluator:
    """all / exists: a deciding result (false / true) wins over errors for other items."""
    decides = outcome = not is_all
    name = "all" if is_all else "exists"

    def quantifier(v: Vars) -> bool:
        items, scope = _iterate(target, name, v)
        error: CelEvaluationError | None = None
        for item in items:
            scope[var] = item
            try:
                result = pred(scope)
            except CelEvaluationError as err:
                error = error or err
                continue
            if result is decides:
                return outcome
            if result is not True and result is not False:
                error = error or _predicate(name, result)
        if error is not None:
            raise error
        return not outcome

    return quantifier


def _truth(name: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    raise _predicate(name, value)


def _exists_one(target: Evaluator, var: str, pred: Evaluator) -> Evaluator:
    def exists_one(v: Vars) -> bool:
        items, scope = _iterate(target, "exists_one", v)
        count = 0
        for item in items:
            scope[var] = item
            count += _truth("exists_one", pred(scope))
        return count == 1

    return exists_one


def _filter(target: Evaluator, var: str, pred: Evaluator) -> Evaluator:
    def filter_(v: Vars) -> list[Any]:
        items, scope = _iterate(target, "filter", v)
        out = []
        for item in items:
            scope[var] = item
            if _truth("filter", pred(scope)):
                out.append(item)
        return out

    return filter_


def _map_macro(target: Evaluator, var: str, fns: list[Evaluator]) -> Evaluator:
    transform = fns[-1]
    keep = fns[0] if len(fns) == 2 else None

    def map_(v: Vars) -> list[Any]:
        items, scope = _iterate(target, "map", v)
        out = []
        for item in items:
            scope[var] = item
            if keep is None or _truth("map", keep(scope)):
                out.append(transform(scope))
        return out

    return map_


_COMPILERS: dict[type, Callable[[Any], Evaluator]] = {
    n.Literal: _literal,
    n.Ident: _ident,
    n.Select: _select,
    n.Index: _index,
    n.Call: _call,
    n.Unary: _unary,
    n.Binary: _binary,
    n.Conditional: _conditional,
    n.ListLit: _list,
    n.MapLit: _map,
    n.Macro: _macro,
}
