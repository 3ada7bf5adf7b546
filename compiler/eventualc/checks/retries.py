"""Retry policy lists: E110 a policy with both ``errors`` and ``except``, W610 a policy
that never decides anything because the policies before it match every error it would
(first match wins, as with Step Functions' retriers).

Takes the build; returns diagnostics located at the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventual.errors import ANY_ERROR, VALIDATION_ERROR
from eventualc.diagnostics import Diagnostic, error, warning
from eventualc.frontend import ir
from eventualc.frontend.symbols import key_span, walk_steps


@dataclass(frozen=True, slots=True)
class _Matches:
    """The errors a policy matches: ``names`` when finite, else every error but
    ``excluded``."""

    names: frozenset[str] | None
    excluded: frozenset[str] = frozenset()


def _matches(policy: ir.Retry) -> _Matches:
    if policy.errors is not None and ANY_ERROR not in policy.errors:
        return _Matches(frozenset(policy.errors))
    if policy.errors is not None:
        return _Matches(None)
    return _Matches(None, frozenset({VALIDATION_ERROR, *(policy.except_ or ())}))


def _covered(later: _Matches, earlier: list[_Matches]) -> bool:
    """Whether the ``earlier`` policies together match every error ``later`` does."""
    named = frozenset().union(*(m.names for m in earlier if m.names is not None))
    open_ended = [m.excluded - named for m in earlier if m.names is None]
    if later.names is not None:
        return all(n in named or any(n not in ex for ex in open_ended) for n in later.names)
    return any(ex <= later.excluded for ex in open_ended)


def _policies(service: ir.Service, policies: tuple[ir.Retry, ...]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for i, policy in enumerate(policies):
        if policy.path is None:
            continue
        if policy.errors is not None and policy.except_ is not None:
            message = (
                "a retry policy has 'errors' (retry these) or 'except' (retry all but these), "
                "not both"
            )
            found.append(error("E110", key_span(service, (*policy.path, "except")), message))
        elif i and _covered(_matches(policy), [_matches(p) for p in policies[:i]]):
            message = (
                f"retry policy {i + 1} never applies: the policies before it match every "
                "error it would, and the first match wins"
            )
            found.append(warning("W610", key_span(service, policy.path), message))
    return found


def check_retries(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        for task in service.tasks:
            diagnostics += _policies(service, task.retry)
        for subscription in service.subscriptions:
            diagnostics += _policies(service, subscription.retry)
        for workflow in service.workflows:
            for step in walk_steps(workflow.steps):
                diagnostics += _policies(service, step.retry or ())
    return diagnostics
