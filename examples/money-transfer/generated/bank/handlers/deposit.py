"""The task deposit: Puts the amount into the target account."""

from __future__ import annotations

import eventual

from ..models import PaymentDetails
from . import bank


def deposit(input: PaymentDetails, ctx: eventual.TaskContext) -> str:
    """Puts the amount into the target account."""
    return bank.move("deposit", input.target_account, input.amount, f"{input.reference_id}-deposit")
