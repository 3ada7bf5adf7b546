"""The compiled matcher: a pattern turned once into a fast ``event -> bool`` function.

``compile_rules(rules)`` takes the sub-rules of ``syntax.expand`` and returns a
function that decides, like ``reference``, whether an event matches. Each field's
matchers become one predicate over a leaf value (exact strings and numbers as set
lookups, by value type); values are looked up by path in the event without
flattening it, and only fields whose values lie in arrays go through the search for a
consistent choice of array elements. Every predicate runs in time linear in the value
(see ``scalars``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from eventual.patterns.reference import Leaf, Membership, is_map
from eventual.patterns.scalars import (
    Glob,
    comparable,
    ignore_case,
    ignore_case_reversed,
    ip,
    is_number,
)
from eventual.patterns.syntax import EXISTS_FALSE, EXISTS_TRUE, Matcher, Path, SubRule

if TYPE_CHECKING:
    from ipaddress import IPv4Address, IPv6Address

Predicate = Callable[[Any], bool]
_MISSING: Final = object()
_INF: Final = float("inf")


def compile_rules(rules: list[SubRule]) -> Predicate:
    runs = [_compile_rule(rule) for rule in rules]
    if len(runs) == 1:
        return runs[0]

    def match_any(event: Any) -> bool:
        return any(run(event) for run in runs)

    return match_any


class _Field(NamedTuple):
    path: Path
    test: Predicate
    absent_ok: bool  # an {"exists": false} matcher


def _compile_rule(rule: SubRule) -> Callable[[Any], bool]:
    fields = tuple(
        _Field(path, _compile_test(found), EXISTS_FALSE in found) for path, found in rule
    )

    def run(event: Any) -> bool:
        if not is_map(event):
            event = {}
        pending: list[tuple[list[Leaf], _Field]] = []
        for field in fields:
            leaves = _collect(event, field.path)
            if len(leaves) == 1 and not leaves[0][1]:  # the usual case: one value, no array
                if not field.test(leaves[0][0]):
                    return False
            elif not leaves:
                if not field.absent_ok:
                    return False
            elif any(mem for _, mem in leaves):
                pending.append((leaves, field))  # inside arrays: decided together below
            elif not any(field.test(value) for value, _ in leaves):
                return False
        return not pending or _search(pending, 0, {})

    return run


def _search(pending: list[tuple[list[Leaf], _Field]], i: int, chosen: dict[int, int]) -> bool:
    """Fields whose values lie in arrays: one consistent choice of elements for all."""
    if i == len(pending):
        return True
    leaves, field = pending[i]
    seen = False
    for value, mem in leaves:
        if all(chosen.get(array, index) == index for array, index in mem):
            seen = True
            if field.test(value) and _search(pending, i + 1, {**chosen, **dict(mem)}):
                return True
    return not seen and field.absent_ok and _search(pending, i + 1, chosen)


def _collect(event: Any, path: Path) -> list[Leaf]:
    """The leaf values at ``path``; arrays are identified by object identity."""
    node = event
    for i, key in enumerate(path):
        if type(node) is not dict:
            if isinstance(node, list | tuple) or is_map(node):
                found: list[Leaf] = []
                _descend(node, path, i, (), found)
                return found
            return []
        node = node.get(key, _MISSING)
        if node is _MISSING:
            return []
    if isinstance(node, list | tuple) or is_map(node):
        found = []
        _descend(node, path, len(path), (), found)
        return found
    return [(node, ())]


def _descend(node: Any, path: Path, i: int, mem: Membership, out: list[Leaf]) -> None:
    if is_map(node):
        if i < len(path):
            child = node.get(path[i], _MISSING)
            if child is not _MISSING:
                _descend(child, path, i + 1, mem, out)
    elif isinstance(node, list | tuple):
        array = id(node)
        for index, element in enumerate(node):
            if isinstance(element, list | tuple) or is_map(element):
                _descend(element, path, i, (*mem, (array, index)), out)
            elif i == len(path):
                out.append((element, mem))
    elif i == len(path):
        out.append((node, mem))


def _always(value: Any) -> bool:
    return True


def _compile_test(found: tuple[Matcher, ...]) -> Predicate:
    """One predicate over a leaf value for a field's matchers (any may match)."""
    if EXISTS_TRUE in found:
        return _always
    strings: set[str] = set()
    numbers: set[int | float] = set()
    constants: list[Any] = []  # None, True, False
    by_type: dict[str, list[Predicate]] = {"str": [], "num": [], "any": []}
    for kind, arg in found:
        if kind == "exists":
            continue
        if kind != "exact":
            category, predicate = _PREDICATES[kind](arg)
            by_type[category].append(predicate)
        elif isinstance(arg, str):
            strings.add(arg)
            if (address := ip(arg)) is not None:
                by_type["str"].append(_same_address(address))
        elif arg is None or isinstance(arg, bool):
            constants.append(arg)
        elif comparable(arg):
            numbers.add(arg)
        else:  # EventBridge matches it by its text only: the same integer
            by_type["num"].append(_same_integer(arg))
    return _assemble(frozenset(strings), frozenset(numbers), tuple(constants), by_type)


