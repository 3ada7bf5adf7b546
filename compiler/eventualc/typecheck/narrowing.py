"""Narrowing: which values a CEL condition proves are not null.

``non_null(node, holds)`` returns the paths (``("steps", "pay", "output")``,
``("input", "card")``) whose values cannot be null where ``node`` evaluated to
``holds``: ``x != null`` and ``has(x.f)`` (for ``x``) when true, ``x == null`` when
false, through ``!``, ``&&`` (when true) and ``||`` (when false). The type checker reads such a path
without ``null`` in its type: in the ``then`` of ``?:`` and of an ``if`` step, after an
``if`` whose other branch cannot complete, and on the right of ``&&`` and ``||``.
"""

from __future__ import annotations

from eventual.cel import nodes as n

Path = tuple[str, ...]


def path_of(node: n.Node) -> Path | None:
    """``a.b.c`` or ``a["b"]`` as a path of names; ``None`` for anything else."""
    if isinstance(node, n.Ident):
        return (node.name.lstrip("."),)
    if isinstance(node, n.Select):
        inner = path_of(node.operand)
        return None if inner is None else (*inner, node.field)
    if isinstance(node, n.Index) and isinstance(node.index, n.Literal):
        inner = path_of(node.operand)
        key = node.index.value
        return None if inner is None or not isinstance(key, str) else (*inner, key)
    return None


def non_null(node: n.Node, holds: bool) -> frozenset[Path]:
    """The paths that are not null when ``node`` evaluates to ``holds``."""
    if isinstance(node, n.Unary) and node.op == "!":
        return non_null(node.operand, not holds)
    if isinstance(node, n.Binary):
        if node.op in ("&&", "||"):
            both = node.op == "&&"
            if holds != both:  # a false `&&` or a true `||` proves nothing about either side
                return frozenset()
            return non_null(node.left, holds) | non_null(node.right, holds)
        if node.op in ("==", "!=") and holds == (node.op == "!="):
            return _compared_with_null(node)
    if isinstance(node, n.Macro) and node.name == "has" and holds:
        # `has(x.f)` says the key is present, which it may be with a null value: only `x`
        # (which `has` would have failed on) is surely not null.
        path = path_of(node.args[0])
        return _prefixes(path[:-1] if path else None)
    return frozenset()


def _compared_with_null(node: n.Binary) -> frozenset[Path]:
    for side, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(other, n.Literal) and other.kind == "null":
            return _prefixes(path_of(side))
    return frozenset()


def _prefixes(path: Path | None) -> frozenset[Path]:
    """A path and every path above it: when ``a.b`` is not null, neither is ``a``."""
    if path is None:
        return frozenset()
    return frozenset(path[:i] for i in range(1, len(path) + 1))
