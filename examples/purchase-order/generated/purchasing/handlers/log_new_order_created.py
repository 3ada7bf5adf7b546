"""The task log_new_order_created: Logs a new order."""

from __future__ import annotations

import eventual

from ..models import OrderCreated
from . import ledger


def log_new_order_created(input: OrderCreated, ctx: eventual.TaskContext) -> None:
    """Logs a new order."""
    ledger.record("created", input.orderId)
