"""The cost budget of one CEL evaluation, like cel-go's cost limit.

Without loops, an expression's work is bounded by its size; its macros (``all``,
``exists``, ``exists_one``, ``map``, ``filter``) are what can multiply it: nine nested
``[0, 1, ..., 9].all(...)`` make 10**9 steps. So an evaluation of an expression that has
macros carries a budget of ``COST_LIMIT`` units: each macro spends the size of what it
ranges over before it starts, and each ``+`` that builds a list inside one spends the
list's length (a string or bytes: a unit per 100 characters), so that a loop cannot build
ever larger values either. Going over raises ``ExpressionLimit`` (workflow error name
``ExpressionLimit``), which no ``&&``/``||``/``all``/``exists`` absorbs.

A string function whose result would exceed ``MAX_STRING`` characters (``replace`` of
every character by a long string) raises ``ExpressionLimit`` too, with or without macros.

The budget lives in the evaluation's variables under ``KEY``, a name no CEL identifier can
spell, so it follows macro scopes (copies of the variables) and stays private to one
evaluation, whatever the thread.

``COST_LIMIT`` (1,000,000, as Kubernetes' per-expression limit) is about a second of
evaluation in CPython; a 256 KB event (EventBridge's size limit) holds at most ~130,000
list items, so one pass over any list of an event, even nested once over a 1,000-item
list, stays well inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ExpressionLimit

__all__ = ["COST_LIMIT", "KEY", "MAX_STRING", "charge", "check_size", "with_budget"]

COST_LIMIT = 1_000_000
MAX_STRING = 10_000_000
KEY = "\x00budget"
_LIMIT_MESSAGE = (
    f"expression exceeded its cost limit ({COST_LIMIT:,} steps): "
    "its macros iterate too much or build values too large"
)


def with_budget(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables, with a fresh budget (a one-item list: the units left)."""
    scope = dict(variables)  # faster than {**variables, ...}
    scope[KEY] = [COST_LIMIT]
    return scope


def charge(scope: Mapping[str, Any], units: int) -> None:
    """Spend ``units`` of the evaluation's budget, if it has one."""
    budget = scope.get(KEY)
    if budget is not None:
        budget[0] -= units
        if budget[0] < 0:
            raise ExpressionLimit(_LIMIT_MESSAGE)


def check_size(length: int) -> None:
    """Refuse a string result longer than ``MAX_STRING`` before building it."""
    if length > MAX_STRING:
        raise ExpressionLimit(
            f"expression result too large: a string of {length:,} characters "
            f"(the limit is {MAX_STRING:,})"
        )
