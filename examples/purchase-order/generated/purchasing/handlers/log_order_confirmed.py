"""The task log_order_confirmed: Logs the order's confirmation."""

from __future__ import annotations

import eventual

from ..models import OrderConfirmed
from . import ledger


def log_order_confirmed(input: OrderConfirmed, ctx: eventual.TaskContext) -> None:
    """Logs the order's confirmation."""
    ledger.record("confirmed", input.orderId)
