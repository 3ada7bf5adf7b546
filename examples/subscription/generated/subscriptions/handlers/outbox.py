"""Stand-ins for the mailer and the payment provider: what was sent and charged, in order.

The original's activities only log; these keep a record (``SENT``) as well, so that a
test can see which emails went out and which amounts were charged.
"""

from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)
SENT: list[str] = []


def reset() -> None:
    SENT.clear()


def send(what: str, customer_id: str, email: str) -> None:
    LOG.info("sending %s email to %s", what, email)
    SENT.append(f"{what} {customer_id}")