def _same_integer(number: int) -> Predicate:
    return lambda value: type(value) is int and value == number


def _same_address(address: IPv4Address | IPv6Address) -> Predicate:
    return lambda value: ip(value) == address


def _assemble(
    strings: frozenset[str],
    numbers: frozenset[int | float],
    constants: tuple[Any, ...],
    by_type: dict[str, list[Predicate]],
) -> Predicate:
    str_preds, num_preds, any_preds = by_type["str"], by_type["num"], by_type["any"]
    if not (numbers or constants or str_preds or num_preds or any_preds):

        def exact_strings(value: Any) -> bool:
            return isinstance(value, str) and value in strings

        return exact_strings
    str_test = _either(strings, str_preds)
    num_test = _either(numbers, num_preds)

    def test(value: Any) -> bool:
        if isinstance(value, str):
            return str_test(value)
        if isinstance(value, bool) or value is None:
            return any(value is constant for constant in constants)
        if isinstance(value, int | float):
            return num_test(value)
        return False

    if not any_preds:
        return test
    excluding = _either(frozenset(), any_preds)
    return lambda value: test(value) or excluding(value)


def _either(exact: frozenset[Any], predicates: list[Predicate]) -> Predicate:
    """In ``exact``, or true for any of ``predicates``."""
    if not predicates:
        return exact.__contains__
    if len(predicates) == 1:
        combined = predicates[0]
    else:
        combined = lambda value: any(p(value) for p in predicates)  # noqa: E731
    if not exact:
        return combined
    return lambda value: value in exact or combined(value)


def _numeric_predicate(bounds: tuple[Any, bool, Any, bool]) -> tuple[str, Predicate]:
    low, low_closed, high, high_closed = bounds
    low = -_INF if low is None else low
    high = _INF if high is None else high

    def in_range(value: Any) -> bool:
        if not (
            low < value < high or (low_closed and value == low) or (high_closed and value == high)
        ):
            return False
        return type(value) is float or comparable(value)  # an in-range float is finite

    return "num", in_range


def _prefix_ignore_case(arg: str) -> tuple[str, Predicate]:
    head = ignore_case(arg)
    return "str", lambda v: head.match(v) is not None


def _suffix_ignore_case(arg: str) -> tuple[str, Predicate]:
    tail = ignore_case_reversed(arg)
    return "str", lambda v: tail.match(v[::-1]) is not None


def _any_glob(globs: tuple[Glob, ...]) -> Callable[[str], bool]:
    if len(globs) == 1:
        return globs[0].match
    return lambda v: any(glob.match(v) for glob in globs)


def _excluding(excluded: Callable[[str], Any]) -> tuple[str, Predicate]:
    return "any", lambda v: not (isinstance(v, str) and excluded(v))


def _excluding_numbers(arg: frozenset[Any]) -> tuple[str, Predicate]:
    return "any", lambda v: not (is_number(v) and v in arg)


_PREDICATES: Final[dict[str, Callable[[Any], tuple[str, Predicate]]]] = {
    "prefix": lambda arg: ("str", lambda v: v.startswith(arg)),
    "suffix": lambda arg: ("str", lambda v: v.endswith(arg)),
    "prefix-ic": _prefix_ignore_case,
    "suffix-ic": _suffix_ignore_case,
    "eic": lambda arg: ("str", lambda v: arg.fullmatch(v) is not None),
    "wildcard": lambda arg: ("str", arg.match),
    "cidr": lambda arg: ("str", lambda v: (address := ip(v)) is not None and address in arg),
    "numeric": _numeric_predicate,
    "but": lambda arg: _excluding(arg.__contains__),
    "but-number": _excluding_numbers,
    "but-prefix": lambda arg: _excluding(lambda v: v.startswith(arg)),
    "but-suffix": lambda arg: _excluding(lambda v: v.endswith(arg)),
    "but-eic": lambda arg: _excluding(lambda v: any(p.fullmatch(v) for p in arg)),
    "but-wildcard": lambda arg: _excluding(_any_glob(arg)),
}
