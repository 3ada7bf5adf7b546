"""Dead letters of a deployed service: the events its subscriptions gave up on.

``dead_letter`` puts one there: a handler subscription's function on its own
dead-letter queue, the orchestrator (a declarative ``signal:`` that found no running
execution in all its attempts) on the service's ``UndeliveredSignals`` queue; the error
travels as message attributes.

``DeadLetters(sqs, queues, payloads, service)`` reads the dead-letter queues named in
the stack's ``DeadLetterQueues`` output (subscription -> queue URL; several
subscriptions may share one). ``list`` peeks:
it receives every message (hidden for ``PEEK_SECONDS`` while it reads) and makes
them visible again at once, so listing changes nothing. Each comes back as a
``DeadLetterView``, as the embedded engine gives them, its id the SQS message id,
with the error the function recorded as message attributes, or ``Crashed`` for a
message moved there by the queue's redrive policy after the function kept failing
to finish. ``redrive(ids)`` sends those (all when none given) back to the
subscription's own queue (found with ``ListDeadLetterSourceQueues``), or for an
undelivered signal to the orchestrator's inbox as a first attempt again, and deletes
them from the dead-letter queue; its answer is how many.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from eventual.aws.deployment import Deployment
from eventual.aws.events import read_event
from eventual.aws.payloads import Payloads
from eventual.aws.queues import Outgoing
from eventual.engine import DeadLetterView

PEEK_SECONDS = 30
MESSAGE_LIMIT = 4000  # characters of an error message kept on a dead letter
_BATCH = 10


def dead_letter(
    deployment: Deployment, subscription: str, body: Any, error: dict[str, str], attempts: int
) -> None:
    """Puts bus event ``body``, which ``subscription`` gave up on after ``attempts``
    with ``error``, on the function's dead-letter queue (``EVENTUAL_DEAD_LETTER_QUEUE``)."""
    queue = deployment.config.dead_letter_queue
    if queue is None:
        raise LookupError("EVENTUAL_DEAD_LETTER_QUEUE is not set")
    attributes = {
        "error": error["error"], "message": error["message"][:MESSAGE_LIMIT],
        "subscription": subscription, "attempts": str(attempts),
    }  # fmt: skip
    deployment.queues.send([Outgoing(queue, body, attributes=attributes)])


class DeadLetters:
    def __init__(
        self, sqs: Any, queues: Mapping[str, str], payloads: Payloads, service: str,
        inbox: str | None = None,
    ) -> None:  # fmt: skip
        self.sqs = sqs
        self.queues = queues
        self.payloads = payloads
        self.service = service
        self.inbox = inbox  # where undelivered signals go back to

    def _by_queue(self) -> dict[str, str]:
        """Each queue once, with the (first) subscription it is named for."""
        found: dict[str, str] = {}
        for subscription, queue in sorted(self.queues.items()):
            found.setdefault(queue, subscription)
        return found

    def list(self) -> builtins.list[DeadLetterView]:
        found = []
        for queue, subscription in self._by_queue().items():
            messages = self._receive_all(queue)
            self._show(queue, messages)
            found += [self._letter(subscription, message) for message in messages]
        return sorted(found, key=lambda letter: letter.failed)

    def redrive(self, ids: Sequence[str] = ()) -> int:
        chosen = set(ids)
        count = 0
        for queue in self._by_queue():
            received = self._receive_all(queue)
            messages = [m for m in received if not chosen or m["MessageId"] in chosen]
            self._show(queue, [m for m in received if m not in messages])
            if not messages:
                continue
            sources = self.sqs.list_dead_letter_source_queues(QueueUrl=queue)["queueUrls"]
            for start in range(0, len(messages), _BATCH):
                batch = messages[start : start + _BATCH]
                source, bodies = self._return_to(sources, batch)
                entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
                self.sqs.send_message_batch(QueueUrl=source, Entries=entries)
                receipts = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(batch)]  # fmt: skip
                self.sqs.delete_message_batch(QueueUrl=queue, Entries=receipts)
            count += len(messages)
        return count

    def _return_to(
        self, sources: Sequence[str], messages: Sequence[dict[str, Any]]
    ) -> tuple[str, builtins.list[str]]:
        """Where dead letters go back to and as what: their subscription's queue as they
        are, or (an undelivered signal, whose queue no redrive policy feeds) the inbox
        as a first attempt of the subscription named on the letter."""
        if sources:
            return sources[0], [m["Body"] for m in messages]
        if self.inbox is None:
            raise LookupError("dead letters of undelivered signals need the inbox's URL")
        bodies = []
        for message in messages:
            subscription = message["MessageAttributes"]["subscription"]["StringValue"]
            event = json.loads(self.payloads.unpack(message["Body"]))
            again = {"kind": "signal-retry", "subscription": subscription, "event": event,
                     "attempt": 1}  # fmt: skip
            bodies.append(self.payloads.pack(json.dumps(again)))
        return self.inbox, bodies

    def _receive_all(self, queue: str) -> builtins.list[dict[str, Any]]:
        """Every message of ``queue``, hidden for ``PEEK_SECONDS`` (see ``_show``)."""
        seen: builtins.list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=queue, MaxNumberOfMessages=_BATCH, VisibilityTimeout=PEEK_SECONDS,
                MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
            )  # fmt: skip
            received = answer.get("Messages", [])
            if not received:
                return seen
            seen += received

    def _show(self, queue: str, messages: Sequence[dict[str, Any]]) -> None:
        """Makes ``messages`` visible again at once."""
        for start in range(0, len(messages), _BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + _BATCH])
            ]
            self.sqs.change_message_visibility_batch(QueueUrl=queue, Entries=entries)

    def _letter(self, subscription: str, message: Mapping[str, Any]) -> DeadLetterView:
        attributes = {k: v.get("StringValue", "") for k, v in
                      message.get("MessageAttributes", {}).items()}  # fmt: skip
        subscription = attributes.get("subscription") or subscription
        body = json.loads(self.payloads.unpack(message["Body"]))
        event = read_event(body, self.service, self.payloads)
        error = {"error": attributes.get("error", "Crashed"),
                 "message": attributes.get("message", "the function did not finish")}  # fmt: skip
        system = message.get("Attributes", {})
        sent = int(system.get("SentTimestamp", "0")) / 1000
        attempts = int(attributes.get("attempts") or system.get("ApproximateReceiveCount", "1"))
        return DeadLetterView(
            message["MessageId"], self.service, subscription, event.meta.name, event.meta.id,
            event.payload, error, attempts, datetime.fromtimestamp(sent, UTC),
        )  # fmt: skip
