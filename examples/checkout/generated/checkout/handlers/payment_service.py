"""The subscription paymentService: a stand-in for the third-party payment service.

It declines carts above its limit and answers the checkout execution that asked, by
name (the cart id): the original's endpoint calls ``SendTaskSuccess`` with the task
token it was given.
"""

from __future__ import annotations

import eventual

from ..models import PaymentRequested

LIMIT = 1000.0  # the card's limit


def payment_service(event: PaymentRequested, ctx: eventual.SubscriptionContext) -> None:
    """Charges the cart and sends the result back to its checkout."""
    status = "PaymentSuccessful" if event.totalCost <= LIMIT else "PaymentFailed"
    ctx.signal("checkout", event.cartId, "payment", {"cartId": event.cartId, "status": status})
