"""Dead letters of a deployed service: the events its handler subscriptions gave up on.

``DeadLetters(sqs, queues, payloads, service)`` reads the dead-letter queues named in
the stack's ``DeadLetterQueues`` output (subscription -> queue URL). ``list`` peeks:
it receives every message (hidden for ``PEEK_SECONDS`` while it reads) and makes
them visible again at once, so listing changes nothing. Each comes back as a
``DeadLetterView``, as the embedded engine gives them, its id the SQS message id,
with the error the function recorded as message attributes, or ``Crashed`` for a
message moved there by the queue's redrive policy after the function kept failing
to finish. ``redrive(ids)`` sends those (all when none given) back to the
subscription's own queue (found with ``ListDeadLetterSourceQueues``) and deletes
them from the dead-letter queue; its answer is how many.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from eventual.aws.events import read_event
from eventual.aws.payloads import Payloads
from eventual.engine import DeadLetterView

PEEK_SECONDS = 30
_BATCH = 10


class DeadLetters:
    def __init__(
        self, sqs: Any, queues: Mapping[str, str], payloads: Payloads, service: str
    ) -> None:
        self.sqs = sqs
        self.queues = queues
        self.payloads = payloads
        self.service = service

    def list(self) -> builtins.list[DeadLetterView]:
        found = []
        for subscription, queue in sorted(self.queues.items()):
            messages = self._receive_all(queue)
            self._show(queue, messages)
            found += [self._letter(subscription, message) for message in messages]
        return sorted(found, key=lambda letter: letter.failed)

    def redrive(self, ids: Sequence[str] = ()) -> int:
        chosen = set(ids)
        count = 0
        for queue in self.queues.values():
            received = self._receive_all(queue)
            messages = [m for m in received if not chosen or m["MessageId"] in chosen]
            self._show(queue, [m for m in received if m not in messages])
            if not messages:
                continue
            source = self.sqs.list_dead_letter_source_queues(QueueUrl=queue)["queueUrls"][0]
            for start in range(0, len(messages), _BATCH):
                batch = messages[start : start + _BATCH]
                entries = [{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(batch)]
                self.sqs.send_message_batch(QueueUrl=source, Entries=entries)
                receipts = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(batch)]  # fmt: skip
                self.sqs.delete_message_batch(QueueUrl=queue, Entries=receipts)
            count += len(messages)
        return count

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
