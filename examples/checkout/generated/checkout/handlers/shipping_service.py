"""The subscription shippingService: a stand-in for the third-party shipping service.

It ships to the countries it serves and announces its answer as an event; the
``shippingAnswered`` subscription hands it to the checkout that waits for it.
"""

from __future__ import annotations

import eventual

from ..models import ShippingRequested

COUNTRIES = ("Singapore", "Malaysia")


def shipping_service(event: ShippingRequested, ctx: eventual.SubscriptionContext) -> None:
    """Books the shipment when it can and says whether it did."""
    ships = event.address.rstrip().endswith(COUNTRIES)
    status = "ShippingSuccessful" if ships else "ShippingFailed"
    ctx.emit("ShippingAnswered", {"cartId": event.cartId, "status": status})
