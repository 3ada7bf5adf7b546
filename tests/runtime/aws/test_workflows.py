"""Workflows on the deployed stacks (moto), driven through ``eventual.aws.Client``.

The seed's orchestration, a saga that compensates, a retried task, a timer and a
signal, a child execution, an execution keeping its definition across a deploy, and
an execution that survives messages delivered twice and a function stopping between
its state write and its sends.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from tests.runtime.aws.support import Aws, waiting_for_signal

from eventual import Service
from eventual.aws import Client, RequestError
from eventual.aws.config import Clients
from eventual.aws.store import Conflict
from eventual.status import ExecutionStatus


def _types(client: Client, execution: str) -> list[str]:
    return [entry["type"] for entry in client.history(execution)]


def test_the_seed_order_workflow_runs_to_its_result(aws: Aws) -> None:
    client = aws.client("orders")
    execution = client.start("processOrder", "order-1", name="order-1")
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED
    assert view.result["orderId"] == "order-1"
    assert view.result["paymentId"].startswith("pay-order-1-")
    assert view.result["shippingId"] == "ship-order-1"
    assert _types(client, execution).count("TaskSucceeded") == 3
    assert client.start("processOrder", "order-1", name="order-1") == execution
    assert client.get("order-1").id == execution
    assert execution in [v.id for v in client.list(workflow="processOrder", status="succeeded")]


def test_a_failed_saga_compensates_the_steps_it_completed(aws: Aws) -> None:
    client = aws.client("trips", with_service=False)  # names checked against the stored definition
    execution = client.start("bookTrip", "broke-1")
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.FAILED
    assert view.error == {"error": "CardDeclined", "message": "no funds for broke-1"}
    assert aws.calls("cancelFlight").count("flight-broke-1") == 1
    assert "broke-1" in aws.calls("bookHotel")
    types = _types(client, execution)
    assert types.index("CompensationStarted") < types.index("CompensationCompleted")


def test_a_failing_task_is_retried_after_its_backoff(aws: Aws) -> None:
    client = aws.client("trips")
    began = time.monotonic()
    execution = client.start("bookTrip", "retry-1")
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED
    assert view.result == {"flight": "flight-retry-1", "hotel": "hotel-retry-1"}
    assert [c for c in aws.calls("bookFlight") if c[0] == "retry-1"] == [
        ["retry-1", 1],
        ["retry-1", 2],
    ]
    assert time.monotonic() - began >= 1.0  # the 1 s backoff, through a delayed inbox message
    failed = [e for e in client.history(execution) if e["type"] == "TaskFailed"]
    assert failed[0]["error"] == {"error": "RuntimeError", "message": "the airline's API is down"}


def test_a_timer_then_a_signal(aws: Aws) -> None:
    client = aws.client("trips")
    began = time.monotonic()
    execution = client.start("approval", "a-1")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    assert time.monotonic() - began >= 2.0  # `sleep: 2s` waited in the inbox
    with pytest.raises(RequestError, match="declares no signal 'reject'"):
        client.signal(execution, "reject")
    with pytest.raises(RequestError, match="signal 'approve'"):
        client.signal(execution, "approve", {"who": "ana"})
    client.signal(execution, "approve", {"by": "ana"})
    view = aws.finish(client, execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, "a-1 approved by ana")
    with pytest.raises(RequestError, match="has ended"):
        client.cancel(execution)


def test_a_child_execution_reports_to_its_parent_and_a_cancel_stops_a_wait(aws: Aws) -> None:
    client = aws.client("trips")
    parent = client.start("family", "fam-1")
    view = aws.finish(client, parent)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, "flight-fam-1")
    children = [v for v in client.list(workflow="bookTrip") if v.parent == parent]
    assert [c.status for c in children] == [ExecutionStatus.SUCCEEDED]
    waiting = client.start("approval", "to-cancel")
    aws.harness.run(until=lambda: waiting_for_signal(client, waiting), timeout=30)
    client.cancel(waiting)
    assert aws.finish(client, waiting).status is ExecutionStatus.CANCELLED


def _changed(service: Service) -> Service:
    """``service`` with ``approval`` returning something else: a new definition."""
    definition: dict[str, Any] = {
        **service.definition.to_json(),
        "version": "v2-" + service.version[:8],
    }
    approval = dict(definition["workflows"]["approval"])
    approval["steps"] = [*approval["steps"][:-1], {"id": None, "kind": "return",
                                                   "value": "${{ input + ' v2' }}"}]  # fmt: skip
    approval["version"] = "v2"
    definition["workflows"] = {**definition["workflows"], "approval": approval}
    return Service(definition, service.package)


def test_a_running_execution_keeps_its_definition_across_a_deploy(aws: Aws) -> None:
    client = aws.client("trips")
    old = client.start("approval", "pin-1")
    aws.harness.run(until=lambda: waiting_for_signal(client, old), timeout=30)
    aws.harness.redeploy("trips", _changed(aws.service("trips")))
    try:
        new = client.start("approval", "pin-2")
        client.signal(old, "approve", {"by": "bo"})
        assert aws.finish(client, old).result == "pin-1 approved by bo"
        aws.harness.run(until=lambda: waiting_for_signal(client, new), timeout=30)
        client.signal(new, "approve", {"by": "bo"})
        assert aws.finish(client, new).result == "pin-2 v2"
    finally:
        aws.harness.redeploy("trips", aws.service("trips"))


def test_messages_delivered_twice_change_nothing(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    client = aws.client("trips")
    invoke = aws.harness.invoke

    def twice(source: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
        if source.function.kind == "orchestrator":  # the very same batch, a second time
            invoke(source, received)
        return invoke(source, received)

    monkeypatch.setattr(aws.harness, "invoke", twice)
    execution = client.start("bookTrip", "dup-1")
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED
    assert aws.calls("bookFlight").count(["dup-1", 1]) == 1
    assert aws.calls("chargeCard").count("dup-1") == 1
    assert _types(client, execution).count("StepCompleted") == 4


class _StopAfterWrite:
    """An SQS client whose next ``send_message_batch`` fails, once: a function stopping
    between its state write and its sends."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)

    def send_message_batch(self, **kwargs: Any) -> Any:
        if self.armed:
            self.armed = False
            raise ConnectionError("the function stopped here")
        return self.sqs.send_message_batch(**kwargs)


