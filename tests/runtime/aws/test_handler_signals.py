"""``ctx.signal`` on the deployed stack (moto): a task or handler subscription that declares
``signals`` sends through its own FIFO signal queue, which the orchestrator reads and
checks against what that sender declares."""

from __future__ import annotations

import json
import time
import uuid

from tests.runtime.aws.support import Aws

from eventual.aws.config import signal_queue_name
from eventual.status import ExecutionStatus


def test_a_task_signals_a_running_execution_by_its_name(aws: Aws) -> None:
    trips = aws.client("trips")
    name = f"poked-{uuid.uuid4().hex[:8]}"
    approval = trips.start("approval", name, name=name)
    poke = trips.start("poke", name)
    assert aws.finish(trips, poke).status is ExecutionStatus.SUCCEEDED
    assert aws.finish(trips, approval).result == f"{name} approved by task"


def test_a_subscription_signals_and_what_it_cannot_send_is_dead_lettered(aws: Aws) -> None:
    trips = aws.client("trips")
    tag = uuid.uuid4().hex[:8]
    name = f"relayed-{tag}"
    approval = trips.start("approval", name, name=name)
    trips.publish("Relay", {"tripId": name, "by": "relay"})
    assert aws.finish(trips, approval).result == f"{name} approved by relay"
    trips.publish("Relay", {"tripId": f"nobody-{tag}", "by": "x"})  # no such execution
    trips.publish("Relay", {"tripId": name, "by": "undeclared"})  # collect.item: not declared
    deadline = time.monotonic() + 60
    letters: dict[str, str] = {}
    while len(letters) < 2:
        assert time.monotonic() < deadline, letters
        aws.harness.run(timeout=10)
        letters = {
            str(letter.payload["tripId"]): letter.error["error"]
            for letter in trips.dead_letters()
            if letter.subscription == "relay" and tag in str(letter.payload["tripId"])
        }
    assert letters == {f"nobody-{tag}": "ExecutionNotFound", name: "UndeclaredSignal"}


def test_the_orchestrator_applies_only_signals_the_queues_sender_declares(aws: Aws) -> None:
    trips = aws.client("trips")
    name = f"forged-{uuid.uuid4().hex[:8]}"
    collect = trips.start("collect", None, name=name)
    approval = trips.start("approval", name, name=name)
    aws.harness.run(timeout=10)
    sqs = aws.clients.sqs
    prefix = _prefix(aws)
    queue = sqs.get_queue_url(QueueName=signal_queue_name(prefix, "sub-relay"))["QueueUrl"]
    forged = [  # on relay's queue: a signal relay does not declare, one as another sender
        {"op": "signal", "id": "f1", "execution": collect, "name": "item", "payload": 5,
         "workflow": "collect", "sender": "sub-relay"},
        {"op": "signal", "id": "f2", "execution": approval, "name": "approve",
         "payload": {"by": "mallory"}, "workflow": "approval", "sender": "task-pokeApproval"},
        {"op": "cancel", "id": "f3", "execution": approval, "sender": "sub-relay"},
    ]  # fmt: skip
    for body in forged:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body),
                         MessageGroupId=body["execution"], MessageDeduplicationId=body["id"])  # fmt: skip
    aws.harness.run(timeout=15)
    assert trips.get(approval).status is ExecutionStatus.IN_PROGRESS
    assert not any(e["type"] == "SignalReceived" for e in trips.history(collect))
    trips.publish("Relay", {"tripId": name, "by": "relay"})  # a genuine one still works
    assert aws.finish(trips, approval).result == f"{name} approved by relay"


def _prefix(aws: Aws) -> str:
    functions = aws.harness.stacks["trips"].functions.values()
    orchestrator = next(f for f in functions if f.kind == "orchestrator")
    return orchestrator.environment["EVENTUAL_QUEUE_PREFIX"]
