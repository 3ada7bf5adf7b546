"""Steps that wait for time or a signal: ``sleep``, ``sleep_until``, ``wait_for_signal``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventual.port import Wait

from .base import Started, StepFailure, StepKind
from .timeouts import after, deadline, seconds_of

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
            seconds = seconds_of(value, "sleep")
        return _sleep(run, frame, step, after(run.now, seconds, value, "sleep"))


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


def signal_names(step: Step) -> tuple[str, ...]:
    """The signals a ``wait_for_signal`` step waits for: its list, or its one name."""
    return step.signals or (str(step.target),)


def signal_output(step: Step, name: str, payload: Any) -> Any:
    """What a wait gives for signal ``name``: the payload, or ``{name, payload}`` for
    a wait on a list of signals."""
    return {"name": name, "payload": payload} if step.signals else payload


class WaitForSignalStep(StepKind):
    name = "wait_for_signal"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        names = signal_names(step)
        queued = run.take_signal(names)
        if queued is not None:
            return True, signal_output(step, *queued)
        due = deadline(run, frame, step)
        node = run.new_node(frame, step, Wait.SIGNAL)
        for name in names:
            run.state.waiters.setdefault(name, []).append(node.token)
        if due is not None:
            run.timer(node.token, "timeout", due)
        return False, None
