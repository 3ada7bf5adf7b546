"""Names the stack and the runtime must agree on without a map between them: task
queue names (``eventual.aws.config``), the tag of finished executions' objects
that the stack's lifecycle rule filters on (``eventual.aws.store``) and the state
table's TTL attribute (``eventual.aws.table``)."""

from __future__ import annotations

from typing import Any

from eventual.aws.config import (
    QUEUE_NAME_LIMIT,
    queue_prefix,
    task_queue_name,
    task_queue_url,
)
from eventual.aws.store import FINISHED, StateStore
from eventual.aws.table import RecordTable
from eventualc.cdk.construct import FINISHED_TAG, TTL_ATTRIBUTE


def test_a_short_prefix_and_task_make_a_readable_queue_name() -> None:
    assert queue_prefix("orders") == "orders"
    assert task_queue_name("orders", "shipOrder") == "orders-task-shipOrder"


def test_long_names_are_cut_to_sqs_limits_and_stay_distinct() -> None:
    stack = "a-stack-name-much-longer-than-forty-characters-for-sure"
    prefix = queue_prefix(stack)
    assert len(prefix) == 40 and prefix.startswith(stack[:31])
    assert queue_prefix(stack + "x") != prefix  # the hash tells them apart
    tasks = [f"recalculateCustomerSegmentMembership{i:03d}" for i in range(3)]
    names = [task_queue_name(prefix, t) for t in tasks]
    assert len(set(names)) == 3
    assert all(len(n) <= QUEUE_NAME_LIMIT for n in names)
    # The orchestrator's permission names them all by prefix: it must survive the cut.
    assert all(n.startswith(f"{prefix}-task-") for n in names)


def test_characters_sqs_refuses_are_replaced() -> None:
    assert queue_prefix("Platform/Orders.v2") == "Platform-Orders-v2"


def test_task_queue_urls_derive_from_a_queue_of_the_same_account_and_region() -> None:
    sibling = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-OrchestratorQueue-X.fifo"
    assert task_queue_url(sibling, "orders", "shipOrder") == (
        "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-task-shipOrder"
    )


class RecordingS3:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def put_object(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("put_object", kwargs))
        return {"ETag": '"e"'}

    def put_object_tagging(self, **kwargs: Any) -> None:
        self.calls.append(("put_object_tagging", kwargs))


def test_finished_objects_carry_the_tag_the_lifecycle_rule_expires() -> None:
    assert dict([FINISHED_TAG]) == dict(FINISHED)
    s3 = RecordingS3()
    store = StateStore(s3, "state")
    store.create("executions/e1/history/00000001.json", "[]", tags=FINISHED)
    store.create("executions/e2/history/00000000.json", "[]")
    store.tag_finished(["executions/e1/history/00000000.json"])
    (_, last), (_, other), (kind, earlier) = s3.calls
    assert last["Tagging"] == "eventual-finished=true"
    assert "Tagging" not in other
    assert last["IfNoneMatch"] == other["IfNoneMatch"] == "*"  # history chunks: created once
    assert kind == "put_object_tagging"
    assert earlier["Tagging"] == {"TagSet": [{"Key": "eventual-finished", "Value": "true"}]}


class RecordingDynamoDB:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_item(self, **kwargs: Any) -> None:
        self.items.append(kwargs["Item"])


def test_a_finished_record_expires_by_the_table_s_ttl_attribute() -> None:
    from datetime import UTC, datetime

    dynamodb = RecordingDynamoDB()
    table = RecordTable(dynamodb, "t", StateStore(RecordingS3(), "state"), 7)
    ended = datetime(2026, 1, 1, tzinfo=UTC)
    table.write("e1", "{}", 1, None)
    table.write("e2", "{}", 1, None, ended=ended)
    running, finished = dynamodb.items
    assert TTL_ATTRIBUTE not in running
    assert finished[TTL_ATTRIBUTE] == {"N": str(int(datetime(2026, 1, 8, tzinfo=UTC).timestamp()))}
