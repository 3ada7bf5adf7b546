"""Events and messages on the deployed stacks (moto): the seed's choreography through
the bus's real rules, a workflow started by an event (once per execution name), a
subscription retried then dead-lettered, payloads over 200 KB by reference, partial
batch failures and timers longer than SQS can delay."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.runtime.aws.support import Aws, waiting_for_signal

from eventual.aws import messages
from eventual.aws.orchestrator import Orchestrator
from eventual.aws.record import ExecutionRecord
from eventual.status import ExecutionStatus


def _shipped(caplog: pytest.LogCaptureFixture, order: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"order {order} ")]


def _orchestrator_source(aws: Aws, stack: str, fifo: bool) -> Any:
    return next(
        s for s in aws.harness.stacks[stack].sources
        if s.function.kind == "orchestrator" and s.queue.endswith(".fifo") == fifo
    )  # fmt: skip


def test_the_seed_choreography_goes_through_the_bus(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = dict(aws.harness.invocations)
    aws.client("orders").publish("OrderCreated", {"orderId": "order-c1"})
    aws.harness.run()
    assert _shipped(caplog, "order-c1") == ["order order-c1 shipped as ship-order-c1"]
    for function in ("ProcessOrderPayment", "ShipOrderAfterPayment", "UpdateOrderStatus"):
        assert aws.harness.invocations[function] == before.get(function, 0) + 1


def test_an_event_starts_its_workflow_once_per_execution_name(aws: Aws) -> None:
    client = aws.client("trips")
    for _ in range(2):  # the same name twice: one execution
        client.publish("TripRequested", {"tripId": "t-ev-1"})
    aws.harness.run(until=lambda: aws.calls("recordBooking").count("t-ev-1") >= 1, timeout=30)
    aws.harness.run()
    view = client.get("t-ev-1")
    assert (view.workflow, view.status) == ("bookTrip", ExecutionStatus.SUCCEEDED)
    assert [v.name for v in client.list(workflow="bookTrip")].count("t-ev-1") == 1
    assert aws.calls("bookFlight").count(["t-ev-1", 1]) == 1
    assert aws.calls("recordBooking").count("t-ev-1") == 1  # the workflow's emit, delivered


def test_a_failing_subscription_is_retried_then_dead_lettered(aws: Aws) -> None:
    client = aws.client("trips")
    client.publish("Glitch", {"n": 7})
    queue = json.loads(aws.harness.stacks["trips"].outputs["DeadLetterQueues"])["glitchy"]
    sqs = aws.clients.sqs
    letters: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        answer = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])
        # Only this event's: other tests (dlq list/redrive) may leave letters there.
        letters.extend(
            m for m in answer.get("Messages", [])
            if m["MessageAttributes"]["message"]["StringValue"] == "glitch 7"
        )  # fmt: skip
        return bool(letters)

    aws.harness.run(until=dead_lettered, timeout=30)
    assert aws.calls("glitchy").count(7) == 2  # attempts: 2
    attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
    assert attributes == {"error": "RuntimeError", "message": "glitch 7",
                          "subscription": "glitchy", "attempts": "2"}  # fmt: skip
    event = json.loads(letters[0]["Body"])
    assert (event["detail-type"], event["detail"]) == ("Glitch", {"n": 7})


def _payload_keys(aws: Aws, stack: str) -> list[str]:
    bucket = aws.harness.stacks[stack].outputs["BucketName"]
    listing = aws.clients.s3.list_objects_v2(Bucket=bucket, Prefix="payloads/")
    return [o["Key"] for o in listing.get("Contents", [])]


def test_payloads_over_200_kb_travel_by_reference(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    big = "big-" + "x" * 250_000
    client = aws.client("orders")
    execution = client.start("processOrder", big)
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED
    assert view.result["orderId"] == big and view.result["shippingId"] == f"ship-{big}"
    stored = len(_payload_keys(aws, "orders"))
    assert stored >= 3  # the start, the task inputs, the answers
    other = "huge-" + "y" * 250_000
    client.publish("OrderCreated", {"orderId": other})
    aws.harness.run()
    assert _shipped(caplog, other) == [f"order {other} shipped as ship-{other}"]
    assert len(_payload_keys(aws, "orders")) > stored  # events' details too


def test_a_batch_reports_only_the_messages_that_failed(aws: Aws) -> None:
    """One orchestrator batch: a good start, a message whose payload reference points
    nowhere, and a later message of that broken message's group. The good one is
    done; the broken one and the one queued behind it in its group come back."""
    sqs, source = aws.clients.sqs, _orchestrator_source(aws, "orders", fifo=True)
    good = messages.start("batch-good", "processOrder", "order-b", None)
    broken = "batch-broken"
    letters = [
        (good["group"], good["dedup"], json.dumps(good["body"])),
        (broken, "b-1", json.dumps({"$eventual:payload": "payloads/missing"})),
        (broken, "b-2", json.dumps(messages.to_orchestrator(broken, "cancel", "b-2")["body"])),
    ]
    for group, dedup, body in letters:
        sqs.send_message(QueueUrl=source.queue, MessageBody=body, MessageGroupId=group,
                         MessageDeduplicationId=dedup)  # fmt: skip
    received = sqs.receive_message(QueueUrl=source.queue, MaxNumberOfMessages=10,
                                   MessageSystemAttributeNames=["All"])["Messages"]  # fmt: skip
    assert len(received) == 3
    response = aws.harness.invoke(source, received)
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    groups = {m["MessageId"]: m["Attributes"]["MessageGroupId"] for m in received}
    assert failed and {groups[f] for f in failed} == {broken} and len(failed) == 2
    for message in received:
        sqs.delete_message(QueueUrl=source.queue, ReceiptHandle=message["ReceiptHandle"])
    client = aws.client("orders")
    assert aws.finish(client, "batch-good").status is ExecutionStatus.SUCCEEDED


def test_a_timer_longer_than_sqs_delays_is_scheduled_while_awaited(aws: Aws) -> None:
    """``approval`` waits for its signal with a 1 h timeout: that timer is a schedule.
    A timer that comes early is scheduled again for the rest; a timer nothing waits
    for any more (or whose execution is unknown) stops, sending and scheduling nothing."""
    now = datetime.now(UTC)
    effect = messages.timer("e-1", 7, now + timedelta(hours=2), now)
    assert (effect["kind"], effect["name"]) == ("schedule", messages.schedule_name("e-1", 7))
    effect = messages.timer("e-1", 7, now + timedelta(minutes=15), now)
    assert (effect["to"], effect["delay"]) == ("inbox", 900)
    client = aws.client("trips")
    execution = client.start("approval", "long-1")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    stack = aws.harness.stacks["trips"]
    found = client.deployment.records.read(execution)
    assert found is not None
    state = ExecutionRecord.from_text(found.text).state
    [timeout] = [h for h, (_, why) in state.handles.items() if why == "timeout"]
    source = next(s for s in stack.sources if s.queue == stack.outputs["InboxQueueUrl"])
    orchestrator = Orchestrator(aws.harness.deployment(source.function))
    scheduler = aws.clients.get("scheduler")
    [group] = stack.schedule_groups

    def scheduled() -> set[str]:
        return {s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]}

    assert messages.schedule_name(execution, timeout) in scheduled()
    scheduler.delete_schedule(GroupName=group, Name=messages.schedule_name(execution, timeout))
    before = scheduled()
    body = {"kind": "timer", "execution": execution, "handle": timeout,
            "due": now + timedelta(hours=1)}  # fmt: skip
    orchestrator.timer(body)  # early, still awaited: scheduled again
    assert scheduled() == before | {messages.schedule_name(execution, timeout)}
    orchestrator.timer({**body, "handle": timeout + 1000})  # nothing waits for this one
    orchestrator.timer({**body, "execution": "no-such-execution"})
    assert scheduled() == before | {messages.schedule_name(execution, timeout)}
    client.signal(execution, "approve", {"by": "cy"})
    assert aws.finish(client, execution).status is ExecutionStatus.SUCCEEDED


def test_an_event_signals_its_execution_once_it_runs(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    """``approvedBy`` signals the ``approval`` named by the event: an event that comes
    before the execution is retried through the inbox until it runs; one for no
    execution gives up after the subscription's attempts, with the error logged and the
    event dead-lettered."""
    client = aws.client("trips")
    client.publish("Approved", {"tripId": "sig-1", "by": "di"})
    client.publish("Approved", {"tripId": "sig-nobody", "by": "di"})
    aws.harness.run()  # the first attempts find no execution (retries wait, delayed)
    execution = client.start("approval", "sig-1", name="sig-1")
    assert aws.finish(client, execution, timeout=60).status is ExecutionStatus.SUCCEEDED
    assert client.get(execution).result == "sig-1 approved by di"
    received = [h for h in client.history(execution) if h["type"] == "SignalReceived"]
    assert [h["payload"] for h in received] == [{"by": "di"}]
    aws.harness.run(
        until=lambda: any("gave up" in r.getMessage() for r in caplog.records), timeout=120
    )
    [gave_up] = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert "approvedBy" in gave_up and "ExecutionNotFound" in gave_up and "after 5" in gave_up
    # ... and dead-lettered, where a redrive once the execution runs delivers it.
    [letter] = [d for d in client.dead_letters() if d.subscription == "approvedBy"]
    assert (letter.event, letter.payload) == ("Approved", {"tripId": "sig-nobody", "by": "di"})
    assert (letter.error["error"], letter.attempts) == ("ExecutionNotFound", 5)
    late = client.start("approval", "sig-nobody", name="sig-nobody")
    assert client.redrive([str(letter.id)]) == 1
    assert aws.finish(client, late, timeout=60).result == "sig-nobody approved by di"
    assert not [d for d in client.dead_letters() if d.subscription == "approvedBy"]
