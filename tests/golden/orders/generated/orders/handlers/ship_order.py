"""The task shipOrder: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual


def ship_order(input: str, ctx: eventual.TaskContext) -> str:
    """Hands the order to the shipping API; returns the shipment id."""
    raise NotImplementedError("shipOrder is not implemented yet")
