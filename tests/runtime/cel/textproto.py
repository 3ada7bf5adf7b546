"""A reader for the subset of protobuf text format that cel-spec's test files use.

``parse_textproto(text)`` returns a ``Message``: a dict from field name to the list of that
field's values in file order (every field is read as repeated; a message field's value is
itself a ``Message``). Scalars are ``int``, ``float``, ``bool``-like identifiers and enum
names (``str`` of class ``Enum``), and quoted strings as raw ``bytes`` (C escapes decoded,
adjacent literals joined): the caller decodes them as UTF-8 where the field is a string.
``[type.googleapis.com/x.Y]`` extension/Any names are kept as field names. Anything else
raises ``ValueError`` naming the line.
"""

from __future__ import annotations

import re
from typing import Any

Message = dict[str, list[Any]]


class Enum(str):
    """An unquoted identifier value: an enum name, ``true``, ``inf``..."""


_TOKEN = re.compile(
    r"""\s+|\#[^\n]*
    |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<ext>\[[^\]]+\])
    |(?P<number>-?(?:0x[0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)[fFuU]?)
    |(?P<ident>-?[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<punct>[{}:<>,;\[\]])""",
    re.VERBOSE,
)
_SIMPLE = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, '"': 34}
_SIMPLE["?"] = 63


def _unescape(body: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = body[i + 1]
        if e in _SIMPLE:
            out.append(_SIMPLE[e])
            i += 2
        elif e in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            out.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        elif e in "xX":
            digits = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2 :])
            assert digits is not None
            out.append(int(digits.group(), 16))
            i += 2 + len(digits.group())
        elif e in "uU":
            size = 4 if e == "u" else 8
            out += chr(int(body[i + 2 : i + 2 + size], 16)).encode("utf-8", "surrogatepass")
            i += 2 + size
        else:
            raise ValueError(f"unknown escape \\{e}")
    return bytes(out)


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            line = text.count("\n", 0, pos) + 1
            raise ValueError(f"line {line}: unexpected {text[pos : pos + 10]!r}")
        kind = m.lastgroup
        if kind is not None:
            tokens.append((kind, m.group(kind), text.count("\n", 0, pos) + 1))
        pos = m.end()
    return tokens


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any, int]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def message(self, close: str | None) -> Message:
        fields: Message = {}
        while True:
            token = self.peek()
            if token is None or (token[0] == "punct" and token[1] == close):
                if (token is None) != (close is None):
                    raise ValueError(f"unbalanced braces near line {token and token[2]}")
                self.i += token is not None
                return fields
            kind, name, line = self.take()
            if kind not in ("ident", "ext"):
                raise ValueError(f"line {line}: expected a field name, got {name!r}")
            fields.setdefault(name, []).append(self.value())
            nxt = self.peek()
            if nxt is not None and nxt[0] == "punct" and nxt[1] in ",;":
                self.i += 1

    def value(self) -> Any:
        kind, text, line = self.take()
        if kind == "punct" and text == ":":
            kind, text, line = self.take()
        if kind == "punct" and text in "{<":
            return self.message("}" if text == "{" else ">")
        if kind == "string":
            data = _unescape(text[1:-1])
            while (nxt := self.peek()) is not None and nxt[0] == "string":
                data += _unescape(self.take()[1][1:-1])
            return data
        if kind == "number":
            return _number(text)
        if kind == "ident":
            return _identifier(text)
        raise ValueError(f"line {line}: unexpected {text!r}")


def _number(text: str) -> int | float:
    body = text.rstrip("fFuU") if not text.lower().startswith(("0x", "-0x")) else text
    if re.fullmatch(r"-?(0x[0-9a-fA-F]+|[0-9]+)", body):
        return int(body, 0)
    return float(body)


def _identifier(text: str) -> Any:
    lowered = text.lower().lstrip("-")
    if lowered in ("inf", "infinity"):
        return float(text.replace("inity", "").replace("Inf", "inf"))
    if lowered == "nan":
        return float("nan")
    return Enum(text)


def parse_textproto(text: str) -> Message:
    """Parse a whole file (see the module doc)."""
    return _Reader(text).message(None)
