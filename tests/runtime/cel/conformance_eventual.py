"""eventual.cel as a conformance ``Implementation`` (see conformance_suite)."""

from __future__ import annotations

from typing import Any

from tests.runtime.cel.conformance_suite import Implementation, Tagged, same_double

from eventual.cel import CelEvaluationError, evaluate
from eventual.cel.evaluate import kind_of
from eventual.cel.values import KIND_TYPE_NAMES, CelType, Uint


def native(value: Tagged) -> Any:
    """A tagged test value as eventual.cel holds it."""
    kind, raw = value
    if kind == "uint":
        return Uint(raw)
    if kind == "list":
        return [native(v) for v in raw]
    if kind == "map":
        return {native(k): native(v) for k, v in raw}
    if kind == "type":
        return CelType(raw)
    return raw


def same(value: Any, expected: Tagged) -> bool:
    kind, raw = expected
    if kind_of(value) != kind:
        return False
    if kind == "double":
        return same_double(value, raw)
    if kind == "list":
        return len(value) == len(raw) and all(map(same, value, raw))
    if kind == "map":
        wanted = {native(k): v for k, v in raw}
        return len(value) == len(wanted) and all(
            k in wanted and same(value[k], wanted[k]) for k in value
        )
    if kind == "type":
        return bool(value.name == raw or KIND_TYPE_NAMES.get(raw) == value.name)
    return bool(value == raw)


def _evaluate(expr: str, bindings: dict[str, Tagged]) -> Any:
    return evaluate(expr, {name: native(v) for name, v in bindings.items()})


EVENTUAL = Implementation("eventual.cel", _evaluate, (CelEvaluationError,), same)
