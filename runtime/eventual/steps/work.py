"""Steps that hand work to the runtime: ``task``, ``workflow`` (a child) and ``emit``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventual.port import Publish, StartChild, Wait

from .base import Started, StepFailure, StepKind
from .timeouts import deadline, timeout_seconds

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Run
    from eventual.workflow import Step

# A workflow that starts itself as a child would otherwise nest without end; Temporal
# and Step Functions bound a run's history instead, we bound the nesting.
MAX_CHILD_DEPTH = 32
CHILD_DEPTH_LIMIT = "ChildDepthLimit"


class TaskStep(StepKind):
    name = "task"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        task = run.i.tasks[str(step.target)]
        value = run.checked(task.input, run.render(frame, step))
        seconds = timeout_seconds(run, frame, step)
        node = run.new_node(frame, step, Wait.TASK)
        node.results["input"] = value
        if step.timeout_value is not None:  # each attempt's timeout, fixed at the start
            node.results["timeout"] = seconds
        run.dispatch(node, step)
        return False, None


class WorkflowStep(StepKind):
    name = "workflow"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        state = run.state
        if state.depth + 1 > MAX_CHILD_DEPTH:
            raise StepFailure(
                CHILD_DEPTH_LIMIT,
                f"a child of {state.workflow} would be {state.depth + 1} levels deep; "
                f"executions nest at most {MAX_CHILD_DEPTH} deep (a workflow that starts itself?)",
            )
        child = run.i.workflows[str(step.target)]
        value = run.checked(child.input, run.render(frame, step))
        due = deadline(run, frame, step)
        node = run.new_node(frame, step, Wait.CHILD)
        handle = state.next_token()
        state.handles[handle] = (node.token, "child")
        run.commands.append(StartChild(handle, str(step.target), value))
        if due is not None:
            run.timer(node.token, "timeout", due)
        return False, None


class EmitStep(StepKind):
    name = "emit"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        event = run.i.events.get(str(step.target))
        payload = run.render(frame, step)
        payload = run.checked(event.model, payload) if event else payload
        run.commands.append(Publish(str(step.target), payload))
        return True, None
