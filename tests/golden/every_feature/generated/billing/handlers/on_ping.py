"""The subscription onPing: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ...shop.models import Ping


def on_ping(event: Ping, ctx: eventual.SubscriptionContext) -> None:
    """The onPing subscription."""
    raise NotImplementedError("onPing is not implemented yet")
