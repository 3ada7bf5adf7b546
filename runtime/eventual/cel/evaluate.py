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
compiler's type checker (``eventualc.typecheck.cel``) reads them, so that an expression means the
same at build time and at run time; the same operators, functions and macros exist:
- int and double mix in arithmetic and comparisons (JSON numbers); ``/`` on two ints
  truncates toward zero, ``%`` takes the sign of the dividend and needs two ints; int results
  outside signed 64 bits and int division or modulo by zero are errors. Double division
  is IEEE 754 (``1.0 / 0.0`` is infinity, ``0.0 / 0.0`` NaN). ``uint`` (``1u``, ``uint(x)``,
  an ``eventual.cel.values.Uint``) mixes only with uint in arithmetic (``1u + 1`` is an
  error), stays in 0..2**64-1, and compares with any number by value.
- ``==``/``!=`` compare any two values (different types are unequal, ``1 == 1.0``, ``true !=
  1``); ``<``... order numbers, strings, bytes, bools (``false < true``), timestamps and
  durations, each among its own (lists and maps are not ordered). An int orders against a
  double by its double value (as cel-go: ``9223372036854775807 < 9223372036854775808.0``
  is false).
- ``&&``/``||`` are commutative: an error (or non-bool) on one side is absorbed when the other
  side decides the result; ``all``/``exists`` absorb errors the same way.
- selecting a missing map key is an error (``no such key: 'x'``); ``has(a.b)`` tests it.
  Field names may be quoted in backticks (``a.`content-type` ``).
- ``filter`` and ``map`` over a map iterate its keys and return lists (as CEL does).
- conversions follow CEL; ``string(double)`` and ``string(x)`` interpolated in a template
  agree (``2.0``, ``1e+16``, ``NaN``, ``Infinity``); timestamps and durations: see
  ``eventual.cel.timestamps`` (microsecond precision; durations within +-10,000 years).
- ``type(x)`` and the type names (``int``, ``string``, ``google.protobuf.Timestamp``...)
  are values (``eventual.cel.values.CelType``).
- string functions, the standard ones and cel-go's extensions (``format``, ``replace``,
  ``split`` with a limit, ``substring``, ``strings.quote``...): see ``eventual.cel.strings``.
- ``matches`` is RE2 (``eventual.cel.regex``): linear time, RE2 syntax.
- map literal keys may be strings, ints and bools (as CEL); ``true`` and ``1`` cannot both
  be keys of one map (a Python dict cannot keep them apart).
