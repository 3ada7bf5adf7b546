"""Long timers on the deployed stack: a wait beyond SQS's 15-minute delay is one
EventBridge Scheduler schedule, not a chain of delayed messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from tests.runtime.aws.support import Aws

from eventual.aws.schedules import at, parse_at
from eventual.status import ExecutionStatus


def _schedules(aws: Aws, execution: str) -> list[dict[str, Any]]:
    scheduler = aws.clients.get("scheduler")
    found = []
    for group in aws.harness.stacks["trips"].schedule_groups:
        for summary in scheduler.list_schedules(GroupName=group)["Schedules"]:
            schedule = scheduler.get_schedule(GroupName=group, Name=summary["Name"])
            if json.loads(schedule["Target"]["Input"])["execution"] == execution:
                found.append(schedule)
    return found


def test_a_30_day_sleep_is_one_schedule_the_harness_fires(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = aws.harness
    client = aws.client("trips")
    timers: list[Any] = []  # timer messages for the execution reaching the inbox
    invoke = harness.invoke

    def watching(source: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
        if source.queue == harness.stacks["trips"].outputs["InboxQueueUrl"]:
            timers.extend(m["Body"] for m in received if execution in m["Body"])
        return invoke(source, received)

    monkeypatch.setattr(harness, "invoke", watching)
    execution = client.start("longNap", "nap-1")
    harness.run(until=lambda: bool(_schedules(aws, execution)), timeout=30)
    harness.run(timeout=30)
    [schedule] = _schedules(aws, execution)
    started = client.get(execution).started
    assert parse_at(schedule["ScheduleExpression"]) - started >= timedelta(days=30)
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    inbox = harness.stacks["trips"].sources
    assert schedule["Target"]["Arn"] in {s.arn for s in inbox if s.function.kind == "orchestrator"}
    assert timers == []  # nothing went round the inbox while it slept
    assert client.get(execution).status is ExecutionStatus.IN_PROGRESS
    try:
        harness.advance(timedelta(days=29))  # not due yet: stays
        assert len(_schedules(aws, execution)) == 1
        assert harness.advance(timedelta(days=1, minutes=1)) >= 1
        view = aws.finish(client, execution)
    finally:
        harness.offset = timedelta(0)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, "nap-1 woke")
    assert len(timers) == 1 and _schedules(aws, execution) == []


def test_a_schedule_is_made_once_and_rounds_up_to_the_second(aws: Aws) -> None:
    """An outbox carried out again creates the same schedule again: that is no error
    and leaves one schedule."""
    from datetime import UTC, datetime

    assert at(datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC)) == "at(2026-01-02T03:04:06)"
    assert at(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "at(2026-01-02T03:04:05)"
    function = next(
        f for f in aws.harness.stacks["trips"].functions.values() if f.kind == "orchestrator"
    )
    schedules = aws.harness.deployment(function).schedules
    body = json.dumps({"kind": "timer", "execution": "twice-1", "handle": 3})
    due = datetime(2030, 1, 1, tzinfo=UTC)
    schedules.create("timer-twice-1", due, body)
    schedules.create("timer-twice-1", due, body)
    assert [s["Name"] for s in _schedules(aws, "twice-1")] == ["timer-twice-1"]
    schedules.delete("timer-twice-1")
    schedules.delete("timer-twice-1")  # an outbox carried out again: gone already, no error
    assert _schedules(aws, "twice-1") == []


def test_a_wait_that_ends_early_deletes_its_schedule(aws: Aws) -> None:
    """A signal that comes long before its 1-hour timeout, and a cancelled 30-day sleep:
    the write that ends the wait deletes its schedule, which then never fires (each
    firing is a Scheduler invocation, an inbox delivery and an invocation)."""
    harness = aws.harness
    client = aws.client("trips")
    approval = client.start("approval", "early-1")
    harness.run(until=lambda: bool(_schedules(aws, approval)), timeout=30)
    [timeout] = _schedules(aws, approval)
    assert parse_at(timeout["ScheduleExpression"]) - client.get(approval).started >= timedelta(
        minutes=59
    )
    client.signal(approval, "approve", {"by": "ann"})
    assert aws.finish(client, approval).status is ExecutionStatus.SUCCEEDED
    nap = client.start("longNap", "early-2")
    harness.run(until=lambda: bool(_schedules(aws, nap)), timeout=30)
    client.cancel(nap)
    assert aws.finish(client, nap).status is ExecutionStatus.CANCELLED
    harness.run(timeout=30)
    assert _schedules(aws, approval) == [] and _schedules(aws, nap) == []


def test_only_the_schedules_of_ended_waits_are_deleted() -> None:
    """A timer still waited for stays; one ended with more than 15 minutes left was a
    schedule and is deleted; one ended closer to its due (a delayed message, or a
    schedule about to fire and be dropped) or fired is left alone."""
    from datetime import UTC, datetime

    from eventual.aws.messages import MAX_DELAY, schedule_name, unschedules

    now = datetime(2030, 1, 1, tzinfo=UTC)
    waited = {
        1: now + timedelta(days=30),  # still waited for
        2: now + timedelta(hours=1),  # ended early: a schedule
        3: now + timedelta(seconds=MAX_DELAY),  # ended within 15 minutes of its due
        4: now,  # fired
    }
    effects = unschedules("ex-1", waited, {1}, now)
    assert effects == [{"kind": "unschedule", "name": schedule_name("ex-1", 2)}]
