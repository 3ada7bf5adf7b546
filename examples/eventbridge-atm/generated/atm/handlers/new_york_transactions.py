"""The consumer newYorkTransactions: logs each transaction its rule lets through."""

from __future__ import annotations

import logging

import eventual

from ..models import Transaction

LOG = logging.getLogger(__name__)
RECEIVED: list[str] = []  # transaction ids, in delivery order (what a real consumer would store)


def reset() -> None:
    RECEIVED.clear()


def new_york_transactions(event: Transaction, ctx: eventual.SubscriptionContext) -> None:
    """Case 2, transactions at ATMs in New York."""
    LOG.info("%s: %s %s at %s, %s", ctx.event_id, event.action, event.amount, event.location,
             event.result)  # fmt: skip
    RECEIVED.append(event.transactionId)
