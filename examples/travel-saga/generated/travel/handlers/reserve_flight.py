"""The task reserveFlight: Reserves the flight (pending until confirmed)."""

from __future__ import annotations

import eventual

from ..models import Booking, Trip
from . import tables


def reserve_flight(input: Trip, ctx: eventual.TaskContext) -> Booking:
    """Reserves the flight (pending until confirmed)."""
    tables.call("reserveFlight", input.trip_id, input.run_type, "failFlightsReservation")
    return Booking.model_validate(tables.put("flights", input.trip_id, "F", "pending"))
