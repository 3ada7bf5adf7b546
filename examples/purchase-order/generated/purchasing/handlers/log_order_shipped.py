"""The task log_order_shipped: Logs the order's shipment."""

from __future__ import annotations

import eventual

from ..models import ShipmentSent
from . import ledger


def log_order_shipped(input: ShipmentSent, ctx: eventual.TaskContext) -> None:
    """Logs the order's shipment."""
    ledger.record("shipped", input.orderId)
