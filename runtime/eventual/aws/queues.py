"""SQS in and out: Lambda's SQS events as ``Received`` messages, answers with partial
batch failures, and ``Queues.send`` for outgoing ``Outgoing`` messages.

Lambda hands a function a batch ``{"Records": [...]}``; ``received`` reads each record
(id, receipt handle, body, receive count, source queue ARN, attributes) and
``batch_response`` reports the ids that failed, so only those come back
(ReportBatchItemFailures). ``Queues.send`` sends JSON bodies in batches of up to ten
per queue, bodies over 200 KB by reference (``payloads``), and raises ``SendError``
if any entry is refused: callers treat that as a failure to redo, never as done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventual.aws.payloads import Payloads
from eventual.state import dumps, loads

BATCH = 10  # entries per SendMessageBatch
BATCH_BYTES = 250_000  # a batch's bodies together stay under SQS's 256 KB


class SendError(RuntimeError):
    """SQS refused some messages."""


@dataclass(frozen=True, slots=True)
class Received:
    id: str
    receipt: str
    body: str
    receive_count: int
    source: str  # the queue's ARN
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fifo(self) -> bool:
        return self.source.endswith(".fifo")

    @property
    def queue_name(self) -> str:
        return self.source.rsplit(":", 1)[-1]


def received(event: Mapping[str, Any]) -> list[Received]:
    """The messages of a Lambda SQS event, in order."""
    return [_received(record) for record in event.get("Records", [])]


def _received(record: Mapping[str, Any]) -> Received:
    attributes = record.get("attributes", {})
    return Received(
        id=record["messageId"], receipt=record["receiptHandle"], body=record["body"],
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        source=record.get("eventSourceARN", ""), attributes=attributes,
        message_attributes=record.get("messageAttributes", {}),
    )  # fmt: skip


def batch_response(failed: Sequence[str]) -> dict[str, Any]:
    """The answer to Lambda: these message ids failed and come back; the rest are done."""
    return {"batchItemFailures": [{"itemIdentifier": message} for message in failed]}


@dataclass(frozen=True, slots=True)
class Outgoing:
    queue: str  # URL
    body: Any  # JSON data
    group: str | None = None  # FIFO: the message group
    dedup: str | None = None  # FIFO: the deduplication id
    delay: int = 0  # seconds, standard queues only
    attributes: Mapping[str, str] = field(default_factory=dict)  # string message attributes


class Queues:
    def __init__(self, sqs: Any, payloads: Payloads) -> None:
        self.sqs = sqs
        self.payloads = payloads
        self._urls: dict[str, str] = {}

    def send(self, messages: Sequence[Outgoing]) -> None:
        by_queue: dict[str, list[Outgoing]] = {}
        for message in messages:
            by_queue.setdefault(message.queue, []).append(message)
        for queue, outgoing in by_queue.items():
            for batch in _batches([(m, self.payloads.pack(dumps(m.body))) for m in outgoing]):
                self._send_batch(queue, batch)

    def _send_batch(self, queue: str, batch: list[tuple[Outgoing, str]]) -> None:
        entries = [_entry(str(i), message, text) for i, (message, text) in enumerate(batch)]
        answer = self.sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        failed = answer.get("Failed") or []
        if failed:
            reasons = "; ".join(f"{f.get('Code')}: {f.get('Message', '')}" for f in failed)
            raise SendError(f"{len(failed)} messages to {queue} were refused: {reasons}")

    def body(self, message: Received) -> Any:
        """The JSON body of a received message, fetched from S3 if sent by reference."""
        return loads(self.payloads.unpack(message.body))

    def url(self, message: Received) -> str:
        """The URL of the queue ``message`` came from (asked once per queue)."""
        name = message.queue_name
        if name not in self._urls:
            account = message.source.split(":")[4]
            answer = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._urls[name] = answer["QueueUrl"]
        return self._urls[name]

    def retry_later(self, message: Received, seconds: float) -> None:
        """``message`` comes back after ``seconds`` (at most SQS's 12 hours)."""
        timeout = max(0, min(43_200, round(seconds)))
        self.sqs.change_message_visibility(
            QueueUrl=self.url(message), ReceiptHandle=message.receipt, VisibilityTimeout=timeout
        )


def _entry(entry_id: str, message: Outgoing, text: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": text}
    if message.group is not None:
        entry["MessageGroupId"] = message.group
        entry["MessageDeduplicationId"] = message.dedup
    elif message.delay:
        entry["DelaySeconds"] = message.delay
    if message.attributes:
        entry["MessageAttributes"] = {
            name: {"DataType": "String", "StringValue": value or "-"}
            for name, value in message.attributes.items()
        }
    return entry


def _batches(items: list[tuple[Outgoing, str]]) -> Iterator[list[tuple[Outgoing, str]]]:
    batch: list[tuple[Outgoing, str]] = []
    size = 0
    for item in items:
        length = len(item[1].encode("utf-8"))
        if batch and (len(batch) == BATCH or size + length > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += length
    if batch:
        yield batch
