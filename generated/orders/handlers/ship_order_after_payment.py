"""The subscription shipOrderAfterPayment: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import OrderShipped, PaymentProcessed


def ship_order_after_payment(event: PaymentProcessed, ctx: eventual.SubscriptionContext) -> None:
    """Ships a paid order, then announces the shipment."""
    shipment_id = f"ship-{event.orderId}"  # call your shipping API here
    ctx.emit(OrderShipped(orderId=event.orderId, shipmentId=shipment_id))
