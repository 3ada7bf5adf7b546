"""Deploys under running executions (moto): a task removed while an execution waits
on it, or still named by the definition an execution runs on, fails the step at once
with ``TaskNotDeployed``; nothing becomes a message that fails until the DLQ."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tests.runtime.aws.support import Aws, run_orchestrator_until, task_scheduled

from eventual import Service
from eventual.aws import messages
from eventual.aws.effects import carry_out
from eventual.status import ExecutionStatus


def _without(service: Service, task: str) -> Service:
    """``service`` deployed again without ``task`` (its definition still names it)."""
    definition: dict[str, Any] = {
        **service.definition.to_json(),
        "version": f"no-{task}-{uuid.uuid4().hex}",
    }
    definition["tasks"] = {k: v for k, v in definition["tasks"].items() if k != task}
    return Service(definition, service.package)


@pytest.mark.parametrize("queue_removed", [True, False])
def test_removing_a_task_fails_the_execution_waiting_on_it(aws: Aws, queue_removed: bool) -> None:
    """With its queue (the deploy deleted it with the function): at the execution's next
    message. Without (the message was taken before the deploy finished): the task
    function of the new code answers it."""
    harness, client = aws.harness, aws.client("trips")
    execution = client.start("bookTrip", f"gone-{queue_removed}")
    run_orchestrator_until(aws, lambda: task_scheduled(client, execution))
    harness.redeploy("trips", _without(aws.service("trips"), "bookFlight"))
    try:
        if queue_removed:
            queue = next(s.queue for s in harness.stacks["trips"].sources
                         if s.function.environment.get("EVENTUAL_FUNCTION") == "bookFlight")  # fmt: skip
            aws.clients.sqs.purge_queue(QueueUrl=queue)
            nudge = messages.to_orchestrator(
                execution, "signal", uuid.uuid4().hex, name="nudge", payload=None
            )
            carry_out(client.deployment, [nudge])  # any message of the execution
        view = aws.finish(client, execution)
        assert view.status is ExecutionStatus.FAILED
        assert view.error is not None and view.error["error"] == "TaskNotDeployed"
        assert "'bookFlight' is not deployed" in view.error["message"]
        assert [c for c in aws.calls("bookFlight") if c[0] == execution] == []
    finally:
        harness.redeploy("trips", aws.service("trips"))


def test_a_step_reaching_a_removed_task_fails_at_once(aws: Aws) -> None:
    """An execution started before the deploy reaches a task the deploy removed: the
    step fails with ``TaskNotDeployed`` without sending anything, and the saga
    compensates what it completed."""
    harness, client = aws.harness, aws.client("trips")
    execution = client.start("bookTrip", "gone-hotel")
    run_orchestrator_until(aws, lambda: task_scheduled(client, execution))
    harness.redeploy("trips", _without(aws.service("trips"), "bookHotel"))
    try:
        view = aws.finish(client, execution)
    finally:
        harness.redeploy("trips", aws.service("trips"))
    assert view.status is ExecutionStatus.FAILED
    assert view.error is not None and view.error["error"] == "TaskNotDeployed"
    types = [e["type"] for e in client.history(execution)]
    assert "CompensationCompleted" in types and "flight-gone-hotel" in aws.calls("cancelFlight")
    assert "gone-hotel" not in aws.calls("bookHotel")


def test_an_input_the_deployed_model_refuses_fails_the_step_with_validation_error(
    aws: Aws,
) -> None:
    harness, client = aws.harness, aws.client("trips")
    execution = client.start("bookTrip", "narrowed-1")
    run_orchestrator_until(aws, lambda: task_scheduled(client, execution))
    service = aws.service("trips")
    definition: dict[str, Any] = {
        **service.definition.to_json(),
        "version": f"narrow-{uuid.uuid4().hex}",
    }
    hotel = {**definition["tasks"]["bookHotel"], "input": "Glitch"}  # now an object
    definition["tasks"] = {**definition["tasks"], "bookHotel": hotel}
    harness.redeploy("trips", Service(definition, service.package))
    try:
        view = aws.finish(client, execution)
    finally:
        harness.redeploy("trips", service)
    assert view.status is ExecutionStatus.FAILED
    assert view.error is not None and view.error["error"] == "ValidationError"
    assert "input of task 'bookHotel'" in view.error["message"]
    assert "narrowed-1" not in aws.calls("bookHotel")