def test_an_execution_survives_a_stop_between_its_write_and_its_sends(aws: Aws) -> None:
    harness = aws.harness
    counted = harness.functions_clients
    flaky = _StopAfterWrite(counted.sqs)
    harness.functions_clients = Clients(lambda name: flaky if name == "sqs" else counted.get(name))
    harness.deployments.clear()
    client = aws.client("trips")
    failures = len(harness.failures)
    try:
        execution = client.start("bookTrip", "stop-1")
        view = aws.finish(client, execution)
    finally:
        harness.functions_clients = counted
        harness.deployments.clear()
    assert not flaky.armed and len(harness.failures) == failures + 1
    assert view.status is ExecutionStatus.SUCCEEDED
    assert aws.calls("bookFlight").count(["stop-1", 1]) == 1
    assert _types(client, execution).count("TaskScheduled") == 3


def test_concurrent_orchestrators_lose_no_update(aws: Aws) -> None:
    """Two orchestrators apply a signal each to one execution at once: the one that
    read first finds the record changed when it writes, reads again and applies its
    signal on top, so the execution sees both."""
    from eventual.aws.config import Config
    from eventual.aws.deployment import Deployment
    from eventual.aws.orchestrator import Orchestrator

    client = aws.client("trips")
    execution = client.start("collect")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    function = next(f for f in aws.harness.stacks["trips"].functions.values()
                    if f.kind == "orchestrator")  # fmt: skip
    first, second = (
        Orchestrator(Deployment(Config.from_environment(function.environment),
                                clients=aws.harness.functions_clients))
        for _ in range(2)
    )  # fmt: skip
    records = first.deployment.records
    reads, writes = [], []

    def read_then_race(execution: str) -> Any:
        found = type(records).read(records, execution)
        reads.append(execution)
        if len(reads) == 1:  # the other one writes between this read and this write
            second.apply(execution, [_signal(execution, "race-2", 2)])
        return found

    def write(*args: Any, **kwargs: Any) -> None:
        try:
            type(records).write(records, *args, **kwargs)
        except Conflict:
            writes.append("conflict")
            raise
        writes.append("written")

    records.read = read_then_race  # type: ignore[method-assign]
    records.write = write  # type: ignore[method-assign]
    first.apply(execution, [_signal(execution, "race-1", 1)])
    assert len(reads) == 2  # read, conflict on write, read again
    assert writes == ["conflict", "written"]  # the table's condition refused the first
    view = aws.finish(client, execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, 3)
    assert _types(client, execution).count("SignalReceived") == 2


