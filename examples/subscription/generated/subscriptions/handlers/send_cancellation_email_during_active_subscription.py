"""The task sendCancellationEmailDuringActiveSubscription (see the function)."""

from __future__ import annotations

import eventual

from ..models import Customer
from . import outbox


def send_cancellation_email_during_active_subscription(
    input: Customer, ctx: eventual.TaskContext
) -> None:
    """Tells the customer the subscription is cancelled."""
    outbox.send("cancellation", input.id, input.email)
