"""Static type inference for CEL expressions over JSON-Schema types.

``infer(node, scope, env)`` returns the expression's ``Type`` and appends a
``Problem`` (code, offsets, message) for each fault: E401 unknown variable, E402
unknown field, E403 a step that may not have run here, E404 an operator or function
applied to the wrong types, E406 a constant ``matches`` pattern that RE2 rejects, E407
unknown step, E408 unknown function, E409 a variable that may not be set here. Mixed
int/double arithmetic is allowed, as JSON numbers mix them; ``uint`` mixes only with
``uint``. Untyped (``dyn``) operands are accepted everywhere. ``type(x)`` and type names
have the type ``TYPE``. The evaluator (``eventual.cel``) accepts at least what this
accepts: an expression without problems here fails at run time on values (a missing
key, an overflow), and with a type error only in the few known cases that
``tests/cel/test_cel_evaluate.py`` lists (KNOWN_DISAGREEMENTS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventual.cel import nodes as n
from eventual.cel.regex import regex_problem
from eventual.cel.values import TYPE_NAMES
from eventualc.diagnostics import did_you_mean
from eventualc.typecheck.narrowing import Path, non_null, path_of
from eventualc.typecheck.values import (
    BOOL,
    BYTES,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    NULL,
    NUMERIC,
    STRING,
    TIMESTAMP,
    ListOf,
    MapOf,
    Object,
    Scalar,
    Type,
    TypeEnv,
    Union,
    union,
    without_null,
)  # fmt: skip

# CEL types JSON has no form for: ``1u``/``uint(x)`` and type values (``type(x)``, ``int``).
UINT = Scalar("uint")
TYPE = Scalar("type")
_NUMBERS = NUMERIC | {"uint"}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    start: int
    end: int
    message: str


@dataclass(frozen=True, slots=True)
class Namespace(Type):
    """``steps`` or ``vars``: known names, of which only ``available`` may be read here."""

    kind: str  # "steps" | "vars"
    available: tuple[tuple[str, Type], ...]
    known: frozenset[str]

    def describe(self) -> str:
        return self.kind


@dataclass
class Inference:
    scope: dict[str, Type]
    env: TypeEnv
    problems: list[Problem] = field(default_factory=list)
    non_null: frozenset[Path] = frozenset()  # paths a condition proved are not null

    def fail(self, code: str, node: n.Node, message: str) -> Type:
        self.problems.append(Problem(code, node.start, node.end, message))
        return DYN

    def infer(self, node: n.Node) -> Type:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            return self.fail("E408", node, "message construction is not supported here")
        found = handler(self, node)
        narrowed = self.non_null and isinstance(node, n.Ident | n.Select | n.Index)
        if narrowed and path_of(node) in self.non_null:
            return without_null(found, self.env)
        return found

    def infer_knowing(self, node: n.Node, proved: frozenset[Path]) -> Type:
        """The type of ``node`` where the ``proved`` paths are not null."""
        outer = self.non_null
        self.non_null = outer | proved
        try:
            return self.infer(node)
        finally:
            self.non_null = outer

    def expanded(self, node: n.Node) -> Type:
        return self.env.expand(self.infer(node))


def infer(
    node: n.Node, scope: dict[str, Type], env: TypeEnv, non_null: frozenset[Path] = frozenset()
) -> tuple[Type, list[Problem]]:
    inference = Inference(scope, env, non_null=non_null)
    result = inference.infer(node)
    return result, inference.problems


def _literal(inf: Inference, node: n.Literal) -> Type:
    kinds = {
        "int": INT,
        "uint": UINT,
        "double": DOUBLE,
        "string": STRING,
        "bytes": BYTES,
        "bool": BOOL,
    }
    return kinds.get(node.kind, NULL)


def _ident(inf: Inference, node: n.Ident) -> Type:
    name = node.name.lstrip(".")
    if name in inf.scope:
        return inf.scope[name]
    if name in TYPE_NAMES:
        return TYPE
    return inf.fail("E401", node, f"unknown variable '{name}'{did_you_mean(name, inf.scope)}")


def _select(inf: Inference, node: n.Select) -> Type:
    if _qualified_name(node) in TYPE_NAMES and _root(node).lstrip(".") not in inf.scope:
        return TYPE  # google.protobuf.Timestamp
    operand = inf.expanded(node.operand)
    return select(inf, operand, node.field, node)


def _qualified_name(node: n.Node) -> str | None:
    """``a.b.c`` for a chain of selections on an identifier, else None."""
    if isinstance(node, n.Ident):
        return node.name.lstrip(".")
    if isinstance(node, n.Select):
        base = _qualified_name(node.operand)
        return None if base is None else f"{base}.{node.field}"
    return None


def _root(node: n.Select) -> str:
    base: n.Node = node
    while isinstance(base, n.Select):
        base = base.operand
    return base.name if isinstance(base, n.Ident) else ""


def select(inf: Inference, operand: Type, name: str, node: n.Node) -> Type:
    if isinstance(operand, Namespace):
        return _namespace_field(inf, operand, name, node)
    if operand == DYN:
        return DYN
    if isinstance(operand, Union):
        options = [o for o in (inf.env.expand(x) for x in operand.options) if o != NULL]
        return union(*(select(inf, o, name, node) for o in options)) if options else DYN
    if isinstance(operand, Object):
        found = operand.field(name)
        if found is None:
            hint = did_you_mean(name, [k for k, _ in operand.fields])
            return inf.fail("E402", node, f"unknown field '{name}' of {operand.describe()}{hint}")
        return found
    if isinstance(operand, MapOf):
        return operand.value
    return inf.fail("E404", node, f"cannot select field '{name}' of a {operand.describe()}")


def _namespace_field(inf: Inference, space: Namespace, name: str, node: n.Node) -> Type:
    available = dict(space.available)
    if name in available:
        return available[name]
    if space.kind == "steps":
        if name in space.known:
            return inf.fail("E403", node, f"step '{name}' may not have run here")
        return inf.fail("E407", node, f"unknown step '{name}'{did_you_mean(name, space.known)}")
    if name in space.known:
        return inf.fail("E409", node, f"variable 'vars.{name}' may not be set here")
    return inf.fail(
        "E409", node, f"variable 'vars.{name}' is never set{did_you_mean(name, space.known)}"
    )


def _index(inf: Inference, node: n.Index) -> Type:
    operand, index = inf.expanded(node.operand), inf.expanded(node.index)
    if operand == DYN:
        return DYN
    if isinstance(operand, ListOf):
        _expect(inf, node.index, index, "int|uint", "a list index")
        return operand.item
    if isinstance(operand, Object | MapOf | Namespace):
        if isinstance(node.index, n.Literal) and isinstance(node.index.value, str):
            return select(inf, operand, node.index.value, node.index)
        _expect(inf, node.index, index, "string", "a map key")
        return operand.value if isinstance(operand, MapOf) else DYN
    return inf.fail("E404", node, f"cannot index a {operand.describe()}")


def _expect(inf: Inference, node: n.Node, actual: Type, kind: str, what: str) -> None:
    if not _is(actual, *kind.split("|")):
        wanted = kind.replace("|", " or ")
        inf.fail("E404", node, f"{what} must be {wanted}, not {actual.describe()}")


def _is(t: Type, *kinds: str) -> bool:
    """True when ``t`` may be one of ``kinds`` (``number`` means int, uint or double)."""
    if t == DYN:
        return True
    if isinstance(t, Union):
        return all(_is(o, *kinds) for o in t.options if o != NULL)
    wanted = set(kinds) | (_NUMBERS if "number" in kinds else set())
    if isinstance(t, Scalar):
        return t.kind in wanted
    if isinstance(t, ListOf):
        return "list" in wanted
    return "map" in wanted if isinstance(t, MapOf | Object) else False


def _may_be(t: Type, kind: str) -> bool:
    """True when some value of ``t`` (not ``dyn``) is of ``kind``."""
    if isinstance(t, Union):
        return any(_may_be(o, kind) for o in t.options)
    return isinstance(t, Scalar) and t.kind == kind


def _unary(inf: Inference, node: n.Unary) -> Type:
    operand = inf.expanded(node.operand)
    if node.op == "!":
        _expect(inf, node.operand, operand, "bool", "the operand of '!'")
        return BOOL
    if not _is(operand, "int", "double", "duration"):
        return inf.fail("E404", node, f"cannot negate a {operand.describe()}")
    return operand if operand != DYN else DYN


def _binary(inf: Inference, node: n.Binary) -> Type:
    op = node.op
    left = inf.expanded(node.left)
    if op in ("&&", "||"):  # the right side is evaluated knowing what the left proved
        right = inf.env.expand(inf.infer_knowing(node.right, non_null(node.left, op == "&&")))
    else:
        right = inf.expanded(node.right)
    if op in ("&&", "||"):
        _expect(inf, node.left, left, "bool", f"the left side of '{op}'")
        _expect(inf, node.right, right, "bool", f"the right side of '{op}'")
        return BOOL
    if op == "in":
        if not _is(right, "list", "map"):
            inf.fail(
                "E404", node.right, f"'in' needs a list or map on the right, not {right.describe()}"
            )
        return BOOL
    if op in ("==", "!=", "<", "<=", ">", ">="):
        _comparable(inf, node, left, right)
        return BOOL
    result = _arithmetic(op, left, right)
    if result is None:
        return inf.fail(
            "E404", node, f"cannot apply '{op}' to {left.describe()} and {right.describe()}"
        )
    return result


def _family(t: Type) -> str | None:
    if t in (DYN, NULL):
        return None
    if isinstance(t, Scalar):
        return "number" if t.kind in _NUMBERS else t.kind
    if isinstance(t, Union):
        families = {_family(o) for o in t.options} - {None}
        return families.pop() if len(families) == 1 else None
    return "list" if isinstance(t, ListOf) else "map"


def _comparable(inf: Inference, node: n.Binary, left: Type, right: Type) -> None:
    a, b = _family(left), _family(right)
    if a is not None and b is not None and a != b:
        inf.fail("E404", node, f"cannot compare {left.describe()} with {right.describe()}")
    elif node.op not in ("==", "!=") and a in ("list", "map", "null", "type"):
        inf.fail("E404", node, f"'{node.op}' does not order {left.describe()} values")


def _arithmetic(op: str, left: Type, right: Type) -> Type | None:
    if DYN in (left, right):
        return DYN
    families = (_family(left), _family(right))
    if families == ("number", "number"):
        if _may_be(left, "uint") or _may_be(right, "uint"):  # uint mixes with uint only
            return UINT if _is(left, "uint") and _is(right, "uint") else None
        both_int = _is(left, "int") and _is(right, "int")
        if op == "%" and not both_int:
            return None
        return INT if both_int else DOUBLE
    if op == "+" and families[0] == families[1] and families[0] in ("string", "bytes", "list"):
        return left if left == right else union(left, right)
    return _TEMPORAL.get((op, *families))


_TEMPORAL: dict[tuple[str, str | None, str | None], Type] = {
    ("+", "timestamp", "duration"): TIMESTAMP,
    ("+", "duration", "timestamp"): TIMESTAMP,
    ("+", "duration", "duration"): DURATION,
    ("-", "timestamp", "timestamp"): DURATION,
    ("-", "timestamp", "duration"): TIMESTAMP,
    ("-", "duration", "duration"): DURATION,
}


def _conditional(inf: Inference, node: n.Conditional) -> Type:
    _expect(inf, node.cond, inf.expanded(node.cond), "bool", "a condition")
    return union(
        inf.infer_knowing(node.then, non_null(node.cond, True)),
        inf.infer_knowing(node.otherwise, non_null(node.cond, False)),
    )


def _list(inf: Inference, node: n.ListLit) -> Type:
    return ListOf(union(*(inf.infer(e) for e in node.elements)) if node.elements else DYN)


def _map(inf: Inference, node: n.MapLit) -> Type:
    keys = [k for k, _ in node.entries]
    if all(isinstance(k, n.Literal) and isinstance(k.value, str) for k in keys):
        fields = tuple((str(k.value), inf.infer(v)) for k, v in node.entries)  # type: ignore[union-attr]
        return Object(fields, frozenset(name for name, _ in fields))
    for key in keys:
        inf.infer(key)
    return MapOf(union(*(inf.infer(v) for _, v in node.entries)) if node.entries else DYN)


def _macro(inf: Inference, node: n.Macro) -> Type:
    if node.name == "has":
        arg = node.args[0]
        if isinstance(arg, n.Select):
            inf.infer(arg)
        return BOOL
    assert node.target is not None and node.var is not None
    target = inf.expanded(node.target)
    if isinstance(target, ListOf):
        item = target.item
    elif isinstance(target, MapOf | Object):
        item = STRING
    elif target == DYN:
        item = DYN
    else:
        return inf.fail(
            "E404", node.target, f"'{node.name}' needs a list or map, not {target.describe()}"
        )
    known = frozenset(p for p in inf.non_null if p[0] != node.var)  # the variable hides them
    inner = Inference({**inf.scope, node.var: item}, inf.env, inf.problems, known)
    results = [inner.infer(a) for a in node.args]
    if node.name in ("all", "exists", "exists_one", "filter"):
        _expect(
            inner,
            node.args[0],
            inf.env.expand(results[0]),
            "bool",
            f"the predicate of '{node.name}'",
        )
        if node.name == "filter":  # over a map, CEL filters (and returns) its keys
            return target if isinstance(target, ListOf) else ListOf(STRING)
        return BOOL
    if len(node.args) == 2:
        _expect(inner, node.args[0], inf.env.expand(results[0]), "bool", "the filter of 'map'")
    return ListOf(results[-1])


def _call(inf: Inference, node: n.Call) -> Type:
    name, target_node = _function(inf, node)
    target = inf.expanded(target_node) if target_node is not None else None
    args = [inf.expanded(a) for a in node.args]
    signature = FUNCTIONS.get(name)
    if signature is None:
        return inf.fail("E408", node, f"unknown function '{name}'{did_you_mean(name, FUNCTIONS)}")
    receiver_kinds, arg_kinds, result = signature
    operands = ([target] if target is not None else []) + args
    # A receiver function may be called globally, receiver first: size(x) is x.size().
    wanted = ([receiver_kinds] if receiver_kinds else []) + [k.rstrip("?") for k in arg_kinds]
    required = len(wanted) - sum(k.endswith("?") for k in arg_kinds)
    if not required <= len(operands) <= len(wanted) or (target is not None and not receiver_kinds):
        return inf.fail("E408", node, f"wrong number of arguments to '{name}'")
    _special_cases(inf, node, name, operands)
    operand_nodes = [target_node, *node.args] if target_node is not None else node.args
    for operand, kinds, arg in zip(operands, wanted, operand_nodes, strict=False):
        if not _is(operand, *kinds.split("|")):
            inf.fail(
                "E404",
                arg or node,
                f"'{name}' takes {kinds.replace('|', ' or ')}, not {operand.describe()}",
            )
    return result(operands) if callable(result) else result


def _function(inf: Inference, node: n.Call) -> tuple[str, n.Node | None]:
    """The function's name and receiver node; ``strings.quote(s)`` is a global function."""
    name = node.function.lstrip(".")
    target = node.target
    if isinstance(target, n.Ident) and target.name.lstrip(".") not in inf.scope:
        qualified = f"{target.name.lstrip('.')}.{name}"
        if qualified in FUNCTIONS:
            return qualified, None
    return name, target


