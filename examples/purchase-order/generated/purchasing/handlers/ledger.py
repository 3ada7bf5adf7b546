"""Stand-in for the original's orders service (``ordersservices.json``): what was logged
or cancelled, in order, as ``"<operation> <orderId>"``."""

from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)
ENTRIES: list[str] = []


def reset() -> None:
    ENTRIES.clear()


def record(operation: str, order_id: str) -> None:
    LOG.info("%s %s", operation, order_id)
    ENTRIES.append(f"{operation} {order_id}")
