"""Steps done at once: ``set`` (variables), ``fail`` and ``return``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        message = run.render(frame, step)
        raise StepFailure(str(step.error), "" if message is None else str(message))


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
