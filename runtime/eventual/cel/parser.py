"""Parse CEL expression text into the AST of ``eventual.cel.nodes``.

Takes the text of one CEL expression (the full grammar of the CEL language definition,
https://github.com/google/cel-spec/blob/master/doc/langdef.md) and returns its root node.
Guarantees: any ``str`` input either parses or raises ``CelSyntaxError`` (never anything
else, whatever the text: empty, binary junk, deep nesting), located where the parser,
reading left to right, found the problem (lexical errors included); macros (``has``,
``all``, ``exists``, ``exists_one``, ``map``, ``filter``) come back as ``Macro`` nodes; no
semantic checks (names, types) happen here.

Choices the spec leaves open, settled the way cel-go does:
- ``-`` directly before an int or double literal is part of the literal (the spec's
  ``INT_LIT ::= -? DIGIT+``), so ``-9223372036854775808`` is in range; ``-1u`` is a negation.
- A receiver call named ``all/exists/exists_one/filter`` with 2 args, or ``map`` with 2 or 3,
  whose first arg is a plain identifier is a macro; anything else is an ordinary ``Call``.
  ``has`` with one argument is a macro and that argument must be a field selection.
- Reserved words may be field names, selectors, message type segments and receiver-call
  names (``a.if``, ``T{if: 1}``, ``a.package()``) but not identifiers or global functions.
- A field name may be quoted in backticks (``a.`content-type` ``, ``has(a.`b.c`)``): letters,
  digits, ``_ . - /`` and spaces; a quoted name cannot be called or stand alone.
- ``\\u`` and ``\\U`` escapes are rejected in bytes literals; CR and CRLF in triple-quoted
  strings become LF; escaped surrogates are rejected, unassigned code points are not.

Nesting is capped so that parsing and later recursive walks of the tree stay within
Python's stack: each nested expression (in parentheses, literals, arguments, indexes) and
each operator or selection in a chain counts one level, up to ``MAX_DEPTH`` (250). Beyond
it, or if Python's recursion limit comes first (very deep literals, a caller already deep
in the stack), the error is ``expression nested too deeply``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

from .errors import CelSyntaxError
from .nodes import (
    Binary,
    BinaryOp,
    Call,
    Conditional,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    MacroName,
    MapLit,
    MessageLit,
    Node,
    Select,
    Unary,
)

__all__ = ["MAX_DEPTH", "RESERVED_WORDS", "find_placeholder_end", "parse"]

MAX_DEPTH = 250

RESERVED_WORDS = frozenset(
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip

_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_INF = float("inf")
_TOO_DEEP = "expression nested too deeply"

# One regex match per token, with no gaps: any character no token starts with is matched
# alone (a lexical error), so the lexer never loops over characters itself. String bodies
# use the "unrolled loop" form: linear on failure, no nested quantifiers.
_DQ3 = r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
_SQ3 = r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
# (?!"") keeps an unterminated """ from lexing as "" followed by a stray quote.
_DQ1 = r'"(?!"")[^"\\\n\r]*(?:\\[^\n\r][^"\\\n\r]*)*"'
_SQ1 = r"'(?!'')[^'\\\n\r]*(?:\\[^\n\r][^'\\\n\r]*)*'"
_RAW_DQ3 = r'"""[^"]*(?:"(?!"")[^"]*)*"""'
_RAW_SQ3 = r"'''[^']*(?:'(?!'')[^']*)*'''"
_RAW_DQ1 = r'"(?!"")[^"\n\r]*"'
_RAW_SQ1 = r"'(?!'')[^'\n\r]*'"
_EXP = r"[eE][+-]?[0-9]+"

