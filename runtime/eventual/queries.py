"""Workflow queries: the declared ``queries`` of a workflow evaluated on one
execution's stored state, read-only.

``answer(workflow, state, name, now)`` takes the ``definition.Workflow`` the
execution runs on (the version it started with) and its ``ExecutionState`` as the
runtime stored it after the last applied event (so no worker is needed and none is
blocked), and returns the query's value as JSON (timestamps and durations as
strings). In scope: ``input``, ``vars``, ``execution``, ``now``, and
``steps.<id>.output`` of the steps completed in the frames still running (the
compiler rejects ``steps`` in queries: no step has surely run when a query is
asked). A variable the workflow sets but has not set yet is null. An ended
execution answers from its final ``vars`` and ``input``.
``UnknownQuery`` (a ``ValueError``) names the declared queries; ``QueryFailed``
carries an expression's run-time error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from eventual.cel.evaluate import CelEvaluationError
from eventual.cel.render import compile_template

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from eventual.definition import Step, Workflow
    from eventual.interpreter import ExecutionState


class UnknownQuery(ValueError):
    """The workflow declares no query of that name; the message lists those it does."""


class QueryFailed(ValueError):
    """The query's expression failed on this state (``error``: ExpressionError, ...)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def unknown(workflow: str, declared: Any, name: str) -> UnknownQuery:
    """The error for query ``name`` that ``workflow`` (declaring ``declared``) lacks."""
    names = ", ".join(sorted(declared)) or "none"
    return UnknownQuery(f"workflow {workflow!r} declares no query {name!r} (declared: {names})")


def assigned(steps: Iterable[Step]) -> set[str]:
    """Every variable a ``set`` among ``steps`` (nested ones included) assigns."""
    names: set[str] = set()
    for step in steps:
        names.update(var for var, _ in step.set)
        for _, block in step.blocks:
            names |= assigned(block)
        for clause in step.catch:
            names |= assigned(clause.steps)
        names |= assigned(step.compensate)
    return names


def scope(workflow: Workflow, state: ExecutionState, now: datetime) -> dict[str, Any]:
    """What a query sees of ``state``: a variable not set yet is null, as the compiler
    types it."""
    steps: dict[str, Any] = {}
    for frame in sorted(state.frames.values(), key=lambda f: f.token):
        steps.update(frame.steps)
    execution = {"id": state.id, "name": state.name, "workflow": state.workflow,
                 "start_time": state.start_time}  # fmt: skip
    variables = dict.fromkeys(assigned(workflow.steps)) | state.vars
    return {"input": state.input, "vars": variables, "steps": steps,
            "execution": execution, "now": now}  # fmt: skip


def answer(workflow: Workflow, state: ExecutionState, name: str, now: datetime) -> Any:
    """Query ``name`` of ``workflow`` on ``state``, as JSON values."""
    if name not in workflow.queries:
        raise unknown(state.workflow, workflow.queries, name)
    try:
        value = compile_template(workflow.queries[name])(scope(workflow, state, now))
    except CelEvaluationError as exc:
        raise QueryFailed(exc.error_name, f"query {name!r}: {exc}") from exc
    return json.loads(json.dumps(value, default=str))
