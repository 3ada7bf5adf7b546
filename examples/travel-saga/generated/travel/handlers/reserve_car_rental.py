"""The task reserveCarRental: Reserves the car (pending until confirmed)."""

from __future__ import annotations

import eventual

from ..models import Booking, Trip
from . import tables


def reserve_car_rental(input: Trip, ctx: eventual.TaskContext) -> Booking:
    """Reserves the car (pending until confirmed)."""
    tables.call("reserveCarRental", input.trip_id, input.run_type, "failCarRentalReservation")
    return Booking.model_validate(tables.put("rentals", input.trip_id, "C", "pending"))
