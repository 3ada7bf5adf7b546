"""Spec text rendered safely into Python source.

Descriptions become docstrings and names become string literals only through these
functions, so no spec text can end a literal early or add a statement: every
backslash, quote run, control character and NUL is escaped. ``ast.parse`` of the
result gives back exactly the original text (tested).
"""

from __future__ import annotations

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\r": "\\r", "\t": "\\t", "\0": "\\x00"}


def docstring(text: str, indent: int) -> str:
    """A triple-quoted docstring literal holding ``text`` exactly, indented ``indent``."""
    pad = " " * indent
    body = "".join(_escape(c) for c in text.strip())
    if "\n" not in body:
        return f'{pad}"""{body}"""'
    lines = body.split("\n")
    inner = "\n".join(f"{pad}{line}" if line else "" for line in lines)
    return f'{pad}"""\n{inner}\n{pad}"""'


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char != "\n" and (ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029"):
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return char


def string_list(names: list[str], indent: int = 0) -> str:
    """A list literal of ``names``, one per line (names are validated identifiers)."""
    pad = " " * indent
    items = "".join(f'{pad}    "{name}",\n' for name in names)
    return f"[\n{items}{pad}]" if names else "[]"
