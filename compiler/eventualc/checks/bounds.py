"""Bounds: timeouts and retry policies that cannot work as written.

E601 a task or subscription timeout over 15m (the AWS Lambda limit), E602 a heartbeat
not shorter than its timeout, E603 a retry ``max_backoff`` below its ``backoff``.
"""

from __future__ import annotations

from eventual.durations import format_duration
from eventualc import ir
from eventualc.diagnostics import Diagnostic, error
from eventualc.symbols import value_span, walk_steps

LAMBDA_LIMIT = 900.0


def check_bounds(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        functions: list[ir.Task | ir.Subscription] = [*service.tasks, *service.subscriptions]
        for function in functions:
            kind = "task" if isinstance(function, ir.Task) else "subscription"
            if function.timeout > LAMBDA_LIMIT:
                message = (
                    f"{kind} '{function.name}' has timeout {format_duration(function.timeout)}, "
                    "over the 15m limit of AWS Lambda"
                )
                diagnostics.append(
                    error("E601", value_span(service, (*function.path, "timeout")), message)
                )
            diagnostics += _retry(service, function.retry)
        for task in service.tasks:
            if task.heartbeat is not None and task.heartbeat >= task.timeout:
                message = (
                    f"heartbeat {format_duration(task.heartbeat)} is not shorter than the timeout "
                    f"{format_duration(task.timeout)} of task '{task.name}'"
                )
                diagnostics.append(
                    error("E602", value_span(service, (*task.path, "heartbeat")), message)
                )
        for workflow in service.workflows:
            for step in walk_steps(workflow.steps):
                if step.retry is not None:
                    diagnostics += _retry(service, step.retry)
    return diagnostics


def _retry(service: ir.Service, retry: ir.Retry) -> list[Diagnostic]:
    if retry.path is None or retry.max_backoff is None or retry.max_backoff >= retry.backoff:
        return []
    message = (
        f"max_backoff {format_duration(retry.max_backoff)} is below backoff "
        f"{format_duration(retry.backoff)}"
    )
    return [error("E603", value_span(service, (*retry.path, "max_backoff")), message)]
