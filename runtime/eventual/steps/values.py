"""Steps done at once: ``set`` (variables), ``fail`` and ``return``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from eventual.cel.evaluate import CelEvaluationError
from eventual.status import ExecutionStatus

from .base import Started, StepFailure, StepKind

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Run
    from eventual.workflow import Step


class SetStep(StepKind):
    name = "set"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        """Assigns in written order, each value seeing the ones before; all or nothing."""
        scope = run.scope(frame)
        assigned = scope["vars"] = dict(run.state.vars)
        for var, renderer in step.assign:
            try:
                assigned[var] = renderer(scope)
            except CelEvaluationError as exc:
                raise StepFailure(exc.error_name, str(exc)) from exc
        run.state.vars = assigned
        return True, None


class FailStep(StepKind):
    name = "fail"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        value = run.render(frame, step)
        if step.error is not None:  # a constant name; the value is the message
            raise StepFailure(step.error, "" if value is None else str(value))
        name, message = _error_value(value)
        raise StepFailure(name, message)


# An error name: a name or a dotted name, as the spec schema's ``ErrorName`` says.
_ERROR_NAME = re.compile(r"(?!States\.)[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _error_value(value: Any) -> tuple[str, str]:
    """The name and message of a computed ``fail`` (``${{ error }}`` or templates);
    ``ExpressionError`` when the value is not an error or its name is not a name."""
    if not isinstance(value, dict) or not isinstance(value.get("error"), str):
        raise StepFailure("ExpressionError", f"fail: {value!r} is not an error {{error, message}}")
    name, message = value["error"], value.get("message")
    if not _ERROR_NAME.fullmatch(name):
        raise StepFailure("ExpressionError", f"fail: {name!r} is not a valid error name")
    return name, "" if message is None else str(message)


class ReturnStep(StepKind):
    name = "return"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        value = run.checked(run.wf.output_model, run.render(frame, step))
        if run.state.compensating:
            run.discard_frame(frame.token)  # a return inside a compensation ends only it
            run.next_compensation()
            return False, None
        run.end(ExecutionStatus.SUCCEEDED, value, None)
        return False, None
