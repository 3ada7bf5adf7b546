"""Timers beyond SQS's 15-minute delay: EventBridge Scheduler one-time schedules.

``Schedules.create`` makes a schedule ``at(<due, UTC, to the second>)`` in the
service's schedule group that puts a timer message in the inbox, through the
scheduler role (which may only send there), and deletes itself after it ran
(``ActionAfterCompletion: DELETE``). One schedule per timer, named after the
execution and the handle: creating it again (an outbox carried out twice) finds it
there and is done. ``Schedules.delete`` removes the schedule of a wait that ended
more than 15 minutes before it was due (the write that ended it says so, see
``messages.unschedules``): Scheduler's API calls are free, its invocations are not,
and a fired timer costs an inbox delivery and an invocation besides. Deleting it
again, or one that fired already, is no error. A schedule that fires all the same (a
wait that ended within its last 15 minutes, a delete that lost a race with the
firing) finds the execution no longer waits for its handle and is dropped (handles
are never reused).

Why a schedule and not a chain of delayed messages: every hop of such a chain is a
new invocation in the same trace lineage, which Lambda's recursive-loop detection
stops after about 16, and a 30-day wait would take 2,880 hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventual.aws.store import error_code


class ScheduleError(RuntimeError):
    """The function lacks what it needs to create schedules."""


@dataclass(frozen=True, slots=True)
class Schedules:
    scheduler: Any  # a botocore ``scheduler`` client
    group: str  # the service's schedule group
    role: str  # ARN of the role the scheduler sends to the inbox with
    target: str  # ARN of the inbox queue

    def create(self, name: str, due: datetime, text: str) -> None:
        """A schedule ``name`` putting ``text`` in the inbox at ``due`` (once)."""
        try:
            self.scheduler.create_schedule(
                Name=name, GroupName=self.group, ScheduleExpression=at(due),
                ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": self.target, "RoleArn": self.role, "Input": text},
                ActionAfterCompletion="DELETE",
            )  # fmt: skip
        except Exception as exc:
            if error_code(exc) != "ConflictException":  # a schedule of that name: made already
                raise

    def delete(self, name: str) -> None:
        """Deletes schedule ``name`` if it is still there."""
        try:
            self.scheduler.delete_schedule(Name=name, GroupName=self.group)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":  # deleted, or fired, already
                raise


def at(due: datetime) -> str:
    """Scheduler's one-time expression for ``due``, rounded up to the second, in UTC."""
    moment = due.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return f"at({moment:%Y-%m-%dT%H:%M:%S})"


def parse_at(expression: str) -> datetime:
    """The moment of an ``at(...)`` expression (UTC)."""
    inner = expression.removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(inner).replace(tzinfo=UTC)
