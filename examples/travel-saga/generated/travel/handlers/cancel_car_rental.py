"""The task cancelCarRental: Cancels the trip's car reservation, if any."""

from __future__ import annotations

import eventual

from . import tables


def cancel_car_rental(input: str, ctx: eventual.TaskContext) -> None:
    """Cancels the trip's car reservation, if any."""
    tables.call("cancelCarRental", input)
    tables.cancel("rentals", input, "cancelled")
