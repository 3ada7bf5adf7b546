"""Reading an event pattern: validation, and ``$or`` expanded into sub-rules.

``expand(pattern)`` takes a pattern (JSON-like mappings and lists) and returns its
sub-rules, each a list of ``(field path, matchers)`` sorted like EventBridge sorts
field paths; a pattern matches an event if any sub-rule does. Matchers are normalized
``(kind, argument)`` pairs (``scalars`` holds the argument types). A pattern
EventBridge would reject raises :class:`PatternError`, whose ``at`` is the path of
the offending value inside the pattern (keys and list indexes), for a located error.

``$or`` follows aws/event-ruler, which reads a rule twice: first with ``"$or": [a, b,
...]`` (two or more objects, no reserved matcher names as fields) as a disjunction;
if that reading fails, as a legacy rule where ``$or`` is an ordinary field name (its
README, "The backward compatibility of using "$or" as field name in the rule"). So
``{"$or": {"a": [1]}}`` matches ``{"$or": {"a": 1}}``, and ``{"x": {"$or":
[{"numeric": [">", 0]}, {"prefix": "a"}]}}`` is the field ``x.$or`` with two matchers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from eventual.patterns import scalars
from eventual.patterns.scalars import Glob, ScalarError, comparable, finite, is_number

MAX_COMBINATIONS: Final = 1000  # "$or" combinations EventBridge accepts in one pattern

Path = tuple[str, ...]
At = tuple[str | int, ...]  # where in the pattern: keys and list indexes
Matcher = tuple[str, Any]  # normalized: (kind, argument)
SubRule = list[tuple[Path, tuple[Matcher, ...]]]  # sorted like EventBridge sorts field paths
Rules = list[dict[Path, tuple[Matcher, ...]]]

EXISTS_FALSE: Final = ("exists", False)
EXISTS_TRUE: Final = ("exists", True)
_NUMERIC_OPS: Final = ("=", "<", "<=", ">", ">=")
RESERVED_IN_OR: Final = frozenset(
    {"exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard"}
    | {"numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard"}
    | {"not-equals-ignore-case", "date-after", "date-on-or-after", "date-before"}
    | {"date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range"}
)


class PatternError(ValueError):
    """An event pattern EventBridge would reject; ``at`` locates it in the pattern."""

    def __init__(self, message: str, at: At = ()) -> None:
        super().__init__(message)
        self.at = at


class _TooComplex(PatternError):
    """A limit, not a reading: no other reading of ``$or`` is tried."""


def expand(pattern: Any) -> list[SubRule]:
    """Validate ``pattern`` and expand its ``$or``s into sub-rules, as EventBridge does."""
    if not isinstance(pattern, Mapping):
        raise PatternError("an event pattern is a JSON object")
    try:
        rules = _Reading(legacy=False).object(pattern, (), (), [{}], in_or=False)
    except _TooComplex:
        raise
    except PatternError as error:
        if not _mentions_or(pattern):
            raise
        try:
            rules = _Reading(legacy=True).object(pattern, (), (), [{}], in_or=False)
        except PatternError:
            raise error from None
    return [sorted(rule.items(), key=_path_order) for rule in rules]


def or_is_disjunction(value: Any) -> bool:
    """Whether the value of a ``$or`` key reads as a disjunction (else ``$or`` is a field):
    a list of two or more non-empty objects that use no reserved name at any depth."""
    return (
        isinstance(value, list | tuple)
        and len(value) >= 2
        and all(isinstance(b, Mapping) and b and not _uses_reserved(b) for b in value)
    )


def _uses_reserved(branch: Mapping[Any, Any]) -> bool:
    for key, value in branch.items():
        if key == "$or":
            continue
        if key in RESERVED_IN_OR or (isinstance(value, Mapping) and _uses_reserved(value)):
            return True
    return False


def _mentions_or(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "$or" in value or any(_mentions_or(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions_or(v) for v in value)
    return False


def _path_order(item: tuple[Path, Any]) -> str:
    return ".".join(item[0])


def _where(path: Path) -> str:
    return f"{'.'.join(path)}: " if path else ""


class _Reading:
    """One reading of a pattern: ``$or`` as a disjunction, or (legacy) as a field name."""

    def __init__(self, legacy: bool) -> None:
        self.legacy = legacy

    def object(self, obj: Any, prefix: Path, at: At, rules: Rules, in_or: bool) -> Rules:
        if not isinstance(obj, Mapping) or not obj:
            raise PatternError(f"{_where(prefix)}a pattern object must have at least one field", at)
        for key, value in obj.items():
            if not isinstance(key, str):
                raise PatternError(f"{_where(prefix)}field names are strings, not {key!r}", at)
            here = (*at, key)
            if key == "$or" and not self.legacy:
                rules = self.disjunction(value, prefix, here, rules)
                continue
            if in_or and key in RESERVED_IN_OR:
                raise PatternError(
                    f"{_where(prefix)}'{key}' is reserved and cannot be used in $or", here
                )
            path = (*prefix, key)
            if isinstance(value, Mapping):
                rules = self.object(value, path, here, rules, in_or)
            elif isinstance(value, list | tuple):
                found = matchers(value, path, here)
                for rule in rules:
                    rule[path] = found  # a repeated path: the last one wins, as in EventBridge
            else:
                raise PatternError(f"{_where(path)}must be an object or an array of matchers", here)
        return rules

    def disjunction(self, branches: Any, prefix: Path, at: At, rules: Rules) -> Rules:
        if not isinstance(branches, list | tuple) or len(branches) < 2:
            raise PatternError(f"{_where(prefix)}'$or' takes an array of at least two objects", at)
        expanded: Rules = []
        for i, branch in enumerate(branches):
            if not isinstance(branch, Mapping):
                raise PatternError(f"{_where(prefix)}'$or' takes only objects", (*at, i))
            copies = [dict(rule) for rule in rules]
            expanded += self.object(branch, prefix, (*at, i), copies, in_or=True)
            if len(expanded) > MAX_COMBINATIONS:
                raise _TooComplex(f"'$or' gives more than {MAX_COMBINATIONS} rule combinations", at)
        return expanded


def matchers(values: Sequence[Any], path: Path, at: At) -> tuple[Matcher, ...]:
    if not values:
        raise PatternError(f"{_where(path)}empty arrays are not allowed", at)
    found: list[Matcher] = []
    for i, value in enumerate(values):
        if isinstance(value, Mapping):
            found.append(_operator(value, path, (*at, i)))
        elif value is None or isinstance(value, str | bool) or finite(value):
            found.append(("exact", value))
        else:
            raise PatternError(
                f"{_where(path)}a matcher is a string, number, bool, null or object", (*at, i)
            )
    return tuple(found)


def _operator(matcher: Mapping[str, Any], path: Path, at: At) -> Matcher:
    if len(matcher) != 1:
        raise PatternError(f"{_where(path)}a matcher object has exactly one operator", at)
    ((op, arg),) = matcher.items()
    parse = OPERATORS.get(op)
    if parse is None:
        raise PatternError(f"{_where(path)}unknown operator {op!r}", (*at, op))
    try:
        return parse(arg, f"{_where(path)}'{op}' ")
    except ScalarError as exc:
        raise PatternError(f"{_where(path)}'{op}' {exc}", (*at, op)) from None
    except PatternError as exc:
        exc.at = exc.at or (*at, op)
        raise


def _op_affix(kind: str) -> Callable[[Any, str], Matcher]:
    def parse(arg: Any, where: str) -> Matcher:
        if isinstance(arg, str):
            return (kind, arg)
        if isinstance(arg, Mapping) and list(arg) == ["equals-ignore-case"]:
            return (f"{kind}-ic", _string(arg["equals-ignore-case"], where))
        raise PatternError(f"{where}takes a string or {{'equals-ignore-case': string}}")

    return parse


def _op_equals_ignore_case(arg: Any, where: str) -> Matcher:
    return ("eic", scalars.ignore_case(_string(arg, where)))


def _op_wildcard(arg: Any, where: str) -> Matcher:
    return ("wildcard", Glob(_string(arg, where)))


def _op_exists(arg: Any, where: str) -> Matcher:
    if not isinstance(arg, bool):
        raise PatternError(f"{where}takes true or false")
    return ("exists", arg)


def _op_cidr(arg: Any, where: str) -> Matcher:
    return ("cidr", scalars.network(_string(arg, where)))


def _op_numeric(arg: Any, where: str) -> Matcher:
    shape = "takes [op, number] or ['>' or '>=', number, '<' or '<=', number]"
    if not isinstance(arg, list | tuple) or len(arg) not in (2, 4):
        raise PatternError(f"{where}{shape}")
    ops, numbers = list(arg[0::2]), list(arg[1::2])
    if any(op not in _NUMERIC_OPS for op in ops):
        raise PatternError(f"{where}{shape}")
    for number in numbers:
        _comparable_number(number, where)
    if len(arg) == 2:
        op, n = ops[0], numbers[0]
        bounds = {
            "=": (n, True, n, True),
            "<": (None, False, n, False),
            "<=": (None, False, n, True),
            ">": (n, False, None, False),
            ">=": (n, True, None, False),
        }
        return ("numeric", bounds[op])
    if ops[0] not in (">", ">=") or ops[1] not in ("<", "<="):
        raise PatternError(f"{where}{shape}")
    if not numbers[0] < numbers[1]:
        raise PatternError(f"{where}range: the bottom must be less than the top")
    return ("numeric", (numbers[0], ops[0] == ">=", numbers[1], ops[1] == "<="))


def _comparable_number(number: Any, where: str) -> None:
    if not is_number(number):
        raise PatternError(f"{where}needs numbers, not {number!r}")
    if not comparable(number):
        raise PatternError(f"{where}{comparable_problem(number)}")


def comparable_problem(number: int | float) -> str:
    """Why EventBridge does not compare ``number`` (for a located message)."""
    if isinstance(number, int) and number.bit_length() > 96:  # repr fails past 4300 digits
        shown = f"a number of {number.bit_length() * 3 // 10}+ digits"
    else:
        shown = repr(number)
    try:
        nearest = float(number)
    except OverflowError:
        nearest = math.inf
    if not math.isfinite(nearest):
        return f"{shown} is outside the float64 range EventBridge compares"
    return f"{shown} is not exactly a float64 as EventBridge requires (nearest: {nearest!r})"


def _op_anything_but(arg: Any, where: str) -> Matcher:
    if isinstance(arg, Mapping):
        if len(arg) != 1 or next(iter(arg)) not in _ANYTHING_BUT_OPS:
            raise PatternError(f"{where}takes a value, a list, or one of {list(_ANYTHING_BUT_OPS)}")
        ((op, values),) = arg.items()
        items = list(values) if isinstance(values, list | tuple) else [values]
        if not items or not all(isinstance(item, str) for item in items):
            raise PatternError(f"{where}{op}: takes a string or a non-empty list of strings")
        if op in ("prefix", "suffix") and "" in items:
            raise PatternError(f"{where}{op}: an empty prefix or suffix is not allowed")
        return _ANYTHING_BUT_OPS[op](items)
    items = list(arg) if isinstance(arg, list | tuple) else [arg]
    if items and all(isinstance(item, str) for item in items):
        return ("but", frozenset(items))
    if items and all(is_number(item) for item in items):
        for item in items:
            _comparable_number(item, where)
        return ("but-number", frozenset(items))
    raise PatternError(f"{where}takes a string, a number, or a non-empty list of only one of them")


_ANYTHING_BUT_OPS: Final[dict[str, Callable[[list[str]], Matcher]]] = {
    "prefix": lambda items: ("but-prefix", tuple(items)),
    "suffix": lambda items: ("but-suffix", tuple(items)),
    "equals-ignore-case": lambda items: ("but-eic", tuple(map(scalars.ignore_case, items))),
    "wildcard": lambda items: ("but-wildcard", tuple(map(Glob, items))),
}

OPERATORS: Final[dict[str, Callable[[Any, str], Matcher]]] = {
    "prefix": _op_affix("prefix"),
    "suffix": _op_affix("suffix"),
    "equals-ignore-case": _op_equals_ignore_case,
    "wildcard": _op_wildcard,
    "anything-but": _op_anything_but,
    "numeric": _op_numeric,
    "exists": _op_exists,
    "cidr": _op_cidr,
}


def _string(arg: Any, where: str) -> str:
    if not isinstance(arg, str):
        raise PatternError(f"{where}takes a string")
    return arg
