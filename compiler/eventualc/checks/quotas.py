"""Quotas: what would break an AWS quota at deploy time, found in the spec.

E606 a subscription's rule pattern over EventBridge's 2,048 characters even for one
event (its filter alone is too large; events beyond one are dealt into more rules by
the generator, ``eventualc.deploy.quotas.split_patterns``). E607 a function whose role
policies would pass IAM's 10,240 characters, through the events it may put on the bus.
W608 more rules on a service's bus than EventBridge's default quota (adjustable).
``eventualc synth`` measures the synthesized templates against every quota of
``eventualc.deploy.quotas.QUOTAS`` besides.
"""

from __future__ import annotations

import json

from eventual.patterns import PatternError
from eventualc.deploy.quotas import ACCOUNT, PARTITION, REGION, describe, limit, split_patterns
from eventualc.diagnostics import Diagnostic, error, warning
from eventualc.frontend import ir
from eventualc.frontend.symbols import emitted_events, key_span

# What a function's role holds besides PutEvents (queues consumed and sent to, objects,
# logs), measured on synthesized roles with the longest names, and rounded up.
OTHER_POLICY_CHARACTERS = 2_000
# The longest stack name CloudFormation allows (the bus is named after it).
STACK_NAME_LIMIT = 128


def check_quotas(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        rules = 0
        for subscription in service.subscriptions:
            try:
                patterns = split_patterns(
                    [(r.service, r.name) for r in subscription.events], subscription.filter
                )
            except PatternError:  # a bad filter, which check_filters reports
                continue
            rules += len(patterns)
            diagnostics += _pattern_sizes(service, subscription, patterns)
        functions: list[ir.Task | ir.Subscription] = [*service.tasks, *service.subscriptions]
        for function in functions:
            diagnostics += _policy_size(service, function.name, function.emits, function.path)
        for workflow in service.workflows:
            emits = tuple(emitted_events(workflow))
            diagnostics += _policy_size(service, "the orchestrator", emits, workflow.path)
        quota = "EventBridge rules per event bus"
        if rules > limit(quota):
            message = (
                f"service '{service.name}' needs {rules} rules on its bus, over "
                f"{describe(quota)}: request an increase before deploying"
            )
            diagnostics.append(warning("W608", key_span(service, ("subscriptions",)), message))
    return diagnostics


def _pattern_sizes(
    service: ir.Service, subscription: ir.Subscription, patterns: list[dict[str, object] | str]
) -> list[Diagnostic]:
    quota = "EventBridge event pattern"
    sizes = [len(p if isinstance(p, str) else json.dumps(p)) for p in patterns]
    if max(sizes) <= limit(quota):
        return []
    where = (*subscription.path, "filter" if subscription.filter else "events")
    message = (
        f"the rule pattern of subscription '{subscription.name}' has {max(sizes):,} "
        f"characters for one event, over {describe(quota)}: shorten its filter"
    )
    return [error("E606", key_span(service, where), message)]


def _policy_size(
    service: ir.Service, name: str, emits: tuple[ir.EventRef, ...], path: tuple[str | int, ...]
) -> list[Diagnostic]:
    quota = "IAM role inline policies"
    size = OTHER_POLICY_CHARACTERS + put_events_characters(service.name, emits)
    if not emits or size <= limit(quota):
        return []
    message = (
        f"{name if name == 'the orchestrator' else repr(name)} may put {len(emits)} events, "
        f"which makes its role's policies about {size:,} characters, over {describe(quota)}: "
        "split its work over more functions"
    )
    return [error("E607", key_span(service, path), message)]


def put_events_characters(service: str, emits: tuple[ir.EventRef, ...]) -> int:
    """Characters of the PutEvents statements of a function declaring ``emits`` (one
    statement per source, as ``eventualc.cdk`` writes them), with the longest bus ARN."""
    bus = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{'x' * STACK_NAME_LIMIT}"
    by_source: dict[str, set[str]] = {}
    for ref in emits:
        by_source.setdefault(ref.service, set()).add(ref.name)
    statements = [
        {
            "Action": "events:PutEvents",
            "Condition": {
                "StringEquals": {"events:source": [source], "events:detail-type": sorted(types)}
            },
            "Effect": "Allow",
            "Resource": bus,
        }
        for source, types in by_source.items()
    ]
    return len(json.dumps(statements, separators=(",", ":")))
