"""Stand-ins for the original's DynamoDB orders table and for the customer's inbox.

``ORDERS`` maps a cart id to its record (the statuses the workflow sets); ``NOTICES``
lists what the notification service told customers, as ``"<event> <cartId>"``.
"""

from __future__ import annotations

ORDERS: dict[str, dict[str, str]] = {}
NOTICES: list[str] = []


def reset() -> None:
    ORDERS.clear()
    NOTICES.clear()
