"""Executions that outlive a deploy: a task the running definition names but the
deployed code no longer has, or an input the deployed task's model no longer takes.

An execution keeps the definition it started with, while the functions run the code
deployed now. ``checked_tasks`` looks at the task runs an applied message asks for:
a task that is not deployed fails at once with ``TaskNotDeployed``, an input that
does not fit the deployed model with ``ValidationError``, both as the task's answer,
so a ``catch`` or ``retry`` of the step sees them like any other error and nothing
becomes a message that fails forever. ``removed_waits`` does the same, at the next
message of an execution, for task runs it was waiting for when their task was
removed (their queue and function went with it, so no answer will come).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from eventual.definition import Task
from eventual.errors import VALIDATION_ERROR, PayloadInvalid
from eventual.interpreter import ExecutionState, Interpreter
from eventual.port import Command, RunTask, TaskAnswered

TASK_NOT_DEPLOYED = "TaskNotDeployed"

Validate = Callable[[Any, Any], Any]  # (model, JSON value) -> value; raises PayloadInvalid


def not_deployed(task: str) -> dict[str, str]:
    return {
        "error": TASK_NOT_DEPLOYED,
        "message": f"task {task!r} is not deployed: the service was deployed without it "
        "while this execution ran",
    }


def checked_tasks(
    interpreter: Interpreter, state: ExecutionState, commands: Sequence[Command],
    tasks: Mapping[str, Task], validate: Validate, now: datetime,
) -> list[Command]:  # fmt: skip
    """``commands`` less the task runs that cannot run, each answered with its error
    (and with what those answers cause, checked the same way)."""
    kept: list[Command] = []
    waiting = list(commands)
    while waiting:
        command = waiting.pop(0)
        error = _refusal(command, tasks, validate) if isinstance(command, RunTask) else None
        if error is None or not isinstance(command, RunTask):
            kept.append(command)
            continue
        answer = TaskAnswered(command.handle, None, error)
        waiting += interpreter.apply(state, answer, now)
    return kept


def _refusal(
    command: RunTask, tasks: Mapping[str, Task], validate: Validate
) -> dict[str, str] | None:
    spec = tasks.get(command.task)
    if spec is None:
        return not_deployed(command.task)
    try:
        validate(spec.input, command.input)
    except PayloadInvalid as exc:
        return {"error": VALIDATION_ERROR, "message": f"input of task {command.task!r}: {exc}"}
    return None


def removed_waits(
    interpreter: Interpreter, state: ExecutionState, tasks: Mapping[str, Task], now: datetime
) -> list[Command]:
    """Answers ``TaskNotDeployed`` for the task runs ``state`` waits for whose task is
    gone; what those answers cause."""
    commands: list[Command] = []
    for handle, (token, why) in list(state.handles.items()):
        node = state.nodes.get(token)
        if why != "task" or node is None or handle not in state.handles:
            continue
        task = str(interpreter.workflow.step(node.step).target)
        if task not in tasks:
            answer = TaskAnswered(handle, None, not_deployed(task))
            commands += interpreter.apply(state, answer, now)
    return commands
