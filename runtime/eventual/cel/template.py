"""Templates: text with ``${{ expr }}`` CEL placeholders.

``parse_template`` takes a template string and returns, by shape:
- ``str``: no placeholders; the text with each ``$${{`` escape turned into ``${{``;
- ``Placeholder``: the whole text is one placeholder (whitespace allowed inside the braces
  only), so the value keeps the expression's own type instead of becoming text;
- ``Interpolation``: anything else; text parts (escapes resolved, empty parts dropped) and
  placeholders in order, to be rendered as a string.

A placeholder ends at the first ``}}`` at brace depth 0 outside CEL string literals (found
with the CEL lexer), so map literals and strings containing ``}}`` work. Every problem is a
``CelSyntaxError`` whose offset is into the template text: an unterminated ``${{`` points at
the ``${{``; an expression error points where the problem is inside the placeholder.
"""

from __future__ import annotations

import re

from .errors import CelSyntaxError
from .nodes import Frozen, Node, _set
from .parser import find_placeholder_end, parse

__all__ = ["Interpolation", "Placeholder", "has_placeholders", "parse_template"]

_OPEN_RE = re.compile(r"\$?\$\{\{")  # "$${{" (the escape) or "${{" (a placeholder)
# The escape is matched leftmost, so a "${{" is a placeholder exactly when no "$" precedes
# it; that makes this equivalent to a full scan for the first placeholder.
_PLACEHOLDER_RE = re.compile(r"(?<!\$)\$\{\{")
_CEL_SPACE = "\t\n\f\r "


class Placeholder(Frozen):
    """One ``${{ expr }}``: its AST, its source text and where that text starts.

    ``source`` is the text between the braces without surrounding whitespace; ``offset`` is
    the index of its first character in the template, so a node's position in the
    template is ``offset + node.start``.
    """

    __match_args__ = ("expr", "source", "offset")
    __slots__ = __match_args__
    expr: Node
    source: str
    offset: int

    def __init__(self, expr: Node, source: str, offset: int) -> None:
        _set(self, "expr", expr)
        _set(self, "source", source)
        _set(self, "offset", offset)


class Interpolation(Frozen):
    """Text with placeholders: parts in order, never two text parts in a row."""

    __match_args__ = ("parts",)
    __slots__ = __match_args__
    parts: tuple[str | Placeholder, ...]

    def __init__(self, parts: tuple[str | Placeholder, ...]) -> None:
        _set(self, "parts", parts)


def has_placeholders(text: str) -> bool:
    """Whether text contains a ``${{`` placeholder (escapes ``$${{`` do not count)."""
    return "${{" in text and _PLACEHOLDER_RE.search(text) is not None


def parse_template(text: str) -> str | Placeholder | Interpolation:
    """Parse a template; see the module docstring for the three result shapes."""
    if "${{" not in text:
        return text
    parts: list[str | Placeholder] = []
    literal: list[str] = []  # text since the last placeholder, escapes resolved
    pos = 0
    while (m := _OPEN_RE.search(text, pos)) is not None:
        literal.append(text[pos : m.start()])
        pos = m.end()
        if pos - m.start() == 4:  # "$${{", the escape
            literal.append("${{")
            continue
        close = find_placeholder_end(text, pos)
        if close < 0:
            raise CelSyntaxError("unterminated placeholder: '${{' without '}}'", m.start())
        if any(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(_placeholder(text, pos, close))
        pos = close + 2
    literal.append(text[pos:])
    if any(literal):
        parts.append("".join(literal))
    if len(parts) == 1:
        return parts[0]  # one text part (escapes only) or one whole-text placeholder
    return Interpolation(tuple(parts))


def _placeholder(text: str, start: int, close: int) -> Placeholder:
    """Parse text[start:close], the inside of a placeholder, translating error offsets."""
    inner = text[start:close]
    source = inner.lstrip(_CEL_SPACE)
    offset = start + len(inner) - len(source)
    source = source.rstrip(_CEL_SPACE)
    try:
        expr = parse(source)
    except CelSyntaxError as err:
        raise CelSyntaxError(err.message, offset + err.offset) from None
    return Placeholder(expr, source, offset)
