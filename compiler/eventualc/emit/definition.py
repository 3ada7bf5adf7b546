"""Definition: IR -> ``definition.json``, the service as data the runtime interprets.

Builds the typed records of ``eventual.definition`` (whose docstring is the format)
from the IR and serializes them with its ``dumps``: the runtime reads the same
records back. Workflows keep their step lists with templates as written; every
workflow carries a ``version``, the hash of its own definition, so a running
execution stays pinned to the definition it started with. Every value is explicit
(``lower`` decided the defaults); output is canonical JSON, so the same spec always
gives the same bytes.
"""

from __future__ import annotations

from eventual import definition as d
from eventualc.frontend import ir
from eventualc.frontend.naming import signal_position, task_positions, workflow_positions


def emit_definition(service: ir.Service) -> str:
    return d.dumps(definition_of(service))


def definition_of(service: ir.Service) -> d.Definition:
    """The records of ``service``, versions computed."""
    return d.Definition(
        service.name, "",
        {e.name: d.Event(e.name, e.description) for e in service.events},
        {t.name: _task(service.name, t) for t in service.tasks},
        {s.name: _subscription(service.name, s) for s in service.subscriptions},
        {w.name: _workflow(service.name, w) for w in service.workflows},
    ).versioned()  # fmt: skip


def _retry(retry: ir.Retry) -> d.RetryPolicy:
    return d.RetryPolicy(
        retry.attempts, retry.backoff, retry.multiplier, retry.max_backoff, retry.jitter,
        retry.errors, retry.except_,
    )  # fmt: skip


def _retries(retries: tuple[ir.Retry, ...]) -> d.Retries:
    return tuple(_retry(policy) for policy in retries)


def _event(ref: ir.EventRef, service: str) -> str:
    return ref.name if ref.service == service else ref.qualified


def _events(refs: tuple[ir.EventRef, ...], service: str) -> tuple[str, ...]:
    return tuple(_event(ref, service) for ref in refs)


def _task(service: str, task: ir.Task) -> d.Task:
    given, returned = task_positions(task)
    return d.Task(
        task.python_name, given.model, returned.model, task.timeout, task.heartbeat,
        _retries(task.retry), _events(task.emits, service), task.memory,
        tuple(ref.qualified for ref in task.signals),
    )  # fmt: skip


def _subscription(service: str, sub: ir.Subscription) -> d.Subscription:
    return d.Subscription(
        handler=None if sub.workflow else sub.python_name,
        events=_events(sub.events, service),
        filter=sub.filter,
        emits=_events(sub.emits, service),
        retry=_retries(sub.retry),
        timeout=sub.timeout,
        memory=sub.memory,
        workflow=sub.workflow,
        input=sub.input.value if sub.input else None,
        execution_name=sub.execution_name.value if sub.execution_name else None,
        signal=sub.signal,
        signals=tuple(ref.qualified for ref in sub.signals),
    )


def _workflow(service: str, workflow: ir.Workflow) -> d.Workflow:
    given, returned = workflow_positions(workflow)
    return d.Workflow(
        "", given.model, returned.model if workflow.output is not None else None,
        workflow.timeout,
        {s.name: signal_position(workflow, s).model for s in workflow.signals},
        _steps(service, workflow.steps),
        {name: t.value for name, t in workflow.queries},
    ).versioned()  # fmt: skip


def _steps(service: str, steps: tuple[ir.Step, ...]) -> tuple[d.Step, ...]:
    return tuple(_step(service, s) for s in steps)


def _step(service: str, step: ir.Step) -> d.Step:
    target = _event(step.target, service) if isinstance(step.target, ir.EventRef) else step.target
    return d.Step(
        kind=step.kind,
        id=step.id,
        target=target,
        value=step.expr.value if step.expr is not None else None,
        duration=step.duration,
        timeout=step.timeout,
        retry=_retries(step.retry) if step.retry else None,
        var=step.var,
        concurrency=step.concurrency,
        error=step.error,
        blocks=tuple((name, _steps(service, steps)) for name, steps in step.blocks),
        set=tuple((var, t.value) for var, t in step.assignments),
        catch=tuple(d.Catch(c.errors, c.var, _steps(service, c.steps)) for c in step.catch),
        compensate=_steps(service, step.compensate),
        compensate_on_failure=step.compensate_on_failure,
        signals=step.signals,
        timeout_expr=step.timeout_expr.value if step.timeout_expr is not None else None,
        max_iterations=step.max_iterations,
        filter=step.filter,
    )
