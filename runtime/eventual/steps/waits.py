"""Steps that wait for time, a signal or an event: ``sleep``, ``sleep_until``,
``wait_for_signal``, ``wait_for_event``.

``wait_for_event`` takes the first event of its name that the execution kept (published
after it started, in publish order; ``Interpreter.event`` keeps at most ``EVENT_BUFFER``
per name, dropping the oldest) whose payload has the step's ``match`` values and passes
its ``filter``; else it waits, and the first matching event published later is its output.
Each event is taken by at most one wait."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventual.port import Wait

from .base import Started, StepFailure, StepKind
from .timeouts import after, deadline, seconds_of

EVENT_BUFFER = 1000  # events kept per (execution, event name) before the oldest is dropped

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


def event_matches(step: Step, match: Any, payload: Any) -> bool:
    """Whether ``payload`` has every ``match`` field equal and passes the step's filter."""
    if match and not isinstance(payload, dict):
        return False
    if any(payload.get(key) != value for key, value in (match or {}).items()):
        return False
    return step.filter is None or step.filter(payload)


class WaitForEventStep(StepKind):
    name = "wait_for_event"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        name = str(step.target)
        match = run.render(frame, step)
        kept = run.state.events.get(name, [])
        for i, payload in enumerate(kept):
            if event_matches(step, match, payload):
                return True, kept.pop(i)
        due = deadline(run, frame, step)  # before the node: a bad timeout fails the step
        node = run.new_node(frame, step, Wait.EVENT)
        run.state.event_waits.setdefault(name, []).append([node.token, match])
        if due is not None:
            run.timer(node.token, "timeout", due)
        return False, None
