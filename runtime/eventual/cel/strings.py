"""CEL's string functions: the standard ones and cel-go's string extensions.

Standard: ``contains``, ``startsWith``, ``endsWith``, ``matches`` (RE2, see ``regex``).
Extensions, with cel-go's ``ext.Strings`` semantics (cel-spec's ``string_ext`` tests are the
judge): ``charAt``, ``indexOf``/``lastIndexOf`` (with an optional start), ``lowerAscii``,
``upperAscii``, ``replace`` (optional count), ``split`` (optional limit), ``join``
(optional separator), ``substring``, ``trim``, ``reverse``, ``format`` and
``strings.quote``. Indexes count code points, not bytes. ``STRING_FUNCTIONS`` is their part
of the evaluator's function table. Each raises ``Mismatch`` for argument types it does not
take, and ``CelEvaluationError`` for bad values (an index out of range).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NoReturn

from . import regex
from .budget import check_size
from .errors import Mismatch, fail
from .timestamps import format_duration, format_timestamp
from .values import CelType, format_double, kind_of


def _str_args(*args: Any) -> None:
    for arg in args:
        if not isinstance(arg, str) or type(arg) is CelType:
            raise Mismatch


def _int_arg(value: Any) -> int:
    if kind_of(value) != "int":
        raise Mismatch
    return int(value)


def _index(s: str, value: Any) -> int:
    """A code point index into ``s``: 0..len(s), else ``index out of range``."""
    index = _int_arg(value)
    if not 0 <= index <= len(s):
        fail(f"index out of range: {index}")
    return index


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
        return regex.search(pattern, s)
    except regex.RegexUnavailable as err:
        fail(str(err))
    except regex.RegexError as err:
        fail(f"invalid regular expression {pattern!r}: {err}")


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


def _split(s: Any, separator: Any, limit: Any = -1) -> list[str]:
    """Go's ``strings.SplitN``: at most ``limit`` parts (all when negative, none for 0); an
    empty separator splits between code points."""
    _str_args(s, separator)
    limit = _int_arg(limit)
    if limit == 0:
        return []
    if separator != "":
        return [str(p) for p in s.split(separator, limit - 1 if limit > 0 else -1)]
    chars = list(s)
    if 0 < limit < len(chars):
        chars[limit - 1 :] = ["".join(chars[limit - 1 :])]
    return chars


def _join(items: Any, separator: Any = "") -> str:
    if kind_of(items) != "list":
        raise Mismatch
    _str_args(separator, *items)
    return str(separator).join(items)


def _char_at(s: Any, index: Any) -> str:
    _str_args(s)
    i = _index(s, index)
    return str(s[i : i + 1])


def _index_of(s: Any, sub: Any, start: Any = 0) -> int:
    _str_args(s, sub)
    return int(s.find(sub, _index(s, start)))


def _last_index_of(s: Any, sub: Any, start: Any = None) -> int:
    _str_args(s, sub)
    end = len(s) if start is None else _index(s, start)
    if sub == "":
        return end
    return int(s.rfind(sub, 0, end + len(sub)))


def _replace(s: Any, old: Any, new: Any, count: Any = -1) -> str:
    _str_args(s, old, new)
    limit = _int_arg(count)
    if len(new) > len(old):  # refuse a result too large before building it
        found = s.count(old) if old else len(s) + 1
        found = found if limit < 0 else min(found, limit)
        check_size(len(s) + found * (len(new) - len(old)))
    return str(s.replace(old, new, limit if limit >= 0 else -1))


def _substring(s: Any, start: Any, end: Any = None) -> str:
    _str_args(s)
    first = _index(s, start)
    last = len(s) if end is None else _index(s, end)
    if last < first:
        fail(f"invalid substring range. start: {first}, end: {last}")
    return str(s[first:last])


def _reverse(s: Any) -> str:
    _str_args(s)
    return str(s[::-1])


_QUOTE_ESCAPES = {
    "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
    "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"',
}  # fmt: skip
_QUOTE_TABLE = str.maketrans(_QUOTE_ESCAPES)


def _quote(s: Any) -> str:
    """``strings.quote``: in double quotes, with C escapes for quotes, backslashes and the
    control characters that have one; other characters as they are."""
    _str_args(s)
    return '"' + str(s).translate(_QUOTE_TABLE) + '"'


# --- format -------------------------------------------------------------------------------


def _format(template: Any, args: Any) -> str:
    """``"%s is %d".format([a, b])``: cel-go's clauses %s %d %f %e %b %o %x %X, an
    optional precision (``%.2f``), and ``%%``."""
    _str_args(template)
    if kind_of(args) != "list":
        raise Mismatch
    out: list[str] = []
    i = used = 0
    text = str(template)
    while i < len(text):
        c = text[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i, precision, clause = _clause(text, i + 1)
        if clause == "%":
            out.append("%")
            continue
        if used >= len(args):
            fail(f"index {used} out of range")
        out.append(_FORMATTERS[clause](args[used], precision))
        used += 1
    return "".join(out)


def _clause(text: str, i: int) -> tuple[int, int | None, str]:
    """(index after the clause, precision, clause letter) for the clause at ``text[i:]``."""
    precision = None
    if text.startswith(".", i):
        j = i + 1
        while j < len(text) and text[j].isdigit() and text[j].isascii():
            j += 1
        if j == i + 1:
            fail("could not parse formatting clause: missing precision")
        precision, i = int(text[i + 1 : j]), j
    clause = text[i : i + 1]
    if clause not in _FORMATTERS and clause != "%":
        fail(f'could not parse formatting clause: unrecognized formatting clause "{clause}"')
    return i + 1, precision, clause


def _given(value: Any) -> str:
    kind = kind_of(value)
    names = {"null": "null_type", "timestamp": "google.protobuf.Timestamp",
             "duration": "google.protobuf.Duration"}  # fmt: skip
    return names.get(kind, kind)


def _bad(what: str, value: Any) -> NoReturn:
    fail(f"error during formatting: {what}, was given {_given(value)}")


def _special_double(value: Any) -> str | None:
    """NaN and the infinities print as words in every numeric clause."""
    if kind_of(value) == "double" and not math.isfinite(value):
        return format_double(value)
    return None


def _fmt_string(value: Any, precision: int | None = None) -> str:
    kind = kind_of(value)
    if kind == "string":
        return str(value)
    if kind in ("list", "map"):
        return _fmt_container(value, kind)
    text = _SIMPLE_TEXT.get(kind)
    if text is None:
        return _bad(
            "string clause can only be used on strings, bools, bytes, ints, doubles, maps, "
            "lists, types, durations, and timestamps",
            value,
        )
    return text(value)


def _fmt_container(value: Any, kind: str) -> str:
    if kind == "list":
        return "[" + ", ".join(_fmt_string(item) for item in value) + "]"
    entries = sorted((_fmt_string(k), _fmt_string(v)) for k, v in value.items())
    return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"


_SIMPLE_TEXT: dict[str, Callable[[Any], str]] = {
    "null": lambda _: "null",
    "bool": lambda b: "true" if b else "false",
    "int": lambda i: str(int(i)),
    "uint": lambda i: str(int(i)),
    "double": format_double,
    "bytes": lambda b: bytes(b).decode(errors="replace"),
    "type": str,
    "timestamp": format_timestamp,
    "duration": format_duration,
}


def _fmt_decimal(value: Any, precision: int | None) -> str:
    special = _special_double(value)
    if special is not None:
        return special
    if kind_of(value) not in ("int", "uint"):
        return _bad("decimal clause can only be used on integers", value)
    return str(int(value))


def _fmt_float(style: str, name: str) -> Callable[[Any, int | None], str]:
    def fmt(value: Any, precision: int | None) -> str:
        special = _special_double(value)
        if special is not None:
            return special
        if kind_of(value) not in ("int", "uint", "double"):
            return _bad(f"{name} clause can only be used on doubles", value)
        return format(float(value), f".{6 if precision is None else precision}{style}")

    return fmt


def _fmt_radix(style: str) -> Callable[[Any, int | None], str]:
    def fmt(value: Any, precision: int | None) -> str:
        kind = kind_of(value)
        if kind in ("int", "uint") or (style == "b" and kind == "bool"):
            return format(int(value), style)
        if style in "xX" and kind in ("string", "bytes"):
            data = value.encode() if kind == "string" else bytes(value)
            return data.hex() if style == "x" else data.hex().upper()
        reasons = {
            "b": "only integers and bools can be formatted as binary",
            "o": "octal clause can only be used on integers",
        }
        hex_reason = "only integers, byte buffers, and strings can be formatted as hex"
        return _bad(reasons.get(style, hex_reason), value)

    return fmt


_FORMATTERS: dict[str, Callable[[Any, int | None], str]] = {
    "s": _fmt_string,
    "d": _fmt_decimal,
    "f": _fmt_float("f", "fixed-point"),
    "e": _fmt_float("e", "scientific"),
    "b": _fmt_radix("b"),
    "o": _fmt_radix("o"),
    "x": _fmt_radix("x"),
    "X": _fmt_radix("X"),
}

# name -> (callable as a receiver, arguments, optional arguments, implementation), as in
# the evaluator's table.
STRING_FUNCTIONS: dict[str, tuple[bool, int, int, Callable[..., Any]]] = {
    "contains": (True, 1, 0, _has_substring),
    "startsWith": (True, 1, 0, _starts_with),
    "endsWith": (True, 1, 0, _ends_with),
    "matches": (True, 1, 0, _matches),
    "lowerAscii": (True, 0, 0, _lower_ascii),
    "upperAscii": (True, 0, 0, _upper_ascii),
    "trim": (True, 0, 0, _trim),
    "split": (True, 1, 1, _split),
    "join": (True, 0, 1, _join),
    "charAt": (True, 1, 0, _char_at),
    "indexOf": (True, 1, 1, _index_of),
    "lastIndexOf": (True, 1, 1, _last_index_of),
    "replace": (True, 2, 1, _replace),
    "substring": (True, 1, 1, _substring),
    "reverse": (True, 0, 0, _reverse),
    "format": (True, 1, 0, _format),
    "strings.quote": (False, 1, 0, _quote),
}
