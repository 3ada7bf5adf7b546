"""The CDK app of a service: IR -> ``<svc>/infra/{...}`` texts.

``emit_infra(service, build)`` returns ``__init__.py``, ``functions.py`` (what the
service deploys, as data: one row per task function, handler subscription,
workflow-starting rule and service it forwards events to), ``construct.py``,
``stack.py`` and ``app.py`` (a few lines each: the service's subclasses of
``eventualc.cdk.GeneratedService``, which builds it from those tables, and
``eventualc.cdk.ServiceStack``, and a call of ``eventualc.cdk.run_app``), ``cdk.json``
and ``.gitignore``, each rendered from its template (``emit.render``).

Decided here, once: construct ids (``Task<Task>``, ``<Sub>``, ``<Sub>Rule``, unique in
the service, which makes the logical IDs), the rule patterns (``eventual.patterns``, so
the deployed rule and every local runtime match the same events), the events each
function may put on the bus, which other services of the build get which of the
events put on this service's bus, how many rules a subscription needs (one unless
its pattern would pass EventBridge's 2,048 characters, ``eventualc.deploy.quotas``), and,
when the estimated resource count passes CloudFormation's 500, which functions go to
which nested stack.
"""

from __future__ import annotations

import math
from typing import Any

from eventualc.deploy.quotas import split_patterns
from eventualc.emit.render import render
from eventualc.frontend import ir
from eventualc.frontend.naming import pascal, pascal_words
from eventualc.frontend.symbols import emitted_events, waited_events

Forwards = dict[str, list[tuple[str, str]]]  # service -> (service, event) pairs forwarded to it
STACK_LIMIT = 500  # CloudFormation's resources per template
GROUP_BUDGET = 450  # resources per nested stack, leaving room for what CDK adds
# Resources each row makes (function, its log group, role, policy, queue and
# dead-letter queue with their TLS policies, the dead letters' alarm, event source
# mapping; a subscription adds its rule), and those of the service itself (bus, state
# table, bucket and policy, orchestrator with its log group, three queues (orchestrator's, inbox,
# results), their three dead-letter queues and the rules' dead-letter queue, their
# policies and alarms, three mappings, the timers' schedule group and the scheduler's
# role with its policy, CDK metadata).
TASK_RESOURCES = 10
SUBSCRIPTION_RESOURCES = 11
START_RESOURCES = 1
SIGNAL_RESOURCES = 6  # a signal queue and its dead letters, their policies, alarm, mapping
FORWARD_RESOURCES = 3
SERVICE_RESOURCES = 38
WAITS_ID = "WaitedEvents"  # the rule sending the events ``wait_for_event`` steps wait for
_RESERVED_IDS = frozenset(
    {"Bus", "State", "Orchestrator", "OrchestratorQueue", "OrchestratorDeadLetters"}
    | {"Inbox", "InboxDeadLetters", "RuleDeadLetters"}
    | {"Timers", "SchedulerRole", "Results", "ResultsDeadLetters", WAITS_ID}
    | {"UndeliveredSignals"}
)


def stack_name(service: str) -> str:
    """The default CloudFormation stack name of a service (``my_svc`` -> ``my-svc``)."""
    return service.replace("_", "-")


def emit_infra(service: ir.Service, build: ir.Build) -> dict[str, str]:
    forwards = _forwards(service, build)
    names = {
        "service": service.name,
        "name": pascal_words(service.name),
        "stack_name": stack_name(service.name),
        "peers": {s: stack_name(s) for s in forwards},
    }
    files = {
        "__init__.py": render("infra_init.py.jinja", **names),
        "functions.py": render("functions.py.jinja", **_tables(service, forwards)),
        "construct.py": render("construct.py.jinja", **names),
        "stack.py": render("stack.py.jinja", **names),
        "app.py": render("app.py.jinja", **names),
        "cdk.json": render("cdk.json.jinja"),
        ".gitignore": render("infra.gitignore.jinja"),
    }
    return {f"{service.name}/infra/{path}": text for path, text in files.items()}


def estimated_resources(service: ir.Service, build: ir.Build) -> int:
    """The resources one stack would hold for ``service`` (tested against real synthesis)."""
    return _estimate(service, _forwards(service, build))


def _estimate(service: ir.Service, forwards: Forwards) -> int:
    handlers = sum(s.workflow is None for s in service.subscriptions)
    # A subscription or forward whose events need more than one rule: one more each.
    more_rules = sum(len(_patterns(s)) - 1 for s in service.subscriptions)
    more_rules += sum(len(split_patterns(pairs)) - 1 for pairs in forwards.values())
    waits = len(_waits_patterns(service))
    senders = sum(bool(t.signals) for t in service.tasks)
    senders += sum(bool(s.signals) for s in service.subscriptions if s.workflow is None)
    return (
        SERVICE_RESOURCES
        + TASK_RESOURCES * len(service.tasks)
        + SUBSCRIPTION_RESOURCES * handlers
        + START_RESOURCES * (len(service.subscriptions) - handlers)
        + FORWARD_RESOURCES * len(forwards)
        + more_rules
        + START_RESOURCES * waits
        + SIGNAL_RESOURCES * senders
    )


