"""The subscription updateOrderStatus: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import logging

import eventual

from ..models import OrderShipped

log = logging.getLogger(__name__)


def update_order_status(event: OrderShipped, ctx: eventual.SubscriptionContext) -> None:
    """Records that an order has shipped."""
    log.info("order %s shipped as %s", event.orderId, event.shipmentId)
