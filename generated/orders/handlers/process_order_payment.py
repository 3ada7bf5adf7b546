"""The subscription processOrderPayment: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import OrderCreated, PaymentProcessed


def process_order_payment(event: OrderCreated, ctx: eventual.SubscriptionContext) -> None:
    """Charges the card of a new order, then announces the payment."""
    payment_id = f"pay-{event.orderId}"  # charge the card with your payment API here
    ctx.emit(PaymentProcessed(orderId=event.orderId, paymentId=payment_id))
