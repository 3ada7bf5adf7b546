"""The task chargeCustomerForBillingPeriod: charges one billing period's amount."""

from __future__ import annotations

import eventual

from ..models import ChargeCustomerForBillingPeriodInput
from . import outbox


def charge_customer_for_billing_period(
    input: ChargeCustomerForBillingPeriodInput, ctx: eventual.TaskContext
) -> None:
    """Charges the customer ``input.amount`` for the current billing period."""
    outbox.LOG.info("charging %s amount %s", input.customer.email, input.amount)
    outbox.SENT.append(f"charge {input.customer.id} {input.amount}")