def _special_cases(inf: Inference, node: n.Call, name: str, operands: list[Type]) -> None:
    if name == "join" and node.target is not None and operands:
        target = operands[0]
        item = inf.env.expand(target.item) if isinstance(target, ListOf) else DYN
        if not _is(item, "string"):
            inf.fail("E404", node, f"'join' needs a list of strings, not {target.describe()}")
    if name in _DURATION_PARTS and len(operands) == 2 and operands[0] == DURATION:
        inf.fail("E404", node, f"'{name}' of a duration takes no time zone")
    if name == "matches" and len(node.args) + (node.target is not None) == 2:
        pattern = node.args[-1]
        if isinstance(pattern, n.Literal) and isinstance(pattern.value, str):
            problem = regex_problem(pattern.value)
            if problem is not None:
                inf.fail("E406", pattern, f"invalid regular expression: {problem}")


_DURATION_PARTS = ("getHours", "getMinutes", "getSeconds", "getMilliseconds")
_TIME_PARTS = (
    "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
    *_DURATION_PARTS)  # fmt: skip
_ANY = "bool|number|string|bytes|list|map|null|timestamp|duration|type"
# name -> (receiver kinds, or "" for a global function; argument kinds, "?" marking optional
# trailing ones; result type). Kinds are alternatives separated by "|".
FUNCTIONS: dict[str, tuple[str, tuple[str, ...], Type | Callable[[list[Type]], Type]]] = {
    "size": ("string|bytes|list|map", (), INT),
    "contains": ("string", ("string",), BOOL),
    "startsWith": ("string", ("string",), BOOL),
    "endsWith": ("string", ("string",), BOOL),
    "matches": ("string", ("string",), BOOL),
    "lowerAscii": ("string", (), STRING),
    "upperAscii": ("string", (), STRING),
    "trim": ("string", (), STRING),
    "split": ("string", ("string", "int?"), ListOf(STRING)),
    "join": ("list", ("string?",), STRING),
    "charAt": ("string", ("int",), STRING),
    "indexOf": ("string", ("string", "int?"), INT),
    "lastIndexOf": ("string", ("string", "int?"), INT),
    "replace": ("string", ("string", "string", "int?"), STRING),
    "substring": ("string", ("int", "int?"), STRING),
    "reverse": ("string", (), STRING),
    "format": ("string", ("list",), STRING),
    "strings.quote": ("", ("string",), STRING),
    "int": ("", ("number|string|bool|timestamp",), INT),
    "uint": ("", ("number|string",), UINT),
    "double": ("", ("number|string",), DOUBLE),
    "string": ("", ("number|string|bool|bytes|timestamp|duration|null",), STRING),
    "bool": ("", ("bool|string",), BOOL),
    "bytes": ("", ("string|bytes",), BYTES),
    "timestamp": ("", ("string|number|timestamp",), TIMESTAMP),
    "duration": ("", ("string|duration",), DURATION),
    "dyn": ("", (_ANY,), DYN),
    "type": ("", (_ANY,), TYPE),
    **{part: ("timestamp", ("string?",), INT) for part in _TIME_PARTS},
    **{part: ("timestamp|duration", ("string?",), INT) for part in _DURATION_PARTS},
}

_HANDLERS: dict[type, Callable[[Inference, Any], Type]] = {
    n.Literal: _literal, n.Ident: _ident, n.Select: _select, n.Index: _index,
    n.Call: _call, n.Unary: _unary, n.Binary: _binary, n.Conditional: _conditional,
    n.ListLit: _list, n.MapLit: _map, n.Macro: _macro,
}  # fmt: skip
