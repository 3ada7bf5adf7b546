"""Steps that wait for time or a signal: ``sleep``, ``sleep_until``, ``wait_for_signal``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventual.durations import parse_duration
from eventual.port import Wait

from .base import Started, StepFailure, StepKind

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Run
    from eventual.workflow import Step


def _sleep(run: Run, frame: Frame, step: Step, due: datetime) -> Started:
    node = run.new_node(frame, step, Wait.TIMER)
    run.timer(node.token, "timer", due)
    return False, None


class SleepStep(StepKind):
    name = "sleep"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        seconds = step.duration
        value: Any = seconds
        if seconds is None:
            value = run.render(frame, step)
            try:
                seconds = parse_duration(value)
            except (TypeError, ValueError) as exc:
                raise StepFailure("ExpressionError", f"sleep: {exc}") from exc
        try:
            due = run.now + timedelta(seconds=seconds)
        except OverflowError as exc:
            raise StepFailure("ExpressionError", f"sleep: {value!r} is too long") from exc
        return _sleep(run, frame, step, due)


class SleepUntilStep(StepKind):
    name = "sleep_until"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        value = run.render(frame, step)
        try:
            due = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise StepFailure(
                "ExpressionError", f"sleep_until: not a timestamp: {value!r}"
            ) from exc
        if due.tzinfo is None:
            raise StepFailure(
                "ExpressionError",
                f"sleep_until: {value!r} has no time zone (RFC 3339 needs one, e.g. Z)",
            )
        return _sleep(run, frame, step, due)


class WaitForSignalStep(StepKind):
    name = "wait_for_signal"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        name = str(step.target)
        queued = run.state.signals.get(name)
        if queued:
            return True, queued.pop(0)
        node = run.new_node(frame, step, Wait.SIGNAL)
        run.state.waiters.setdefault(name, []).append(node.token)
        if step.timeout is not None:
            run.timer(node.token, "timeout", run.now + timedelta(seconds=step.timeout))
        return False, None
