"""Bounds: timeouts and retry policies that cannot work as written.

E601 a task or subscription timeout over 15m (the AWS Lambda limit), E602 a heartbeat
not shorter than its timeout, E603 a retry ``max_backoff`` below its ``backoff``, E605
a subscription whose retries outlast SQS's 14-day retention (on AWS a delivery waits
for its next attempt in the subscription's queue, which drops it after that), W609 a
subscription retry delay over SQS's 12-hour visibility timeout (on AWS the delivery
comes back after 12 hours instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice, zip_longest

from eventual.durations import format_duration
from eventualc.deploy.quotas import describe, limit
from eventualc.diagnostics import Diagnostic, error, warning
from eventualc.frontend import ir
from eventualc.frontend.source import PathKey
from eventualc.frontend.symbols import key_span, value_span, walk_steps

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
            for policy in function.retry:
                diagnostics += _retry(service, policy)
        for subscription in service.subscriptions:
            diagnostics += _retention(service, subscription)
            diagnostics += _visibility(service, subscription)
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
                for policy in step.retry or ():
                    diagnostics += _retry(service, policy)
    return diagnostics


def _retry(service: ir.Service, retry: ir.Retry) -> list[Diagnostic]:
    if retry.path is None or retry.max_backoff is None or retry.max_backoff >= retry.backoff:
        return []
    message = (
        f"max_backoff {format_duration(retry.max_backoff)} is below backoff "
        f"{format_duration(retry.backoff)}"
    )
    return [error("E603", value_span(service, (*retry.path, "max_backoff")), message)]


def retry_delays(retry: ir.Retry, most: float) -> Iterator[float]:
    """The delays between attempts, in order; each capped at ``most + 1`` so that
    long schedules stay finite numbers (callers stop once past ``most``)."""
    delay = retry.backoff
    for _ in range(retry.attempts - 1):
        yield delay if retry.max_backoff is None else min(delay, retry.max_backoff)
        delay = min(delay * retry.multiplier, most + 1)


def delivery_delays(policies: tuple[ir.Retry, ...], most: float) -> Iterator[float]:
    """The longest delay before each further attempt of a delivery: the first policy
    that matches its error decides with the delivery's attempt count, so any policy
    with attempts left may."""
    for delays in zip_longest(*(retry_delays(p, most) for p in policies), fillvalue=0.0):
        yield max(delays)


def schedule_length(timeout: float, policies: tuple[ir.Retry, ...], most: float) -> float:
    """How long a delivery can take, every attempt running its whole ``timeout`` and
    waiting the longest delay between attempts; counting stops once past ``most``."""
    total = timeout
    for delay in delivery_delays(policies, most):
        total += delay + timeout
        if total > most:
            break
    return total


def _retention(service: ir.Service, subscription: ir.Subscription) -> list[Diagnostic]:
    quota = "SQS message retention"
    most = float(limit(quota))
    length = schedule_length(subscription.timeout, subscription.retry, most)
    if length <= most:
        return []
    span = key_span(service, _retry_key(subscription))
    message = (
        f"the retries of subscription '{subscription.name}' can last longer than "
        f"{format_duration(most)}, {describe(quota)}: on AWS a delivery waits for its "
        "next attempt in the subscription's queue"
    )
    return [error("E605", span, message)]


def _visibility(service: ir.Service, subscription: ir.Subscription) -> list[Diagnostic]:
    most = float(limit("SQS visibility timeout"))
    # Delays grow or shrink monotonically: the first ten thousand show the longest.
    if all(delay <= most for delay in islice(delivery_delays(subscription.retry, most), 10_000)):
        return []
    message = (
        f"a retry delay of subscription '{subscription.name}' passes "
        f"{describe('SQS visibility timeout')}: on AWS that attempt comes after "
        f"{format_duration(most)} instead"
    )
    return [warning("W609", key_span(service, _retry_key(subscription)), message)]


def _retry_key(subscription: ir.Subscription) -> PathKey:
    """The subscription's ``retry`` key when written, else its name."""
    written = any(policy.path is not None for policy in subscription.retry)
    return (*subscription.path, "retry") if written else subscription.path
