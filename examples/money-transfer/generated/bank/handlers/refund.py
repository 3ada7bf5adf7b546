"""The task refund: Gives the withdrawn amount back to the source account."""

from __future__ import annotations

import eventual

from ..models import PaymentDetails
from . import bank


def refund(input: PaymentDetails, ctx: eventual.TaskContext) -> str:
    """Gives the withdrawn amount back to the source account."""
    return bank.move("refund", input.source_account, input.amount, f"{input.reference_id}-refund")
