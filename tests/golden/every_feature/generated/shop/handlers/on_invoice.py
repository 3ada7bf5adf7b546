"""The subscription onInvoice: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ...billing.models import InvoicePaid


def on_invoice(event: InvoicePaid, ctx: eventual.SubscriptionContext) -> None:
    """The onInvoice subscription."""
    raise NotImplementedError("onInvoice is not implemented yet")
