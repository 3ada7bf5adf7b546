"""The task send_subscription_over_email: Tells the customer the subscription has run its course."""

from __future__ import annotations

import eventual

from ..models import Customer
from . import outbox


def send_subscription_over_email(input: Customer, ctx: eventual.TaskContext) -> None:
    """Tells the customer the subscription has run its course."""
    outbox.send("subscription-over", input.id, input.email)
