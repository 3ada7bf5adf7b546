"""The reference matcher: a direct, unoptimized reading of EventBridge's semantics.

``reference_match(rules, event)`` takes the sub-rules of ``syntax.expand`` and an
event, flattens the event into its leaf values by path (with the array elements each
lies in), and searches for one sub-rule whose fields all match within one consistent
choice of array elements. It is what ``compiled`` is tested against, so it shares no
matching code with it: wildcards run as an automaton here (``scalars.glob_reference``)
and as segment search there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from eventual.patterns.scalars import comparable, glob_reference, ignore_case, ip, is_number
from eventual.patterns.syntax import EXISTS_FALSE, Matcher, Path, SubRule

Membership = tuple[tuple[int, int], ...]  # (array, element index) of every array crossed
Leaf = tuple[Any, Membership]
_PLAIN: Final = (str, int, float, list, tuple, type(None))


def is_map(value: Any) -> bool:
    return type(value) is dict or (not isinstance(value, _PLAIN) and isinstance(value, Mapping))


def reference_match(rules: list[SubRule], event: Any) -> bool:
    leaves = _flatten(event)
    return any(_rule(rule, leaves) for rule in rules)


def _flatten(event: Any) -> dict[Path, list[Leaf]]:
    """Every leaf value of the event by path, with the array elements it lies in."""
    leaves: dict[Path, list[Leaf]] = {}
    counter = iter(range(1 << 62))
    if is_map(event):
        _flatten_object(event, (), (), leaves, counter)
    return leaves


def _flatten_object(
    obj: Mapping[Any, Any], path: Path, mem: Membership, out: dict[Path, list[Leaf]], ids: Any
) -> None:
    for key, value in obj.items():
        _flatten_value(value, (*path, key), mem, out, ids)


def _flatten_value(
    value: Any, path: Path, mem: Membership, out: dict[Path, list[Leaf]], ids: Any
) -> None:
    if is_map(value):
        _flatten_object(value, path, mem, out, ids)
    elif isinstance(value, list | tuple):
        array = next(ids)
        for index, element in enumerate(value):
            if is_map(element) or isinstance(element, list | tuple):
                _flatten_value(element, path, (*mem, (array, index)), out, ids)
            else:
                out.setdefault(path, []).append((element, mem))
    else:
        out.setdefault(path, []).append((value, mem))


def _rule(rule: SubRule, leaves: dict[Path, list[Leaf]]) -> bool:
    def search(i: int, chosen: dict[int, int]) -> bool:
        if i == len(rule):
            return True
        path, found = rule[i]
        present = [
            (value, mem)
            for value, mem in leaves.get(path, [])
            if all(chosen.get(array, index) == index for array, index in mem)
        ]
        for value, mem in present:
            if any(_value(m, value) for m in found) and search(i + 1, {**chosen, **dict(mem)}):
                return True
        return not present and EXISTS_FALSE in found and search(i + 1, chosen)

    return search(0, {})


def _value(matcher: Matcher, value: Any) -> bool:
    kind, arg = matcher
    if kind == "exists":
        return bool(arg)
    if kind == "exact":
        return _exact(arg, value)
    if kind.startswith("but"):
        return not _REFERENCE[kind](arg, value)
    return _REFERENCE[kind](arg, value)


def _exact(expected: Any, value: Any) -> bool:
    if expected is None or isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        return isinstance(value, str) and (
            value == expected or (ip(expected) is not None and ip(value) == ip(expected))
        )
    if not comparable(expected):  # EventBridge matches it by its text only
        return type(value) is int and value == expected
    return is_number(value) and bool(value == expected)


def _numeric(bounds: tuple[Any, bool, Any, bool], value: Any) -> bool:
    if not is_number(value) or not comparable(value):
        return False
    low, low_closed, high, high_closed = bounds
    above = low is None or value > low or (low_closed and value == low)
    below = high is None or value < high or (high_closed and value == high)
    return bool(above and below)


def _suffix_ignore_case(arg: Any, value: str) -> bool:
    pattern = ignore_case(arg)
    return any(pattern.fullmatch(value, i) for i in range(len(value) + 1))


def _str_only(test: Callable[[Any, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda arg, value: isinstance(value, str) and test(arg, value)


_REFERENCE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "prefix": _str_only(lambda arg, v: v.startswith(arg)),
    "suffix": _str_only(lambda arg, v: v.endswith(arg)),
    "prefix-ic": _str_only(lambda arg, v: ignore_case(arg).match(v) is not None),
    "suffix-ic": _str_only(_suffix_ignore_case),
    "eic": _str_only(lambda arg, v: arg.fullmatch(v) is not None),
    "wildcard": _str_only(lambda arg, v: glob_reference(arg, v)),
    "cidr": _str_only(lambda arg, v: (address := ip(v)) is not None and address in arg),
    "numeric": _numeric,
    # anything-but: the values it excludes
    "but": _str_only(lambda arg, v: v in arg),
    "but-number": lambda arg, v: is_number(v) and any(v == n for n in arg),
    "but-prefix": _str_only(lambda arg, v: any(v.startswith(p) for p in arg)),
    "but-suffix": _str_only(lambda arg, v: any(v.endswith(s) for s in arg)),
    "but-eic": _str_only(lambda arg, v: any(p.fullmatch(v) for p in arg)),
    "but-wildcard": _str_only(lambda arg, v: any(glob_reference(g, v) for g in arg)),
}
