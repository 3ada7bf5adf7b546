"""Which paths a CEL condition proves are not null, when it is true and when false."""

from __future__ import annotations

import pytest

from eventual.cel import parse
from eventualc.typecheck.narrowing import non_null

STEP = ("steps", "pay", "output")


@pytest.mark.parametrize(
    ("condition", "when_true", "when_false"),
    [
        ("steps.pay.output != null", {STEP}, set()),
        ("null == steps.pay.output", set(), {STEP}),
        ("!(steps.pay.output == null)", {STEP}, set()),
        ("input['card'] != null && vars.n != null", {("input", "card"), ("vars", "n")}, set()),
        ("input.card == null || vars.n == null", set(), {("input", "card"), ("vars", "n")}),
        ("input.card != null || vars.n != null", set(), set()),
        ("has(steps.pay.output.id)", {STEP}, set()),  # the key may hold null: not `.id`
        ("steps.pay.output.size() != null", set(), set()),
        ("steps.pay.output != 1", set(), set()),
    ],
)
def test_conditions_prove_paths_not_null(
    condition: str, when_true: set[tuple[str, ...]], when_false: set[tuple[str, ...]]
) -> None:
    def deepest(paths: frozenset[tuple[str, ...]]) -> set[tuple[str, ...]]:
        """Without the prefixes that come along (when `a.b` is not null, `a` is not)."""
        return {p for p in paths if not any(len(q) > len(p) and q[: len(p)] == p for q in paths)}

    assert deepest(non_null(parse(condition), True)) == when_true
    assert deepest(non_null(parse(condition), False)) == when_false