def _signal(execution: str, dedup: str, item: int) -> dict[str, Any]:
    from eventual.aws import messages

    letter = messages.to_orchestrator(execution, "signal", dedup, name="item", payload=item)
    body: dict[str, Any] = letter["body"]
    return body


def _item(client: Client, execution: str) -> dict[str, Any]:
    """The state table's item of ``execution``, as DynamoDB holds it."""
    deployment = client.deployment
    table = deployment.config.state_table
    key = {"id": {"S": execution}}
    found = deployment.clients.dynamodb.get_item(TableName=table, Key=key)
    item: dict[str, Any] = found["Item"]
    return item


def _tags(client: Client, key: str) -> dict[str, str]:
    store = client.deployment.store
    found = store.s3.get_object_tagging(Bucket=store.bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in found}


def test_a_finished_execution_s_record_and_objects_expire(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write that finishes an execution gives its item an expiry (the table's TTL
    attribute: its end plus the retention days), and its history chunks the tag the
    bucket's lifecycle rule expires; while it runs, neither."""
    from eventual.aws import orchestrator
    from eventual.aws.store import FINISHED, history_key

    monkeypatch.setattr(orchestrator, "CHUNK_ENTRIES", 3)  # history chunks while it runs
    client = aws.client("trips")
    execution = client.start("approval", "tagged-1")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    assert "expires" not in _item(client, execution)  # running: DynamoDB keeps it
    assert _tags(client, history_key(execution, 0)) == {}
    client.signal(execution, "approve", {"by": "ana"})
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED and view.ended is not None
    days = aws.harness.stacks["trips"].functions["Orchestrator"].environment
    assert days["EVENTUAL_RETENTION_DAYS"] == "90"
    expires = int(_item(client, execution)["expires"]["N"])
    assert expires == int((view.ended + timedelta(days=90)).timestamp())
    description = client.deployment.clients.dynamodb.describe_time_to_live(
        TableName=client.deployment.config.state_table
    )["TimeToLiveDescription"]  # the stack made it the table's TTL attribute
    assert description == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    chunks = list(client.deployment.store.keys(f"executions/{execution}/history/"))
    assert chunks
    assert all(_tags(client, key) == dict(FINISHED) for key in chunks)


def test_a_wait_on_several_signals_with_a_timeout_template_answers_queries(aws: Aws) -> None:
    client = aws.client("trips")
    execution = client.start("decide", 3600)
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    assert client.query(execution, "deadline") == 3600
    assert client.query(execution, "phase") == "waiting"
    client.signal(execution, "reject", "too dear")
    view = aws.finish(client, execution)
    assert view.result == {"name": "reject", "payload": "too dear"}
    assert client.query(execution, "phase") == "reject"  # from the final state
    with pytest.raises(
        RequestError, match=r"declares no query 'nope' \(declared: deadline, phase\)"
    ):
        client.query(execution, "nope")


def test_an_execution_whose_record_is_still_in_the_bucket_runs_on(aws: Aws) -> None:
    """An execution running when the stack moved its records to the table has its
    record at ``executions/<id>/state.json``: it is read there, and the next write
    moves it into the table and tags the object for the lifecycle rule."""
    from eventual.aws.store import FINISHED
    from eventual.aws.table import legacy_key

    client = aws.client("trips")
    execution = client.start("approval", "moved-1")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    deployment = client.deployment
    table, store = deployment.config.state_table, deployment.store
    text = _item(client, execution)["record"]["S"]
    store.create(legacy_key(execution), text)  # as the version before the table kept it
    deployment.clients.dynamodb.delete_item(TableName=table, Key={"id": {"S": execution}})
    assert client.get(execution).status is ExecutionStatus.IN_PROGRESS  # read there
    client.signal(execution, "approve", {"by": "ana"})
    view = aws.finish(client, execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, "moved-1 approved by ana")
    assert "expires" in _item(client, execution)  # in the table now, finished
    assert _tags(client, legacy_key(execution)) == dict(FINISHED)
