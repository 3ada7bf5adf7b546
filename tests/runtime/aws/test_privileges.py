"""What tasks cannot do on the deployed stack (moto): send control messages (their
only queue to the orchestrator is the results queue, which carries answers only),
answer a run they were not given (answers carry the run's token), or make a payload
reference reach another object or other content."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from tests.runtime.aws.support import (
    Aws,
    run_orchestrator_until,
    task_scheduled,
    waiting_for_signal,
)

from eventual.aws import messages
from eventual.aws.deployment import Deployment
from eventual.aws.effects import carry_out
from eventual.aws.payloads import PayloadRefused
from eventual.status import ExecutionStatus


def _task_deployment(aws: Aws, task: str) -> Deployment:
    function = next(f for f in aws.harness.stacks["trips"].functions.values()
                    if f.environment.get("EVENTUAL_FUNCTION") == task)  # fmt: skip
    return aws.harness.deployment(function)


def _as_task(deployment: Deployment, execution: str, op: str, **fields: Any) -> None:
    """What a task function's code can send: through the results queue only."""
    carry_out(deployment, [messages.answer(execution, op, uuid.uuid4().hex, **fields)])


def test_a_task_cannot_signal_or_cancel(aws: Aws) -> None:
    client = aws.client("trips")
    execution = client.start("approval", "forged-signal")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    task = _task_deployment(aws, "bookHotel")
    assert task.config.results_queue and task.config.results_queue.endswith(".fifo")
    _as_task(task, execution, "signal", name="approve", payload={"by": "mallory"})
    _as_task(task, execution, "cancel")
    aws.harness.run(timeout=30)
    types = [e["type"] for e in client.history(execution)]
    assert "SignalReceived" not in types
    assert client.get(execution).status is ExecutionStatus.IN_PROGRESS
    client.signal(execution, "approve", {"by": "ana"})  # the operator's signal still works
    assert aws.finish(client, execution).result == "forged-signal approved by ana"


def test_an_answer_without_its_runs_token_is_dropped(aws: Aws) -> None:
    client = aws.client("trips")
    execution = client.start("bookTrip", "forged-answer")
    run_orchestrator_until(aws, lambda: task_scheduled(client, execution))
    handle = next(h for h in range(1, 50) if _answers_for(client, execution, h))
    task = _task_deployment(aws, "bookHotel")
    for token in (None, "0" * 32, messages.token("", execution, handle, 1)):
        _as_task(task, execution, "task", handle=handle, attempt=1, token=token,
                 output="flight-forged", error=None)  # fmt: skip
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.SUCCEEDED
    assert view.result["flight"] == "flight-forged-answer"  # the genuine answer only


def _answers_for(client: Any, execution: str, handle: int) -> bool:
    """Whether ``handle`` is the pending run of ``execution`` (its record says)."""
    from eventual.aws.record import ExecutionRecord

    found = client.deployment.records.read(execution)
    state = ExecutionRecord.from_text(found.text).state
    return state.handles.get(handle, (0, ""))[1] == "task"


def test_payload_references_reach_only_matching_payloads(aws: Aws) -> None:
    task = _task_deployment(aws, "bookHotel")
    payloads = task.payloads
    big = json.dumps({"blob": "x" * 250_000})
    reference = payloads.pack(big)
    assert payloads.pack(big) == reference  # stored once, found there the second time
    assert payloads.unpack(reference) == big
    with pytest.raises(PayloadRefused, match="not a payloads/<sha256> key"):
        payloads.resolve({"$eventual:payload": "executions/someone-else/history/00000000.json"})
    planted = "payloads/" + hashlib.sha256(b"what the reference promised").hexdigest()
    aws.clients.s3.put_object(Bucket=payloads.bucket, Key=planted, Body=b"something else")
    with pytest.raises(PayloadRefused, match="does not match its hash"):
        payloads.resolve({"$eventual:payload": planted})
