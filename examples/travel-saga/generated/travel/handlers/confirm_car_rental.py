"""The task confirmCarRental: Confirms the reserved car."""

from __future__ import annotations

import eventual

from ..models import Booking, Trip
from . import tables


def confirm_car_rental(input: Trip, ctx: eventual.TaskContext) -> Booking:
    """Confirms the reserved car."""
    tables.call("confirmCarRental", input.trip_id, input.run_type, "failCarRentalConfirmation")
    return Booking.model_validate(tables.put("rentals", input.trip_id, "C", "confirmed"))
