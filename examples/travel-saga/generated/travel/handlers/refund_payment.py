"""The task refundPayment: Refunds the trip's payment, if any."""

from __future__ import annotations

import eventual

from . import tables


def refund_payment(input: str, ctx: eventual.TaskContext) -> None:
    """Refunds the trip's payment, if any."""
    tables.call("refundPayment", input)
    tables.cancel("payments", input, "refunded")