- ``.x`` (a root-scoped name) reads ``x`` like the checker does, even inside a macro whose
  variable is also ``x``. ``a.b.c`` where ``a`` is no variable reads a variable named
  ``a.b.c``, else ``a.b``, then selects the rest (CEL's qualified names).

Compiling raises ``CelEvaluationError`` only for expressions no value can make valid
(unknown function, wrong number of arguments, message construction): the checker rejects
those too. Anything the checker accepts compiles, and fails, if at all, when evaluated.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from . import nodes as n
from .budget import KEY as BUDGET
from .budget import charge, with_budget
from .errors import CelEvaluationError, ExpressionLimit, Mismatch, fail, overload
from .parser import parse
from .strings import STRING_FUNCTIONS
from .timestamps import (
    EPOCH,
    SECOND,
    TIME_FUNCTIONS,
    aware,
    duration_in_range,
    format_duration,
    format_timestamp,
    to_duration,
    to_timestamp,
)
from .values import KIND_TYPE_NAMES, TYPE_NAMES, CelType, Uint, format_double, kind_of

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


INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
UINT_MAX = 2**64 - 1
_MISSING: Any = object()
_INF = float("inf")

# --- kinds -----------------------------------------------------------------------------

_NUMBERS = frozenset({"int", "uint", "double"})
_ORDERED = frozenset({"string", "bytes", "duration", "bool"})  # timestamps: see _order_slow
# Types whose Python == is CEL's == when both sides have the same type.
_EQ_FAST = frozenset({str, int, float, bool, type(None), bytes, timedelta})


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
        return bool(aware(a) == aware(b))
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
    if kind not in ("int", "uint", "bool") or mapping.get(key, _MISSING) is _MISSING:
        return _MISSING
    # Python takes True for 1 and 1.0 for 1; CEL keys match only within their kind, where
    # int and uint keys are one kind (numbers compare by value).
    numeric = kind != "bool"
    for stored in mapping:
        if (kind_of(stored) in _NUMBERS if numeric else stored is key) and stored == key:
            return mapping[stored]
    return _MISSING


# --- timestamps and durations ------------------------------------------------------------


# --- arithmetic ---------------------------------------------------------------------------


def _int_result(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    fail("integer overflow")


def _div_int(a: int, b: int) -> int:
    if b == 0:
        fail("division by zero")
    quotient = abs(a) // abs(b)
    return _int_result(-quotient if (a < 0) != (b < 0) else quotient)


def _mod_int(a: int, b: int) -> int:
    if b == 0:
        fail("modulo by zero")
    rest = abs(a) % abs(b)
    return -rest if a < 0 else rest


def _div_double(a: float, b: float) -> float:
    """IEEE 754 division, as CEL specifies: ``x / 0.0`` is an infinity or NaN, not an error."""
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(_INF, a) * math.copysign(1.0, b)
    return a / b


def _uint_result(value: int) -> Uint:
    if 0 <= value <= UINT_MAX:
        return Uint(value)
    fail("unsigned integer overflow")


def _uint_op(op: Callable[[int, int], int]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if b == 0 and op in (operator.floordiv, operator.mod):
            fail("division by zero" if op is operator.floordiv else "modulo by zero")
        return _uint_result(op(int(a), int(b)))

    return apply


def _double_op(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        try:
            return op(float(a), float(b))
        except OverflowError:
            fail("double overflow")

    return apply


def _int_op(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        return _int_result(op(int(a), int(b)))

    return apply


def _time_op(op: Callable[[Any, Any], Any], what: str) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if isinstance(a, datetime):
            a = aware(a)
        if isinstance(b, datetime):
            b = aware(b)
        try:
            result = op(a, b)
        except OverflowError:
            fail(f"{what} overflow")
        return duration_in_range(result) if type(result) is timedelta else result

    return apply


_ARITHMETIC: dict[tuple[str, str, str], Callable[[Any, Any], Any]] = {
    ("+", "int", "int"): _int_op(operator.add),
    ("-", "int", "int"): _int_op(operator.sub),
    ("*", "int", "int"): _int_op(operator.mul),
    ("/", "int", "int"): lambda a, b: _div_int(int(a), int(b)),
    ("%", "int", "int"): lambda a, b: _mod_int(int(a), int(b)),
    **{
        (op, "uint", "uint"): _uint_op(fn)
        for op, fn in (
            ("+", operator.add),
            ("-", operator.sub),
            ("*", operator.mul),
            ("/", operator.floordiv),
            ("%", operator.mod),
        )
    },
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
        raise overload(f"{ka} {op} {kb}")
    return apply(a, b)


def _order_slow(op: str, compare: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    ka, kb = kind_of(a), kind_of(b)
    if ka in _NUMBERS and kb in _NUMBERS:
        if (ka == "double") != (kb == "double"):  # CEL orders an int by its double value
            try:
                return bool(compare(float(a), float(b)))
            except OverflowError:  # an int beyond any double: its exact value decides
                pass
        return bool(compare(a, b))
    if ka == kb and ka in _ORDERED:
        return bool(compare(a, b))
    if ka == kb == "timestamp":
        return bool(compare(aware(a), aware(b)))
    raise overload(f"{ka} {op} {kb}")


def _contains(op: str, item: Any, container: Any) -> bool:
    tc = type(container)
    if tc is list or (tc is not dict and kind_of(container) == "list"):
        if type(item) is str:
            return item in container
        return any(equals(item, x) for x in container)
    if tc is dict or kind_of(container) == "map":
        return _map_find(container, item) is not _MISSING
    raise overload(f"{kind_of(item)} {op} {kind_of(container)}")


# --- functions ------------------------------------------------------------------------------


def _size(x: Any) -> int:
    if isinstance(x, str | bytes | list | Mapping):
        return len(x)
    raise Mismatch


_INT_RE = r"(?a)[-+]?[0-9]+"
_DOUBLE_RE = r"(?ai)[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf|infinity|nan)"


def _parse_int(text: str) -> int:
    if re.fullmatch(_INT_RE, text) is None:
        fail(f"cannot convert {text!r} to int")
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 20:
        fail("integer overflow")
    return -int(digits or "0") if text.startswith("-") else int(digits or "0")


def _double_to_int(x: float) -> int:
    if x != x or x in (_INF, -_INF):
        fail(f"cannot convert {format_double(x)} to int")
    return int(x)


def _to_int(x: Any) -> int:
    kind = kind_of(x)
    if kind in ("int", "uint", "bool"):
        return _int_result(int(x))
    if kind == "double":
        value = _double_to_int(x)  # NaN and the infinities first
        # As cel-go: the open range, since the doubles next to +-2**63 are not exact ints.
        if not -(2.0**63) < x < 2.0**63:
            fail("integer overflow")
        return value
    if kind == "string":
        return _int_result(_parse_int(x))
    if kind == "timestamp":
        return _int_result((aware(x) - EPOCH) // SECOND)
    raise Mismatch


def _to_uint(x: Any) -> Uint:
    kind = kind_of(x)
    if kind in ("int", "uint"):
        value = int(x)
    elif kind == "double":
        value = _double_to_int(x)
        if not -1.0 < x < 2.0**64:
            fail("unsigned integer overflow")
    elif kind == "string":
        value = _parse_int(x)
    else:
        raise Mismatch
    return _uint_result(value)


def _to_double(x: Any) -> float:
    kind = kind_of(x)
    if kind in _NUMBERS:
        try:
            return float(x)
        except OverflowError:
            fail("double overflow")
    if kind == "string":
        if re.fullmatch(_DOUBLE_RE, x) is None:
            fail(f"cannot convert {x!r} to double")
        return float(x)
    raise Mismatch


def _decode(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        fail("invalid UTF-8 in bytes")


def _to_string(x: Any) -> str:
    kind = kind_of(x)
    if kind == "string":
        return str(x)
    if kind in ("int", "uint"):
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
    raise Mismatch


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
            fail(f"cannot convert {x!r} to bool")
        return found
    raise Mismatch


def _to_bytes(x: Any) -> bytes:
    if isinstance(x, bytes):
        return bytes(x)
    if isinstance(x, str):
        try:
            return x.encode()
        except UnicodeEncodeError:
            fail("string is not valid Unicode")
    raise Mismatch


def _dyn(x: Any) -> Any:
    return x


def type_of(x: Any) -> CelType:
    """CEL's ``type(x)``: the type value of x's kind (``int``, ``google.protobuf.Timestamp``)."""
    name = KIND_TYPE_NAMES.get(kind_of(x))
    if name is None:
        raise Mismatch
    return TYPE_NAMES[name]


# name -> (callable as a receiver, arguments besides the receiver, optional arguments after
# those, implementation). A receiver function may also be called globally with the receiver
# first, as the checker allows: size(x) is x.size(), contains(s, t) is s.contains(t).
_FUNCTIONS: dict[str, tuple[bool, int, int, Callable[..., Any]]] = {
    "size": (True, 0, 0, _size),
    "int": (False, 1, 0, _to_int),
    "uint": (False, 1, 0, _to_uint),
    "double": (False, 1, 0, _to_double),
    "string": (False, 1, 0, _to_string),
    "bool": (False, 1, 0, _to_bool),
    "bytes": (False, 1, 0, _to_bytes),
    "timestamp": (False, 1, 0, to_timestamp),
    "duration": (False, 1, 0, to_duration),
    "dyn": (False, 1, 0, _dyn),
    "type": (False, 1, 0, type_of),
    **STRING_FUNCTIONS,
    **TIME_FUNCTIONS,
}


def _call_error(name: str, receiver: bool, values: tuple[Any, ...]) -> CelEvaluationError:
    kinds = [kind_of(v) for v in values]
    if receiver:
        return overload(f"{kinds[0]}.{name}({', '.join(kinds[1:])})")
    return overload(f"{name}({', '.join(kinds)})")


# --- compilation ------------------------------------------------------------------------------


def compile_expression(node: n.Node) -> Evaluator:
    """Compile a parsed expression into a function of the variables (see the module doc)."""
    try:
        inner = _compile(node)
    except RecursionError:
        fail("expression nested too deeply")
    budgeted = _has_loops(node)

    def evaluator(variables: Vars) -> Any:
        try:
            return inner(with_budget(variables) if budgeted else variables)
        except CelEvaluationError:
            raise
        except RecursionError:
            raise CelEvaluationError("value nested too deeply") from None
        except Exception as err:  # values outside the JSON-like model
            raise CelEvaluationError(f"evaluation failed: {type(err).__name__}: {err}") from err

    return evaluator


def _has_loops(node: n.Node) -> bool:
    """Whether the expression has a macro that iterates (see ``eventual.cel.budget``)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, n.Macro) and current.name != "has":
            return True
        pending.extend(n.children(current))
    return False


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
        fail("message construction is not supported")
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


def _literal_value(node: n.Literal) -> Any:
    value = node.value
    return Uint(value) if node.kind == "uint" and isinstance(value, int) else value


def _literal(node: n.Literal) -> Evaluator:
    value = _literal_value(node)
    return lambda _: value


def _ident(node: n.Ident) -> Evaluator:
    name = node.name.lstrip(".")

    def ident(v: Vars) -> Any:
        try:
            return v[name]
        except KeyError:
            pass
        return _qualified(v, name, ())

    return ident


def _qualified(v: Vars, name: str, keys: tuple[str, ...]) -> Any:
    """``name.k1.k2...`` when ``name`` is no variable: the longest dotted prefix that names a
    variable (``a.b`` bound as one name), then its remaining fields; or a type name."""
    for split in range(len(keys), 0, -1):
        dotted = ".".join((name, *keys[:split]))
        if dotted in v:
            return _walk(v[dotted], keys[split:])
    qualified = ".".join((name, *keys))
    if qualified in TYPE_NAMES:
        return TYPE_NAMES[qualified]
    fail(f"unknown variable '{name}'")


def _walk(value: Any, fields: tuple[str, ...]) -> Any:
    """Select fields one by one, raising the right error where that fails."""
    for field in fields:
        if not isinstance(value, Mapping):
            fail(f"cannot select field '{field}' of {kind_of(value)}")
        try:
            value = value[field]
        except KeyError:
            fail(f"no such key: {field!r}")
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
        return _walk(v[name], keys) if name in v else _qualified(v, name, keys)

    return path


def _path_2(name: str, keys: tuple[str, ...]) -> Evaluator:
    k1, k2 = keys

    def path(v: Vars) -> Any:
        try:
            return v[name][k1][k2]
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(v[name], keys) if name in v else _qualified(v, name, keys)

    return path


def _path_3(name: str, keys: tuple[str, ...]) -> Evaluator:
    k1, k2, k3 = keys

    def path(v: Vars) -> Any:
        try:
            return v[name][k1][k2][k3]
        except (KeyError, TypeError, IndexError):
            pass
        return _walk(v[name], keys) if name in v else _qualified(v, name, keys)

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
        return _walk(v[name], keys) if name in v else _qualified(v, name, keys)

    return path


_PATHS: dict[int, Callable[[str, tuple[str, ...]], Evaluator]] = {
    1: _path_1,
    2: _path_2,
    3: _path_3,
}


def _index_value(container: Any, index: Any) -> Any:
    tc = type(container)
    if tc is list or (tc is not dict and kind_of(container) == "list"):
        kind = kind_of(index)
        if kind not in _NUMBERS or (kind == "double" and not index.is_integer()):
            raise overload(f"list[{kind}]")
        if 0 <= index < len(container):
            return container[int(index)]
        fail(f"index {index} out of range for a list of size {len(container)}")
    if tc is dict or kind_of(container) == "map":
        if kind_of(index) not in ("string", "int", "uint", "bool", "double"):
            raise overload(f"map[{kind_of(index)}]")
        found = _map_find(container, index)
        if found is _MISSING:
            fail(f"no such key: {_show(index)}")
        return found
    raise overload(f"{kind_of(container)}[{kind_of(index)}]")


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
    name, target = node.function.lstrip("."), node.target
    if isinstance(target, n.Ident) and f"{target.name.lstrip('.')}.{name}" in _FUNCTIONS:
        name, target = f"{target.name.lstrip('.')}.{name}", None  # strings.quote(s)
    entry = _FUNCTIONS.get(name)
    if entry is None:
        fail(f"unknown function '{name}'")
    receiver, arity, optional, impl = entry
    operands = ((target,) if target is not None else ()) + node.args
    given = len(operands) - receiver
    if (target is not None and not receiver) or not arity <= given <= arity + optional:
        fail(f"wrong number of arguments to '{name}'")
    as_receiver = target is not None
    literals = tuple([_literal_value(o) for o in operands if isinstance(o, n.Literal)])
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
            except Mismatch:
                pass
            raise _call_error(name, as_receiver, (a,))

        return call1

    def call(v: Vars) -> Any:
        values = tuple([f(v) for f in fns])
        try:
            return impl(*values)
        except Mismatch:
            pass
        raise _call_error(name, as_receiver, values)

    return call


def _fold(impl: Callable[..., Any], values: tuple[Any, ...]) -> Any:
    """The immutable result of a call on literals, computed once (``timestamp('...')``), or
    _MISSING when it fails (the error then comes at evaluation) or is mutable (a list)."""
    try:
        result = impl(*values)
    except (CelEvaluationError, Mismatch):
        return _MISSING
    return _MISSING if isinstance(result, list | dict) else result


def _unary(node: n.Unary) -> Evaluator:
    operand = _compile(node.operand)
    if node.op == "!":

        def not_(v: Vars) -> bool:
            value = operand(v)
            if value is True or value is False:
                return not value
            raise overload(f"!{kind_of(value)}")

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
                fail("duration overflow")
        raise overload(f"-{kind}")

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
        except ExpressionLimit:
            raise  # never absorbed: over budget is over budget, whatever the other side
        except CelEvaluationError as err:
            error = err
        else:
            if a is decides:
                return outcome
            if a is True or a is False:
                b = right(v)
                if b is True or b is False:
                    return b
                raise overload(f"bool {op} {kind_of(b)}")
            error = overload(f"{kind_of(a)} {op} bool")
        try:
            b = right(v)
        except ExpressionLimit:
            raise
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
        constant = _literal_value(node.right)
        # Values of the constant's own type compare directly, and so do doubles with an int
        # constant small enough to be exact as a double.
        small_int = type(constant) is int and abs(constant) <= 2**53
        fast = _FAST_ORDER if small_int else {type(constant)}

        def order_number(v: Vars) -> bool:
            a = left(v)
            if type(a) in fast:
                return compare(a, constant)
            return _order_slow(op, compare, a, constant)

        return order_number
    right = _compile(node.right)

    def order(v: Vars) -> bool:
        a = left(v)
        b = right(v)
        ta = type(a)
        if ta is type(b) and (ta in _FAST_ORDER or ta is str):
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
                fail("integer overflow")
            if op != "+":
                return _arithmetic(op, a, b)
            value = _arithmetic(op, a, b)
            kind = type(value)
            if kind is list:  # a loop may build ever larger values: they cost their size
                charge(v, len(value))
            elif kind is str or kind is bytes:
                charge(v, len(value) // 100)
            return value

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
        raise overload(f"{kind_of(c)} ? _ : _")

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
            if kind not in ("string", "int", "uint", "bool"):
                fail(f"unsupported map key type: {kind}")
            if key in out:  # also True/1, which a Python dict cannot keep apart
                fail(f"duplicate map key: {_show(key)}")
            out[key] = value_fn(v)
        return out

    return map_


# --- macros ---------------------------------------------------------------------------------


def _range(value: Any, name: str) -> list[Any]:
    kind = kind_of(value)
    if kind in ("list", "map"):
        return list(value)
    raise overload(f"{kind}.{name}()")


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
        fail(f"cannot select field '{field}' of {kind_of(value)}")

    return has


def _iterate(target: Evaluator, name: str, v: Vars) -> tuple[list[Any], dict[str, Any]]:
    """The items a macro ranges over, and a copy of the variables to bind its variable in;
    the items are charged to the evaluation's budget."""
    items = _range(target(v), name)
    scope = dict(v)
    budget = scope.get(BUDGET)
    if budget is not None:  # charge(scope, len(items)), inlined: this runs per macro call
        budget[0] -= len(items)
        if budget[0] < 0:
            charge(scope, 0)  # raises ExpressionLimit
    return items, scope


def _predicate(name: str, value: Any) -> CelEvaluationError:
    return overload(f"{name}() predicate of type {kind_of(value)}")


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
            except ExpressionLimit:
                raise
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
