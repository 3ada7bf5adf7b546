"""The subscription onOrder: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import OrderCancelled, OrderPlaced


def on_order(event: OrderPlaced | OrderCancelled, ctx: eventual.SubscriptionContext) -> None:
    """Two events, one handler."""
    raise NotImplementedError("onOrder is not implemented yet")
