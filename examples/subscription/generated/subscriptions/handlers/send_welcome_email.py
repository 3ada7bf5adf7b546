"""The task send_welcome_email: Sends the welcome email."""

from __future__ import annotations

import eventual

from ..models import Customer
from . import outbox


def send_welcome_email(input: Customer, ctx: eventual.TaskContext) -> None:
    """Sends the welcome email."""
    outbox.send("welcome", input.id, input.email)
