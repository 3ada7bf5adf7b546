"""Durations a step computes when it starts: a ``sleep`` expression and any step's
``timeout``, written as a constant or as a ``${{ }}`` template.

``seconds_of`` reads a rendered value (seconds as a number, or a duration string);
``deadline`` is when a task, child, signal wait or event wait times out, ``None``
for no timeout. Any step kind that waits arms its timeout the same way: compute
``deadline(run, frame, step)`` before creating its node (a bad value then fails the
step with ``ExpressionError`` and its ``catch`` may handle it), and, when it is not
``None``, ``run.timer(node.token, "timeout", due)``; the interpreter fails the node
with ``Timeout`` when that timer fires.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventual.cel.evaluate import CelEvaluationError
from eventual.durations import parse_duration

from .base import StepFailure

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Run
    from eventual.workflow import Step

EXPRESSION_ERROR = "ExpressionError"


def seconds_of(value: Any, what: str) -> float:
    """The seconds ``value`` gives; ``StepFailure(ExpressionError)`` naming ``what``
    when it is neither a non-negative number nor a duration string."""
    if not isinstance(value, int | float | str):  # null, a list, an object
        raise StepFailure(EXPRESSION_ERROR, f"{what}: not a duration: {value!r}")
    try:
        return parse_duration(value)
    except (TypeError, ValueError) as exc:
        raise StepFailure(EXPRESSION_ERROR, f"{what}: {exc}") from exc


def after(now: datetime, seconds: float, value: Any, what: str) -> datetime:
    """``now`` plus ``seconds``; ``StepFailure(ExpressionError)`` past the calendar."""
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError as exc:
        raise StepFailure(EXPRESSION_ERROR, f"{what}: {value!r} is too long") from exc


def timeout_seconds(run: Run, frame: Frame, step: Step) -> float | None:
    """The step's own timeout in seconds: its constant, or its template's value now."""
    if step.timeout_value is None:
        return step.timeout
    try:
        value = step.timeout_value(run.scope(frame))
    except CelEvaluationError as exc:
        raise StepFailure(exc.error_name, f"timeout: {exc}") from exc
    return seconds_of(value, "timeout")


def deadline(run: Run, frame: Frame, step: Step) -> datetime | None:
    """When the step times out, or ``None`` when it has no timeout of its own."""
    seconds = timeout_seconds(run, frame, step)
    return None if seconds is None else after(run.now, seconds, seconds, "timeout")
