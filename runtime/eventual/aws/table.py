"""The state table: execution records (``eventual.aws.record``), one item per execution.

Items: ``id`` (the execution id, the partition key), ``revision`` (a number: the
record's revision, one more on every write), and either ``record`` (the record's
JSON text) or, for a record too big for an item (over ``ITEM_LIMIT`` bytes;
DynamoDB caps an item at 400 KB), ``key``: the S3 object holding it,
``executions/<id>/state/<sha256>.json``, created once (``If-None-Match``) and named
by its content, so two writers racing on one revision never share an object. A
finished execution's item also has ``expires`` (epoch seconds: its end plus the
retention days), the table's TTL attribute, so DynamoDB deletes it as S3's
lifecycle rule expires the rest of the execution.

``write`` is conditional: a new record only if the item does not exist
(``attribute_not_exists(id)``), an update only if the item is still at the revision
read (``revision = :read``). ``ConditionalCheckFailedException`` raises ``Conflict``
(the caller reads again and redoes its change); any other error (a throttle that
outlasted botocore's retries, access denied) fails loudly, never retried as a
conflict. A failed conditional write is billed like a successful one. Reads are
strongly consistent (``ConsistentRead``), so a read after a write sees it.

A record moved to S3 and then superseded (by a later write) is tagged finished, so
the bucket's lifecycle rule expires it; a reader holding the older item can still
read it until then.

Executions that were running when the stack moved to the table have their record
in the bucket (``executions/<id>/state.json``, where earlier versions kept it):
``read`` falls back to it when the table has no item, and the next write moves it
into the table (created as a new item) and tags the object finished.

Only the orchestrator writes (``PutItem``, ``GetItem``); the operator's client reads
(``GetItem``, and ``Scan`` for the list of executions, which the table keeps in the
order of its partition keys' hashes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eventual.aws.store import FINISHED, Conflict, StateStore, error_code

ITEM_LIMIT = 350_000  # bytes of record text kept in an item (DynamoDB's limit: 400 KB)
_CONFLICT_CODES = frozenset({"ConditionalCheckFailedException"})


@dataclass(frozen=True, slots=True)
class Stored:
    """A record as read: its text, the item's revision, and the S3 key holding the
    text when it was too big for the item."""

    text: str
    revision: int
    key: str | None = None
    legacy: bool = False  # read from the bucket's ``state.json``: not in the table yet


def legacy_key(execution: str) -> str:
    """Where records were kept before the state table."""
    return f"executions/{execution}/state.json"


def large_record_key(execution: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"executions/{execution}/state/{digest}.json"


class RecordTable:
    """Execution records in DynamoDB table ``table`` (``dynamodb``: a botocore client),
    big ones in the state bucket through ``store``; ``retention_days``: how long a
    finished execution's item stays."""

    def __init__(self, dynamodb: Any, table: str, store: StateStore, retention_days: int) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.store = store
        self.retention_days = retention_days

    def read(self, execution: str) -> Stored | None:
        """The record of ``execution`` (``None`` when there is none)."""
        answer = self.dynamodb.get_item(
            TableName=self.table, Key={"id": {"S": execution}}, ConsistentRead=True
        )
        item = answer.get("Item")
        return self._legacy(execution) if item is None else self._stored(item)

    def write(
        self, execution: str, text: str, revision: int, read: Stored | None,
        ended: datetime | None = None,
    ) -> None:  # fmt: skip
        """Writes record ``text`` at ``revision`` if the item is still as ``read``
        (``None``: if there is none); ``ended``: the end of a finished execution,
        from which its item expires. Raises ``Conflict`` otherwise."""
        item: dict[str, Any] = {"id": {"S": execution}, "revision": {"N": str(revision)}}
        key = None
        if len(text.encode("utf-8")) > ITEM_LIMIT:
            key = large_record_key(execution, text)
            self.store.create(key, text, tags=FINISHED if ended is not None else None)
            item["key"] = {"S": key}
        else:
            item["record"] = {"S": text}
        if ended is not None:
            expires = ended + timedelta(days=self.retention_days)
            item["expires"] = {"N": str(int(expires.timestamp()))}
        if read is None or read.legacy:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(id)"}
        else:
            condition = {
                "ConditionExpression": "revision = :read",
                "ExpressionAttributeValues": {":read": {"N": str(read.revision)}},
            }
        try:
            self.dynamodb.put_item(TableName=self.table, Item=item, **condition)
        except Exception as exc:
            if error_code(exc) in _CONFLICT_CODES:
                raise Conflict(execution) from exc
            raise
        if read is not None and read.key is not None and read.key != key:
            self.store.tag_finished([read.key])  # superseded: the lifecycle rule expires it

    def scan(
        self, after: str | None = None, limit: int | None = None, prefix: str | None = None
    ) -> Iterator[Stored]:
        """Every record (whose id starts with ``prefix``, if given), in the table's
        order, starting after the execution whose id is ``after``; at most ``limit``
        items read per request."""
        start: dict[str, Any] | None = {"id": {"S": after}} if after else None
        while True:
            request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
            if prefix is not None:
                request["FilterExpression"] = "begins_with(id, :prefix)"
                request["ExpressionAttributeValues"] = {":prefix": {"S": prefix}}
            if start is not None:
                request["ExclusiveStartKey"] = start
            if limit is not None:
                request["Limit"] = limit
            answer = self.dynamodb.scan(**request)
            for item in answer.get("Items", []):
                yield self._stored(item)
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return

    def _legacy(self, execution: str) -> Stored | None:
        key = legacy_key(execution)
        found = self.store.read(key)
        return None if found is None else Stored(found.text, 0, key, legacy=True)

    def _stored(self, item: dict[str, Any]) -> Stored:
        revision = int(item["revision"]["N"])
        if "record" in item:
            return Stored(item["record"]["S"], revision)
        key = item["key"]["S"]
        found = self.store.read(key)
        if found is None:
            raise LookupError(f"execution record {key} is missing from the state bucket")
        return Stored(found.text, revision, key)
