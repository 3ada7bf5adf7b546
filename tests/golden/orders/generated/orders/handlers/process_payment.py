"""The task processPayment: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual


def process_payment(input: str, ctx: eventual.TaskContext) -> str:
    """Charges the order (integrate your payment API here); returns the payment id."""
    raise NotImplementedError("processPayment is not implemented yet")
