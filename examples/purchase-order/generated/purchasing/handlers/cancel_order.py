"""The task cancelOrder: cancels an order that missed its deadline."""

from __future__ import annotations

import eventual

from . import ledger


def cancel_order(input: str, ctx: eventual.TaskContext) -> None:
    """Cancels the order ``input`` (its id)."""
    ledger.record("cancelled", input)
