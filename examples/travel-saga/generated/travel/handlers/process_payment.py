"""The task processPayment: Takes the payment for the trip."""

from __future__ import annotations

import eventual

from ..models import Booking, Trip
from . import tables


def process_payment(input: Trip, ctx: eventual.TaskContext) -> Booking:
    """Takes the payment for the trip."""
    tables.call("processPayment", input.trip_id, input.run_type, "failPayment")
    return Booking.model_validate(tables.put("payments", input.trip_id, "P", "paid"))
