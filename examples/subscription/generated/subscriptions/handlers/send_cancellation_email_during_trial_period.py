"""The task sendCancellationEmailDuringTrialPeriod (see the function)."""

from __future__ import annotations

import eventual

from ..models import Customer
from . import outbox


def send_cancellation_email_during_trial_period(input: Customer, ctx: eventual.TaskContext) -> None:
    """Tells the customer the trial is cancelled."""
    outbox.send("trial-cancellation", input.id, input.email)
