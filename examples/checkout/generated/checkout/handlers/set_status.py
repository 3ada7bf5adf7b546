"""The task setStatus: records how the payment or the shipping went."""

from __future__ import annotations

import eventual

from ..models import SetStatusInput
from . import orders


def set_status(input: SetStatusInput, ctx: eventual.TaskContext) -> None:
    """Sets one status field of the cart's order."""
    orders.ORDERS[input.cartId][input.field] = input.value
