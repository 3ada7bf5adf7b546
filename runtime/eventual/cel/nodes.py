"""The CEL abstract syntax tree: immutable, slotted node classes with source offsets.

Every node carries ``start`` and ``end``: 0-based character offsets into the expression
text, ``end`` exclusive. A parenthesised expression has no node of its own; its inner node's
span is widened to cover the parentheses, so a parent's span always covers its children.

The nodes behave like ``@dataclass(frozen=True, slots=True)`` classes: positional or keyword
construction in field order (``start`` and ``end`` last), equality, hashing, ``repr``,
``__match_args__`` for ``match`` statements, pickling and copying, and assigning a field
raises ``AttributeError``. ``typing.dataclass_transform`` on the base makes type checkers
treat them as frozen dataclasses too. They are written out by hand because importing
``dataclasses`` (which pulls in ``inspect``) and generating a dozen classes costs about
10 ms, twice this package's import budget. ``type(node).__match_args__`` lists the fields in
constructor order and ``type(node)(*node.field_values())`` rebuilds a node, which covers
what ``dataclasses.fields`` and ``dataclasses.replace`` would be used for.

Names keep CEL's leading-dot marker for root-scoped names: ``.a`` parses to
``Ident(".a")``, ``.f(x)`` to ``Call(".f", None, ...)`` and ``.pkg.Msg{}`` to
``MessageLit(".pkg.Msg", ...)``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any, TypeAlias

LiteralKind = typing.Literal["int", "uint", "double", "string", "bytes", "bool", "null"]
LiteralValue: TypeAlias = int | float | str | bytes | bool | None
UnaryOp = typing.Literal["!", "-"]
BinaryOp = typing.Literal[
    "||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"
]
MacroName = typing.Literal["has", "all", "exists", "exists_one", "map", "filter"]

# object.__setattr__ bypasses the frozen __setattr__ below; constructors use it.
_set = object.__setattr__


# frozen_default is understood by type checkers; typing accepts it on 3.11 as an extra kwarg.
@typing.dataclass_transform(eq_default=True, frozen_default=True)
class Frozen:
    """Base of the immutable value classes: dataclass-style eq, hash, repr, pickling.

    Subclasses list their fields in ``__match_args__`` (and ``__slots__``), in constructor
    order.
    """

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()

    def field_values(self) -> tuple[Any, ...]:
        """The field values in ``__match_args__`` order (what the constructor takes)."""
        return tuple([getattr(self, name) for name in self.__match_args__])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of an immutable node")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of an immutable node")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self.field_values() == other.field_values()

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, *self.field_values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{self.__class__.__name__}({fields})"

    def __reduce__(self) -> tuple[type[Frozen], tuple[Any, ...]]:
        # Slotted classes with a blocking __setattr__ need this for pickle and copy.
        return (self.__class__, self.field_values())


class Literal(Frozen):
    """A constant: ``1``, ``1u``, ``1.5``, ``"s"``, ``b"s"``, ``true``, ``null``.

    A ``-`` written directly before an int or double literal is folded into it (``-1`` is
    ``Literal(-1, "int")``, spanning the sign), so that ``-9223372036854775808`` is
    expressible; any other negation is a ``Unary`` node.
    """

    __match_args__ = ("value", "kind", "start", "end")
    __slots__ = __match_args__
    value: LiteralValue
    kind: LiteralKind
    start: int
    end: int

    def __init__(self, value: LiteralValue, kind: LiteralKind, start: int, end: int) -> None:
        _set(self, "value", value)
        _set(self, "kind", kind)
        _set(self, "start", start)
        _set(self, "end", end)


class Ident(Frozen):
    """A name: ``x``, or ``.x`` (resolved in the root scope only)."""

    __match_args__ = ("name", "start", "end")
    __slots__ = __match_args__
    name: str
    start: int
    end: int

    def __init__(self, name: str, start: int, end: int) -> None:
        _set(self, "name", name)
        _set(self, "start", start)
        _set(self, "end", end)


class Select(Frozen):
    """Field selection ``operand.field`` (a qualified name ``a.b.c`` is a Select chain)."""

    __match_args__ = ("operand", "field", "start", "end")
    __slots__ = __match_args__
    operand: Node
    field: str
    start: int
    end: int

    def __init__(self, operand: Node, field: str, start: int, end: int) -> None:
        _set(self, "operand", operand)
        _set(self, "field", field)
        _set(self, "start", start)
        _set(self, "end", end)


class Index(Frozen):
    """Indexing ``operand[index]``."""

    __match_args__ = ("operand", "index", "start", "end")
    __slots__ = __match_args__
    operand: Node
    index: Node
    start: int
    end: int

    def __init__(self, operand: Node, index: Node, start: int, end: int) -> None:
        _set(self, "operand", operand)
        _set(self, "index", index)
        _set(self, "start", start)
        _set(self, "end", end)


class Call(Frozen):
    """A global call ``f(args)`` (target None) or a receiver call ``target.f(args)``."""

    __match_args__ = ("function", "target", "args", "start", "end")
    __slots__ = __match_args__
    function: str
    target: Node | None
    args: tuple[Node, ...]
    start: int
    end: int

    def __init__(
        self, function: str, target: Node | None, args: tuple[Node, ...], start: int, end: int
    ) -> None:
        _set(self, "function", function)
        _set(self, "target", target)
        _set(self, "args", args)
        _set(self, "start", start)
        _set(self, "end", end)


class Unary(Frozen):
    """``!operand`` or ``-operand``; repeated operators nest (``!!x`` is two nodes)."""

    __match_args__ = ("op", "operand", "start", "end")
    __slots__ = __match_args__
    op: UnaryOp
    operand: Node
    start: int
    end: int

    def __init__(self, op: UnaryOp, operand: Node, start: int, end: int) -> None:
        _set(self, "op", op)
        _set(self, "operand", operand)
        _set(self, "start", start)
        _set(self, "end", end)


class Binary(Frozen):
    """``left op right``; every binary operator is left-associative."""

    __match_args__ = ("op", "left", "right", "start", "end")
    __slots__ = __match_args__
    op: BinaryOp
    left: Node
    right: Node
    start: int
    end: int

    def __init__(self, op: BinaryOp, left: Node, right: Node, start: int, end: int) -> None:
        _set(self, "op", op)
        _set(self, "left", left)
        _set(self, "right", right)
        _set(self, "start", start)
        _set(self, "end", end)


class Conditional(Frozen):
    """``cond ? then : otherwise`` (right-associative)."""

    __match_args__ = ("cond", "then", "otherwise", "start", "end")
    __slots__ = __match_args__
    cond: Node
    then: Node
    otherwise: Node
    start: int
    end: int

    def __init__(self, cond: Node, then: Node, otherwise: Node, start: int, end: int) -> None:
        _set(self, "cond", cond)
        _set(self, "then", then)
        _set(self, "otherwise", otherwise)
        _set(self, "start", start)
        _set(self, "end", end)


class ListLit(Frozen):
    """``[a, b]``."""

    __match_args__ = ("elements", "start", "end")
    __slots__ = __match_args__
    elements: tuple[Node, ...]
    start: int
    end: int

    def __init__(self, elements: tuple[Node, ...], start: int, end: int) -> None:
        _set(self, "elements", elements)
        _set(self, "start", start)
        _set(self, "end", end)


class MapLit(Frozen):
    """``{k: v, ...}``; entries keep source order and duplicates (checking is not syntax)."""

    __match_args__ = ("entries", "start", "end")
    __slots__ = __match_args__
    entries: tuple[tuple[Node, Node], ...]
    start: int
    end: int

    def __init__(self, entries: tuple[tuple[Node, Node], ...], start: int, end: int) -> None:
        _set(self, "entries", entries)
        _set(self, "start", start)
        _set(self, "end", end)


class MessageLit(Frozen):
    """Message construction ``pkg.Type{field: value, ...}``; type_name is dotted."""

    __match_args__ = ("type_name", "fields", "start", "end")
    __slots__ = __match_args__
    type_name: str
    fields: tuple[tuple[str, Node], ...]
    start: int
    end: int

    def __init__(
        self, type_name: str, fields: tuple[tuple[str, Node], ...], start: int, end: int
    ) -> None:
        _set(self, "type_name", type_name)
        _set(self, "fields", fields)
        _set(self, "start", start)
        _set(self, "end", end)


class Macro(Frozen):
    """A CEL macro call.

    ``has(a.b)``: name "has", target None, var None, args ``(Select,)``.
    ``e.all(x, p)``, ``e.exists(x, p)``, ``e.exists_one(x, p)``, ``e.filter(x, p)``,
    ``e.map(x, t)``: target ``e``, var ``"x"``, args ``(p,)`` or ``(t,)``.
    ``e.map(x, p, t)``: args ``(p, t)``.
    """

    __match_args__ = ("name", "target", "var", "args", "start", "end")
    __slots__ = __match_args__
    name: MacroName
    target: Node | None
    var: str | None
    args: tuple[Node, ...]
    start: int
    end: int

    def __init__(
        self,
        name: MacroName,
        target: Node | None,
        var: str | None,
        args: tuple[Node, ...],
        start: int,
        end: int,
    ) -> None:
        _set(self, "name", name)
        _set(self, "target", target)
        _set(self, "var", var)
        _set(self, "args", args)
        _set(self, "start", start)
        _set(self, "end", end)


Node: TypeAlias = (
    Literal
    | Ident
    | Select
    | Index
    | Call
    | Unary
    | Binary
    | Conditional
    | ListLit
    | MapLit
    | MessageLit
    | Macro
)

NODE_TYPES: tuple[type[Frozen], ...] = typing.get_args(Node)


def children(node: Node) -> Iterator[Node]:
    """The direct child nodes of ``node``, in source order."""
    for value in node.field_values():
        if isinstance(value, NODE_TYPES):
            yield typing.cast(Node, value)
        elif isinstance(value, tuple):
            for item in value:
                # Items are nodes (args, elements) or pairs (map entries, message fields).
                for sub in item if isinstance(item, tuple) else (item,):
                    if isinstance(sub, NODE_TYPES):
                        yield typing.cast(Node, sub)