def _tables(service: ir.Service, forwards: Forwards) -> dict[str, Any]:
    """The rows of ``functions.py``'s tables, which the construct loops over."""
    ids = _construct_ids(service)
    groups = _groups(service, forwards)
    tasks: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    starts: list[dict[str, Any]] = []
    for task in service.tasks:
        fields = _function_fields(service.name, ids[task.name], task)
        tasks.append({**fields, "group": groups[task.name]})
    for sub in service.subscriptions:
        if sub.workflow is not None:
            row = {"name": sub.name, "construct_id": ids[sub.name], "patterns": _patterns(sub)}
            starts.append({**row, "signal": True} if sub.signal else row)
            continue
        fields = _function_fields(service.name, ids[sub.name], sub)
        more = {
            "attempts": max(policy.attempts for policy in sub.retry),
            "patterns": _patterns(sub),
            "group": groups[sub.name],
        }
        subscriptions.append({**fields, **more})
    waits = _waits_patterns(service)
    if waits:
        starts.append(
            {"name": "wait_for_event", "construct_id": WAITS_ID, "patterns": waits, "waits": True}
        )
    rules = [
        {
            "service": to,
            "construct_id": f"To{pascal_words(to)}",
            "patterns": tuple(split_patterns(pairs)),
        }
        for to, pairs in forwards.items()
    ]
    return {
        "service": service.name,
        "orchestrator_emits": _orchestrator_emits(service),
        "tasks": tasks,
        "subscriptions": subscriptions,
        "starts": starts,
        "forwards": rules,
    }


def _function_fields(
    service: str, construct_id: str, function: ir.Task | ir.Subscription
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": function.name,
        "construct_id": construct_id,
        "timeout": max(1, math.ceil(function.timeout)),
        "memory": function.memory,
        "emits": _detail_types(service, function.emits),
    }
    if function.signals:  # what its ctx.signal may send: it gets a signal queue
        fields["signals"] = tuple(sorted(f"{s.workflow}.{s.name}" for s in function.signals))
    return fields


def _detail_types(service: str, refs: tuple[ir.EventRef, ...]) -> tuple[str, ...]:
    """The events as the bus sees them: the detail type, qualified by its source (the
    owning service) when that is another service (``billing.InvoicePaid``)."""
    return tuple(sorted({r.name if r.service == service else r.qualified for r in refs}))


def _patterns(sub: ir.Subscription) -> tuple[dict[str, Any] | str, ...]:
    """The patterns of a subscription's rules: one, unless its events do not fit
    EventBridge's pattern size in one (``eventualc.deploy.quotas.split_patterns``)."""
    pairs = [(ref.service, ref.name) for ref in sub.events]
    return tuple(split_patterns(pairs, sub.filter))


def _waited_pairs(service: ir.Service) -> list[tuple[str, str]]:
    """The (source, detail type) of every event a ``wait_for_event`` step waits for."""
    refs = [ref for workflow in service.workflows for ref in waited_events(workflow)]
    return sorted({(ref.service, ref.name) for ref in refs})


def _waits_patterns(service: ir.Service) -> tuple[dict[str, Any] | str, ...]:
    """The patterns of the rule sending waited-for events to the orchestrator's inbox,
    which hands each to the running executions that may wait for it: none when no
    workflow waits for an event."""
    pairs = _waited_pairs(service)
    return tuple(split_patterns(pairs)) if pairs else ()


def _workflow_emits(service: ir.Service) -> list[ir.EventRef]:
    return [ref for workflow in service.workflows for ref in emitted_events(workflow)]


def _orchestrator_emits(service: ir.Service) -> tuple[str, ...]:
    return _detail_types(service.name, tuple(_workflow_emits(service)))


def _construct_ids(service: ir.Service) -> dict[str, str]:
    """Construct ids by spec name, unique in the service construct: a subscription
    whose name would clash with another id is prefixed ``Subscription``."""
    ids = {t.name: f"Task{pascal(t.name)}" for t in service.tasks}
    taken = set(_RESERVED_IDS) | set(ids.values())
    for sub in service.subscriptions:
        suffix = "" if sub.workflow is None else "Rule"
        chosen = f"{pascal(sub.name)}{suffix}"
        if chosen in taken:
            chosen = f"Subscription{chosen}"
        ids[sub.name] = chosen
        taken.add(chosen)
    return ids


def _forwards(service: ir.Service, build: ir.Build) -> Forwards:
    """The other services this one forwards events to, with the events to forward.

    Events go on the bus of whichever service puts them: one that emits them, or the
    one they belong to (its clients publish there). Each such bus forwards to every
    other service of the build the events its subscriptions name; EventBridge moves an
    event across one bus at most, so forwarding never loops.
    """
    put = {(ref.service, ref.name) for ref in _emitted(service)}
    put |= {(service.name, event.name) for event in service.events}
    by_service: dict[str, list[tuple[str, str]]] = {}
    for other in build.services:
        wanted = {(r.service, r.name) for s in other.subscriptions for r in s.events}
        wanted |= set(_waited_pairs(other))
        if other.name != service.name and wanted & put:
            by_service[other.name] = sorted(wanted & put)
    return by_service


def _emitted(service: ir.Service) -> list[ir.EventRef]:
    refs = [r for t in service.tasks for r in t.emits]
    refs += [r for s in service.subscriptions for r in s.emits]
    return refs + _workflow_emits(service)


def _groups(service: ir.Service, forwards: Forwards) -> dict[str, int]:
    """Group 0 (the service construct itself) for everything, unless the service is
    too large for one stack: then consecutive functions fill nested stacks 1, 2, ..."""
    sized = [(t.name, TASK_RESOURCES + SIGNAL_RESOURCES * bool(t.signals)) for t in service.tasks]
    sized += [
        (
            s.name,
            SUBSCRIPTION_RESOURCES + len(_patterns(s)) - 1 + SIGNAL_RESOURCES * bool(s.signals),
        )
        for s in service.subscriptions
        if s.workflow is None
    ]
    if _estimate(service, forwards) <= STACK_LIMIT:
        return dict.fromkeys((name for name, _ in sized), 0)
    groups: dict[str, int] = {}
    group, used = 1, 0
    for name, size in sized:
        if used + size > GROUP_BUDGET:
            group, used = group + 1, 0
        groups[name] = group
        used += size
    return groups
