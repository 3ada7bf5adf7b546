"""The subscription shipOrderAfterPayment: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import PaymentProcessed


def ship_order_after_payment(event: PaymentProcessed, ctx: eventual.SubscriptionContext) -> None:
    """Ships a paid order, then announces the shipment."""
    raise NotImplementedError("shipOrderAfterPayment is not implemented yet")
