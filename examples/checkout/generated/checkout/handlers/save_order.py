"""The task saveOrder: records a new order."""

from __future__ import annotations

import eventual

from ..models import Cart
from . import orders


def save_order(input: Cart, ctx: eventual.TaskContext) -> None:
    """Records the order with every status pending."""
    orders.ORDERS[input.cartId] = {
        "email": input.email, "total_cost": str(input.totalCost), "order_status": "pending",
        "payment_status": "pending", "shipping_status": "pending",
    }  # fmt: skip
