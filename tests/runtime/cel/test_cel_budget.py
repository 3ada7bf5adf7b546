"""The cost budget of an evaluation (eventual.cel.budget) and linear-time regexes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from eventual.cel import CelEvaluationError, evaluate
from eventual.cel.budget import COST_LIMIT, MAX_STRING
from eventual.cel.errors import ExpressionLimit

DIGITS = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"


def nested_all(depth: int) -> str:
    expr = "true"
    for level in range(depth):
        expr = f"{DIGITS}.all(x{level}, {expr} && x{level} >= 0)"
    return expr


def limit_error(text: str, variables: dict[str, Any] | None = None) -> ExpressionLimit:
    with pytest.raises(ExpressionLimit) as info:
        evaluate(text, variables or {})
    return info.value


def test_nine_nested_loops_stop_with_expression_limit() -> None:
    started = time.perf_counter()
    err = limit_error(nested_all(9))  # 10**9 steps unbounded
    elapsed = time.perf_counter() - started
    assert err.error_name == "ExpressionLimit"
    assert isinstance(err, CelEvaluationError)  # caught wherever evaluation errors are
    assert "cost limit" in str(err)
    assert elapsed < 20  # about a second on CPython; minutes without the budget


def test_legitimate_loops_stay_inside_the_budget() -> None:
    assert evaluate(nested_all(5), {}) is True  # 10**5 steps
    big = {"a": list(range(900)), "b": list(range(1000))}
    assert evaluate("a.all(x, b.exists(y, y == x))", big) is True
    assert evaluate("l.filter(x, x % 2 == 0).size()", {"l": list(range(200_000))}) == 100_000
    assert evaluate("l.map(x, x + 1).size()", {"l": list(range(COST_LIMIT - 10))}) > 0


def test_the_budget_is_per_evaluation() -> None:
    text = "l.all(x, x >= 0) && l.all(x, x >= 0)"
    half = {"l": list(range(COST_LIMIT // 2 + 1))}
    limit_error(text, half)  # two loops together go over
    assert evaluate(text, {"l": list(range(COST_LIMIT // 2 - 1))}) is True
    assert evaluate(text, {"l": list(range(COST_LIMIT // 2 - 1))}) is True  # fresh each time


@pytest.mark.parametrize(
    "text",
    [
        f"{nested_all(8)} || true",
        f"{DIGITS}.exists(d, {nested_all(7)} || d == 0)",
    ],
    ids=["or", "exists"],
)
def test_the_limit_is_not_absorbed_by_logic_or_macros(text: str) -> None:
    limit_error(text)  # though `true` / `d == 0` would decide the result
    assert evaluate(f"true || {nested_all(8)}", {}) is True  # short-circuit: never runs


def test_loops_cannot_build_ever_larger_values() -> None:
    limit_error("l.map(x, l + l).size()", {"l": list(range(10_000))})
    limit_error("l.map(x, s + s).size()", {"l": list(range(1_000)), "s": "a" * 200_000})
    assert evaluate("s + s", {"s": "a" * 5_000_000}) == "a" * 10_000_000  # no loop, no budget


def test_replace_refuses_huge_results() -> None:
    err = limit_error("s.replace('', s)", {"s": "a" * 10_000})  # 10**8 characters
    assert "too large" in str(err) and f"{MAX_STRING:,}" in str(err)
    limit_error("s.replace('a', s)", {"s": "a" * 4_000})
    assert evaluate("s.replace('a', 'bb', 2)", {"s": "aaa"}) == "bbbba"


def test_matches_is_linear_time() -> None:
    text = "a" * 28 + "!"  # 17 s with Python's re (exponential backtracking)
    evaluate("s.matches('^(a+)+$')", {"s": "x"})  # first use loads the engine
    started = time.perf_counter()
    assert evaluate("s.matches('^(a+)+$')", {"s": text}) is False
    assert evaluate("s.matches('^(a+)+$')", {"s": "a" * 1_000_000 + "!"}) is False
    assert time.perf_counter() - started < 1
    assert evaluate("s.matches('^(a|aa)+$')", {"s": "a" * 50}) is True


def test_matches_uses_re2_syntax() -> None:
    assert evaluate(r"'ab12'.matches('\\pL+\\d+')", {}) is True  # Unicode classes
    with pytest.raises(CelEvaluationError, match="invalid regular expression"):
        evaluate("s.matches(p)", {"s": "aa", "p": "(a)\\1"})  # backreferences are not RE2
