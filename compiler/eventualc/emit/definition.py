"""Definition: IR -> ``definition.json``, the service as data the runtime interprets.

The format is documented in ``eventual.service``. Workflows keep their step lists
with templates as written; every workflow carries a ``version``, the hash of its own
definition, so a running execution stays pinned to the definition it started with.
Output is canonical JSON (sorted keys) so the same spec always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eventualc import ir
from eventualc.emit.types import signal_position, task_positions, workflow_positions

FORMAT = 1


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def emit_definition(service: ir.Service) -> str:
    body = {
        "events": {e.name: {"model": e.name, "description": e.description} for e in service.events},
        "tasks": {t.name: _task(service, t) for t in service.tasks},
        "subscriptions": {s.name: _subscription(service, s) for s in service.subscriptions},
        "workflows": {w.name: _workflow(service.name, w) for w in service.workflows},
    }
    definition = {"format": FORMAT, "service": service.name, **body, "version": digest(body)}
    return json.dumps(definition, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def _retry(retry: ir.Retry) -> dict[str, Any]:
    return {
        "attempts": retry.attempts,
        "backoff": retry.backoff,
        "multiplier": retry.multiplier,
        "max_backoff": retry.max_backoff,
        "jitter": retry.jitter,
        "errors": list(retry.errors) if retry.errors is not None else None,
    }


def _event(ref: ir.EventRef, service: str) -> str:
    return ref.name if ref.service == service else ref.qualified


def _task(service: ir.Service, task: ir.Task) -> dict[str, Any]:
    given, returned = task_positions(task)
    return {
        "handler": task.python_name,
        "input": given.model,
        "output": returned.model,
        "timeout": task.timeout,
        "heartbeat": task.heartbeat,
        "retry": _retry(task.retry),
        "emits": [_event(ref, service.name) for ref in task.emits],
        "memory": task.memory,
    }


def _subscription(service: ir.Service, sub: ir.Subscription) -> dict[str, Any]:
    return {
        "handler": None if sub.workflow else sub.python_name,
        "events": [_event(ref, service.name) for ref in sub.events],
        "filter": sub.filter,
        "emits": [_event(ref, service.name) for ref in sub.emits],
        "retry": _retry(sub.retry),
        "timeout": sub.timeout,
        "memory": sub.memory,
        "workflow": sub.workflow,
        "input": sub.input.value if sub.input else None,
        "execution_name": sub.execution_name.value if sub.execution_name else None,
    }


def _workflow(service: str, workflow: ir.Workflow) -> dict[str, Any]:
    given, returned = workflow_positions(workflow)
    body = {
        "input": given.model,
        "output": returned.model if workflow.output is not None else None,
        "timeout": workflow.timeout,
        "signals": {s.name: signal_position(workflow, s).model for s in workflow.signals},
        "steps": [_step(service, s) for s in workflow.steps],
    }
    return {**body, "version": digest(body)}


def _step(service: str, step: ir.Step) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": step.kind, "id": step.id}
    if isinstance(step.target, ir.EventRef):
        data["target"] = _event(step.target, service)
    elif step.target is not None:
        data["target"] = step.target
    optional = {
        "value": step.expr.value if step.expr is not None else None,
        "duration": step.duration,
        "timeout": step.timeout,
        "retry": _retry(step.retry) if step.retry else None,
        "var": step.var,
        "concurrency": step.concurrency,
        "error": step.error,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    if step.blocks:
        data["blocks"] = {name: [_step(service, s) for s in steps] for name, steps in step.blocks}
    if step.assignments:
        # A list, not a mapping: assignments run in written order, and JSON is sorted.
        data["set"] = [[var, t.value] for var, t in step.assignments]
    if step.catch:
        data["catch"] = [
            {"errors": list(c.errors), "as": c.var, "steps": [_step(service, s) for s in c.steps]}
            for c in step.catch
        ]
    if step.compensate:
        data["compensate"] = [_step(service, s) for s in step.compensate]
    return data