_TOKEN_RE = re.compile(
    # Four groups, exactly one of the last three non-empty except at the end of the text:
    # (whitespace before the token)(name)(operator)(anything else, comments included).
    # Names and operators come first because they are most of any expression; a name
    # directly followed by a quote is left for the string alternatives (b"", r'').
    r"([\t\n\f\r ]*)(?:"
    r"((?>[_a-zA-Z][_a-zA-Z0-9]*)(?![\"']))"
    r"|(==|!=|<=|>=|&&|\|\||[-+*%!<>?:,()\[\]{}]|/(?!/)|\.(?![0-9]))"
    r"|("
    + "|".join(
        [
            r"//[^\n]*",
            rf"[0-9]+\.[0-9]+(?:{_EXP})?|[0-9]+{_EXP}|\.[0-9]+(?:{_EXP})?",
            r"(?:0x[0-9a-fA-F]+|[0-9]+)[uU]?",
            rf"[bB]?[rR](?:{_RAW_DQ3}|{_RAW_SQ3}|{_RAW_DQ1}|{_RAW_SQ1})",
            rf"[bB]?(?:{_DQ3}|{_SQ3}|{_DQ1}|{_SQ1})",
            r"`[_a-zA-Z0-9.\-/ ]+`",  # a quoted field name
            r"[bB]?[rR]?[\"']",  # the start of an unterminated string
            r"[_a-zA-Z][_a-zA-Z0-9]*",  # a name followed by a quote
            r".",  # any other character: a lexical error
            r"\Z",
        ]
    )
    + "))",
    re.DOTALL,
)
_ESCAPE_RE = re.compile(
    r"\\(?:([abfnrtv\\?\"'`])|[xX]([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})"
    r"|([0-3][0-7]{2}))"
)
_SIMPLE_ESCAPES = {
    "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
    "\\": 92, "?": 63, '"': 34, "'": 39, "`": 96,
}  # fmt: skip
_CHAR_KIND: dict[str, str] = {
    '"': "quote",
    "'": "quote",
    **dict.fromkeys("0123456789", "num"),
    **dict.fromkeys("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "id"),
}
_HINTS = {"=": "'=='", "&": "'&&'", "|": "'||'"}

# A token is (kind, value, start, end). kind is the operator text for operators, "in",
# "ID" (value: name), "LIT" (value: the Literal node), "EOF", or "ERR" (value: the
# CelSyntaxError to raise if the parser gets that far, so errors surface in reading order).
_Token = tuple[str, Any, int, int]

_KEYWORD_LITERALS: dict[str, tuple[bool | None, Any]] = {
    "true": (True, "bool"),
    "false": (False, "bool"),
    "null": (None, "null"),
}
_KEYWORDS = frozenset([*_KEYWORD_LITERALS, "in"])


def parse(text: str) -> Node:
    """Parse one CEL expression; raise CelSyntaxError (message, offset) if malformed."""
    if not isinstance(text, str):
        raise TypeError(f"CEL expression must be a str, not {type(text).__name__}")
    parser = _Parser(text)
    try:
        parser.toks = _tokenize(text)
        return parser.parse()
    except RecursionError:
        # Backstop for callers already deep in the stack; MAX_DEPTH normally fires first.
        raise CelSyntaxError(_TOO_DEEP, parser.offset()) from None


# --- lexer ---------------------------------------------------------------------------


def _tokenize(text: str) -> list[_Token]:
    """Split text into tokens, ending with EOF, or with ERR at the first lexical error."""
    toks: list[_Token] = []
    append = toks.append
    end = 0
    # findall (strings, no match objects) is markedly faster than finditer here; matches are
    # contiguous, so offsets follow from the lengths.
    for space, name, op, other in _TOKEN_RE.findall(text):
        start = end + len(space)
        if name:
            end = start + len(name)
            if name in _KEYWORDS:
                append(_keyword_token(name, start, end))
            else:
                append(("ID", name, start, end))
        elif op:
            end = start + len(op)
            append((op, None, start, end))
        elif other:
            end = start + len(other)
            if other[0] == "/":
                continue  # a comment
            tok = _lex_other(other, start, end)
            append(tok)
            if tok[0] == "ERR":
                break
        else:
            append(("EOF", None, start, start))
    return toks


def _lex_other(lexeme: str, start: int, end: int) -> _Token:
    """Tokens other than names and operators: literals and lexical errors."""
    kind = _CHAR_KIND.get(lexeme[0], "")
    if kind == "num" or (lexeme[0] == "." and len(lexeme) > 1):
        if lexeme[-1] in "uU":
            return _lex_uint(lexeme, start, end)
        if lexeme.startswith("0x") or not any(c in lexeme for c in ".eE"):
            return _lex_int(lexeme, start, end)
        return _lex_double(lexeme, start, end)
    if kind == "id" and lexeme[-1] not in "\"'":  # a name directly followed by a quote
        return (
            _keyword_token(lexeme, start, end)
            if lexeme in _KEYWORDS
            else ("ID", lexeme, start, end)
        )
    if lexeme[0] == "`" and len(lexeme) > 1:
        return ("QID", lexeme[1:-1], start, end)
    if kind in ("id", "quote"):
        if _is_unterminated(lexeme):
            return _error_token("unterminated string", start, end)
        return _lex_string(lexeme, start, end)
    hint = _HINTS.get(lexeme)
    if hint:
        return _error_token(f"unexpected '{lexeme}', did you mean {hint}?", start, end)
    return _error_token(f"unexpected character {lexeme!r}", start, end)


def _keyword_token(name: str, start: int, end: int) -> _Token:
    if name == "in":
        return ("in", None, start, end)
    value, kind = _KEYWORD_LITERALS[name]
    return ("LIT", Literal(value, kind, start, end), start, end)


def _error_token(message: str, offset: int, end: int) -> _Token:
    return ("ERR", CelSyntaxError(message, offset), offset, end)


def _is_unterminated(lexeme: str) -> bool:
    """Whether a lexeme starting with a quote or a b/r prefix is an unterminated string.

    The string alternatives of _TOKEN_RE match whole literals; when they fail, only the
    prefix and opening quote match, and nothing else ends in a quote that early.
    """
    prefix = 0 if lexeme[0] in "\"'" else 1 if lexeme[1:2] in ("'", '"') else 2
    return len(lexeme) == prefix + 1 and lexeme[-1] in "\"'"


def find_placeholder_end(text: str, start: int) -> int:
    """Offset of the first "}}" after start at brace depth 0 outside CEL literals, or -1.

    Scans with the CEL lexer, so "}}" inside string literals, comments or nested map and
    message literals (``{"a": {"b": 1}}``) does not end the placeholder. Raises
    CelSyntaxError for an unterminated string literal, since its end is then unknowable.
    """
    depth = 0
    for m in _TOKEN_RE.finditer(text, start):
        op = m.group(3)
        if op == "{":
            depth += 1
        elif op == "}":
            if depth:
                depth -= 1
            elif text.startswith("}", m.end()):
                return m.start(3)
        elif op is None and m.group(2) is None:
            other = m.group(4)
            if not other:
                return -1
            if other[-1] in "\"'" and _is_unterminated(other):
                raise CelSyntaxError("unterminated string", m.start(4))
    return -1


def _lex_int(lexeme: str, start: int, end: int) -> _Token:
    value = _int_value(lexeme)
    if value is None:
        return _error_token("integer literal out of range", start, end)
    # int64 range is checked by the parser: only there is a leading '-' known.
    return ("LIT", Literal(value, "int", start, end), start, end)


def _lex_uint(lexeme: str, start: int, end: int) -> _Token:
    value = _int_value(lexeme[:-1])
    if value is None or value > _UINT64_MAX:
        return _error_token("integer literal out of range", start, end)
    return ("LIT", Literal(value, "uint", start, end), start, end)


def _int_value(digits: str) -> int | None:
    """The value of a decimal or 0x literal, or None when far outside 64 bits."""
    if digits.startswith("0x"):
        hex_digits = digits[2:].lstrip("0")
        return None if len(hex_digits) > 16 else int(hex_digits or "0", 16)
    # Bounding the length first also keeps int() clear of its 4300-digit limit.
    decimal = digits.lstrip("0")
    return None if len(decimal) > 20 else int(decimal or "0")


def _lex_double(lexeme: str, start: int, end: int) -> _Token:
    value = float(lexeme)
    if value == _INF:
        return _error_token("double literal out of range", start, end)
    return ("LIT", Literal(value, "double", start, end), start, end)


def _lex_string(lexeme: str, start: int, end: int) -> _Token:
    is_bytes = lexeme[0] in "bB"
    prefix = 1 if is_bytes else 0
    is_raw = lexeme[prefix] in "rR"
    prefix += is_raw
    quote = 3 if lexeme.startswith(('"""', "'''"), prefix) else 1
    body = lexeme[prefix + quote : len(lexeme) - quote]
    body_start = start + prefix + quote
    triple = quote == 3
    if not body.isascii():
        try:
            body.encode()
        except UnicodeEncodeError as err:
            # A lone surrogate: not a code point, so never valid CEL text.
            offset = body_start + err.start
            return _error_token(f"invalid character {body[err.start]!r}", offset, end)
    try:
        value: str | bytes
        if is_raw or "\\" not in body:
            value = _normalize_newlines(body) if triple else body
            if is_bytes:
                value = value.encode()
        else:
            value = _unescape(body, body_start, is_bytes, triple)
    except CelSyntaxError as err:
        return ("ERR", err, err.offset, end)
    if is_bytes:
        return ("LIT", Literal(value, "bytes", start, end), start, end)
    return ("LIT", Literal(value, "string", start, end), start, end)


def _normalize_newlines(text: str) -> str:
    # cel-go reads CRLF and CR in multi-line strings as LF; files edited on Windows then
    # mean the same thing.
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unescape(body: str, offset: int, is_bytes: bool, triple: bool) -> str | bytes:
    """Resolve escapes in a non-raw string body; offset locates body in the expression."""
    parts: list[str] = []
    out = bytearray()
    pos = 0
    while (slash := body.find("\\", pos)) >= 0:
        chunk = _normalize_newlines(body[pos:slash]) if triple else body[pos:slash]
        code, pos = _escape(body, slash, offset, is_bytes)
        if is_bytes:
            out += chunk.encode()
            out.append(code)
        else:
            parts.append(chunk)
            parts.append(chr(code))
    tail = _normalize_newlines(body[pos:]) if triple else body[pos:]
    if is_bytes:
        out += tail.encode()
        return bytes(out)
    parts.append(tail)
    return "".join(parts)


def _escape(body: str, slash: int, offset: int, is_bytes: bool) -> tuple[int, int]:
    """The code point (string) or octet (bytes) of the escape at body[slash], and its end."""
    m = _ESCAPE_RE.match(body, slash)
    if m is None:
        raise CelSyntaxError(f"invalid escape sequence '{body[slash : slash + 2]}'", offset + slash)
    simple, hex2, hex4, hex8, octal = m.groups()
    if simple:
        return _SIMPLE_ESCAPES[simple], m.end()
    if hex2 or octal:
        return (int(hex2, 16) if hex2 else int(octal, 8)), m.end()
    if is_bytes:
        message = f"invalid escape sequence '{body[slash : slash + 2]}' in bytes literal"
        raise CelSyntaxError(message, offset + slash)
    code = int(hex4 or hex8, 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise CelSyntaxError(f"invalid code point in escape '{m.group()}'", offset + slash)
    return code, m.end()


# --- parser --------------------------------------------------------------------------

# Binary operators by precedence (higher binds tighter); all left-associative.
_BINARY: dict[str, tuple[int, BinaryOp]] = {
    "||": (1, "||"),
    "&&": (2, "&&"),
    "==": (3, "=="),
    "!=": (3, "!="),
    "<": (3, "<"),
    "<=": (3, "<="),
    ">": (3, ">"),
    ">=": (3, ">="),
    "in": (3, "in"),
    "+": (4, "+"),
    "-": (4, "-"),
    "*": (5, "*"),
    "/": (5, "/"),
    "%": (5, "%"),
}
_NOT_BINARY: tuple[int, BinaryOp] = (0, "+")

# Receiver macros: name -> accepted argument counts (the bound variable included).
_RECEIVER_MACROS: dict[str, tuple[MacroName, tuple[int, ...]]] = {
    "all": ("all", (2,)),
    "exists": ("exists", (2,)),
    "exists_one": ("exists_one", (2,)),
    "filter": ("filter", (2,)),
    "map": ("map", (2, 3)),
}

_T = TypeVar("_T")


class _Parser:
    """Recursive descent over the token list; binary operators by precedence climbing."""

    __slots__ = ("depth", "pos", "text", "toks")

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[_Token] = []
        self.pos = 0
        self.depth = 0

    def offset(self) -> int:
        """Where the parser is: the start of the current token."""
        if not self.toks:
            return 0
        return int(self.toks[min(self.pos, len(self.toks) - 1)][2])

    def parse(self) -> Node:
        if self.toks[0][0] == "EOF":
            raise CelSyntaxError("empty expression", self.toks[0][2])
        node = self.expr()
        if self.toks[self.pos][0] != "EOF":
            self.fail(self.pos)
        return node

    # Expr = ConditionalOr ["?" ConditionalOr ":" Expr]
    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep()
        node = self.binary(1)
        if self.toks[self.pos][0] == "?":
            self.pos += 1
            then = self.binary(1)
            self.expect(":", "expected ':'")
            otherwise = self.expr()
            node = Conditional(node, then, otherwise, node.start, otherwise.end)
        self.depth -= 1
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        toks = self.toks
        prec, op = _BINARY.get(toks[self.pos][0], _NOT_BINARY)
        if prec < min_prec:
            return left
        depth = self.depth
        while prec >= min_prec:
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.too_deep()
            right = self.binary(prec + 1)
            left = Binary(op, left, right, left.start, right.end)
            prec, op = _BINARY.get(toks[self.pos][0], _NOT_BINARY)
        self.depth = depth
        return left

    # Unary = Member | "!" {"!"} Member | "-" {"-"} Member   (no mixing, as in the spec)
    def unary(self) -> Node:
        toks = self.toks
        op = toks[self.pos][0]
        if op != "!" and op != "-":
            return self.member()
        pos = self.pos
        starts = []
        while toks[pos][0] == op:
            starts.append(toks[pos][2])
            pos += 1
        if op == "-" and _is_number(toks[pos]):
            pos -= 1  # the last '-' is the literal's sign; primary() takes it
            starts.pop()
        self.pos = pos
        self.depth += len(starts)
        if self.depth > MAX_DEPTH:
            self.too_deep()
        node = self.member()
        for start in reversed(starts):
            node = Unary("!" if op == "!" else "-", node, start, node.end)
        self.depth -= len(starts)
        return node

    # Member = Primary | Member "." SELECTOR ["(" [ExprList] ")"] | Member "[" Expr "]"
    def member(self) -> Node:
        node = self.primary()
        kind = self.toks[self.pos][0]
        if kind != "." and kind != "[":
            return node
        toks = self.toks
        start = node.start
        depth = self.depth
        while kind == "." or kind == "[":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.too_deep()
            if kind == "[":
                self.pos += 1
                index = self.expr()
                node = Index(node, index, start, self.expect("]", "expected ']'"))
            else:
                field = toks[self.pos + 1]
                if field[0] != "ID" and field[0] != "QID":
                    self.fail(self.pos + 1, "expected field name after '.'")
                self.pos += 2
                if toks[self.pos][0] == "(" and field[0] == "ID":
                    args, end = self.call_args()
                    node = _receiver_call(node, field[1], args, start, end)
                else:
                    node = Select(node, field[1], start, field[3])
            kind = toks[self.pos][0]
        self.depth = depth
        return node

    def primary(self) -> Node:
        tok = self.toks[self.pos]
        kind = tok[0]
        if kind == "ID":
            return self.name(tok[2], "")
        if kind == "LIT":
            self.pos += 1
            lit: Literal = tok[1]
            if lit.kind == "int" and isinstance(lit.value, int) and lit.value > _INT64_MAX:
                raise CelSyntaxError("integer literal out of range", tok[2])
            return lit
        if kind == "(":
            self.pos += 1
            inner = self.expr()
            return _respan(inner, tok[2], self.expect(")", "expected ')'"))
        if kind == "[":
            self.pos += 1
            elements, end = self.sequence("]", self.expr)
            return ListLit(tuple(elements), tok[2], end)
        if kind == "{":
            self.pos += 1
            entries, end = self.sequence("}", self.map_entry)
            return MapLit(tuple(entries), tok[2], end)
        if kind == "." and self.toks[self.pos + 1][0] == "ID":
            self.pos += 1
            return self.name(tok[2], ".")
        if kind == "-" and _is_number(self.toks[self.pos + 1]):
            return self.negative_number(tok[2])
        self.fail(self.pos)

    def negative_number(self, start: int) -> Literal:
        lit: Literal = self.toks[self.pos + 1][1]
        self.pos += 2
        value = -cast("int | float", lit.value)  # _is_number() checked the kind
        if lit.kind == "int" and value < -_INT64_MAX - 1:
            raise CelSyntaxError("integer literal out of range", start)
        return Literal(value, lit.kind, start, lit.end)

    # ["."] IDENT ["(" [ExprList] ")"]  |  ["."] SELECTOR {"." SELECTOR} "{" ... "}"
    def name(self, start: int, dot: str) -> Node:
        toks = self.toks
        tok = toks[self.pos]
        after = self.pos + 1
        while toks[after][0] == "." and toks[after + 1][0] == "ID":
            after += 2
        if toks[after][0] == "{":
            return self.message(start, dot, after)
        self.pos += 1
        name: str = tok[1]
        if name in RESERVED_WORDS:
            raise CelSyntaxError(f"'{name}' is a reserved word", tok[2])
        if toks[self.pos][0] != "(":
            return Ident(dot + name, start, tok[3])
        args, end = self.call_args()
        if name == "has" and not dot and len(args) == 1:
            if not isinstance(args[0], Select):
                raise CelSyntaxError("has() needs a field selection", args[0].start)
            return Macro("has", None, None, args, start, end)
        return Call(dot + name, None, args, start, end)

    def message(self, start: int, dot: str, brace: int) -> MessageLit:
        type_name = dot + ".".join([self.toks[i][1] for i in range(self.pos, brace, 2)])
        self.pos = brace + 1
        fields, end = self.sequence("}", self.field_init)
        return MessageLit(type_name, tuple(fields), start, end)

    def field_init(self) -> tuple[str, Node]:
        tok = self.toks[self.pos]
        if tok[0] != "ID":
            self.fail(self.pos, "expected field name")
        self.pos += 1
        self.expect(":", "expected ':'")
        return (tok[1], self.expr())

    def map_entry(self) -> tuple[Node, Node]:
        key = self.expr()
        self.expect(":", "expected ':'")
        return (key, self.expr())

    def call_args(self) -> tuple[tuple[Node, ...], int]:
        """Parse "(" [Expr {"," Expr}] ")" (no trailing comma, per the grammar)."""
        toks = self.toks
        self.pos += 1
        args = []
        if toks[self.pos][0] != ")":
            args.append(self.expr())
            while toks[self.pos][0] == ",":
                self.pos += 1
                args.append(self.expr())
        end = self.expect(")", "expected ',' or ')'" if args else "expected ')'")
        return tuple(args), end

    def sequence(self, closer: str, item: Callable[[], _T]) -> tuple[list[_T], int]:
        """Parse [item {"," item}] [","] closer, after the opener (the grammar allows "[,]")."""
        toks = self.toks
        items = []
        kind = toks[self.pos][0]
        if kind != closer and kind != ",":
            items.append(item())
            while toks[self.pos][0] == "," and toks[self.pos + 1][0] != closer:
                self.pos += 1
                items.append(item())
        if toks[self.pos][0] == ",":
            self.pos += 1
            return items, self.expect(closer, f"expected '{closer}'")
        return items, self.expect(closer, f"expected ',' or '{closer}'")

    def expect(self, kind: str, message: str) -> int:
        """Consume a token of this kind and return its end offset, or fail with message."""
        tok = self.toks[self.pos]
        if tok[0] != kind:
            self.fail(self.pos, message)
        self.pos += 1
        return int(tok[3])

    def too_deep(self) -> NoReturn:
        raise CelSyntaxError(_TOO_DEEP, self.offset())

    def fail(self, index: int, message: str = "") -> NoReturn:
        """Raise the error for toks[index]: its lexical error if it is one, else message."""
        tok = self.toks[index]
        if tok[0] == "ERR":
            raise tok[1]
        prev = self.toks[index - 1] if index else tok
        if tok[0] == "ID" and _is_number(prev) and prev[3] == tok[2]:
            # "0x", "1e", "12abc": one mistyped number, not a number then a name.
            text = self.text[prev[2] : tok[3]]
            raise CelSyntaxError(f"invalid number literal '{text}'", prev[2])
        raise CelSyntaxError(message or self.unexpected(tok), tok[2])

    def unexpected(self, tok: _Token) -> str:
        kind = tok[0]
        if kind == "EOF":
            return "unexpected end of expression"
        if kind == "ID":
            return f"unexpected identifier '{tok[1]}'"
        if kind == "LIT" and tok[1].kind in ("string", "bytes"):
            return f"unexpected {tok[1].kind} literal"
        text = self.text[tok[2] : tok[3]]
        return f"unexpected '{text}'"


def _is_number(tok: _Token) -> bool:
    return tok[0] == "LIT" and tok[1].kind in ("int", "double")


def _respan(node: Node, start: int, end: int) -> Node:
    """The node with its span widened to cover the parentheses around it."""
    node_type: Any = type(node)  # every node type takes its fields, then start and end
    rebuilt: Node = node_type(*node.field_values()[:-2], start, end)
    return rebuilt


def _receiver_call(target: Node, name: str, args: tuple[Node, ...], start: int, end: int) -> Node:
    macro = _RECEIVER_MACROS.get(name)
    if macro is not None and len(args) in macro[1]:
        var = args[0]
        if isinstance(var, Ident) and not var.name.startswith("."):
            return Macro(macro[0], target, var.name, args[1:], start, end)
    return Call(name, target, args, start, end)
