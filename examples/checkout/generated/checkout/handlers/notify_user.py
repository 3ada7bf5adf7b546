"""The subscription notifyUser: the notification service, telling customers how their
checkout went."""

from __future__ import annotations

import logging

import eventual

from ..models import PaymentFailed, ShippingFailed, ShippingSuccessful
from . import orders

LOG = logging.getLogger(__name__)


def notify_user(
    event: PaymentFailed | ShippingFailed | ShippingSuccessful, ctx: eventual.SubscriptionContext
) -> None:
    """Sends the customer the notice of this event."""
    LOG.info("cart %s: %s at %s", event.cartId, ctx.meta.name, event.time)
    orders.NOTICES.append(f"{ctx.meta.name} {event.cartId}")
