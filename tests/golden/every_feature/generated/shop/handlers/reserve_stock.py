"""The task reserveStock: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import OrderPlaced, ReserveStockOutput


def reserve_stock(input: OrderPlaced, ctx: eventual.TaskContext) -> ReserveStockOutput:
    """
    Reserves stock \x00 (a NUL).
    \tTabbed line; ''' and \"\"\" and \\ backslash.
    """
    raise NotImplementedError("reserveStock is not implemented yet")
