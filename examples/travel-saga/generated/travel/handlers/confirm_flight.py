"""The task confirmFlight: Confirms the reserved flight."""

from __future__ import annotations

import eventual

from ..models import Booking, Trip
from . import tables


def confirm_flight(input: Trip, ctx: eventual.TaskContext) -> Booking:
    """Confirms the reserved flight."""
    tables.call("confirmFlight", input.trip_id, input.run_type, "failFlightsConfirmation")
    return Booking.model_validate(tables.put("flights", input.trip_id, "F", "confirmed"))
