"""The task cancelFlight: Cancels the trip's flight reservation, if any."""

from __future__ import annotations

import eventual

from . import tables


def cancel_flight(input: str, ctx: eventual.TaskContext) -> None:
    """Cancels the trip's flight reservation, if any."""
    tables.call("cancelFlight", input)
    tables.cancel("flights", input, "cancelled")
