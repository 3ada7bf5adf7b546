"""The task processPayment: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import hashlib

import eventual


def process_payment(input: str, ctx: eventual.TaskContext) -> str:
    """Charges the order (integrate your payment API here); returns the payment id."""
    # The example stands in for a payment API: the same order always gets the same id,
    # and the idempotency key is what a real API would use to avoid charging twice.
    digest = hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:8]
    return f"pay-{input}-{digest}"
