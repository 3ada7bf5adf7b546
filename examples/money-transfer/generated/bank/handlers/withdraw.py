"""The task withdraw: Takes the amount from the source account."""

from __future__ import annotations

import eventual

from ..models import PaymentDetails
from . import bank


def withdraw(input: PaymentDetails, ctx: eventual.TaskContext) -> str:
    """Takes the amount from the source account."""
    return bank.move(
        "withdraw", input.source_account, -input.amount, f"{input.reference_id}-withdraw"
    )
