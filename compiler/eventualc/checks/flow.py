"""Choreography: events nobody uses, and subscriptions that can ping-pong forever.

W701 an event that no task, subscription or workflow emits and no subscription or
``wait_for_event`` step consumes; W702 a cycle of subscriptions, each emitting an event
the next consumes;
W703 a cycle of ``workflow:`` steps, a workflow that starts itself directly or through
its children (at run time the child depth limit stops it with an error).
"""

from __future__ import annotations

from collections import deque

from eventualc.diagnostics import Diagnostic, warning
from eventualc.frontend import ir
from eventualc.frontend.symbols import (
    emitted_events,
    key_span,
    value_span,
    waited_events,
    walk_steps,
)

_Node = tuple[str, str]  # (service, subscription or workflow name)


def check_flow(build: ir.Build) -> list[Diagnostic]:
    emitted: set[str] = set()
    consumers: dict[str, list[tuple[ir.Service, ir.Subscription]]] = {}
    waited: set[str] = set()  # consumed by wait_for_event steps
    for service in build.services:
        emitted.update(ref.qualified for task in service.tasks for ref in task.emits)
        for subscription in service.subscriptions:
            emitted.update(ref.qualified for ref in subscription.emits)
            for ref in subscription.events:
                consumers.setdefault(ref.qualified, []).append((service, subscription))
        for workflow in service.workflows:
            emitted.update(ref.qualified for ref in emitted_events(workflow))
            waited.update(ref.qualified for ref in waited_events(workflow))
    diagnostics = []
    for service in build.services:
        for event in service.events:
            qualified = f"{service.name}.{event.name}"
            used = qualified in emitted or qualified in consumers or qualified in waited
            if not used:
                message = f"event '{event.name}' is neither emitted nor consumed in this build"
                diagnostics.append(warning("W701", key_span(service, event.path), message))
    return diagnostics + _cycles(build, consumers) + _workflow_cycles(build)


def _workflow_cycles(build: ir.Build) -> list[Diagnostic]:
    """Reports each loop of child workflows once, at the step of the workflow first by
    name that starts the next one."""
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        names = {w.name for w in service.workflows}
        starts = {
            (service.name, w.name): [
                s for s in walk_steps(w.steps) if s.kind == "workflow" and s.target in names
            ]
            for w in service.workflows
        }
        edges = {
            key: sorted({(key[0], str(s.target)) for s in steps}) for key, steps in starts.items()
        }
        reported: set[_Node] = set()
        for start in sorted(edges):
            path = _path_back(start, edges)
            if path is None or reported & set(path):
                continue
            reported.update(path)
            following = path[1] if len(path) > 1 else start
            step = next(s for s in starts[start] if s.target == following[1])
            loop = " -> ".join(name for _, name in [*path, start])
            message = f"workflows can start each other without end: {loop}"
            span = value_span(service, (*step.path, "workflow"))
            diagnostics.append(warning("W703", span, message))
    return diagnostics


def _cycles(
    build: ir.Build, consumers: dict[str, list[tuple[ir.Service, ir.Subscription]]]
) -> list[Diagnostic]:
    """Reports each cycle once, at its subscription that comes first by name."""
    nodes = {
        (svc.name, sub.name): (svc, sub) for svc in build.services for sub in svc.subscriptions
    }
    edges = {
        key: sorted(
            {(s.name, c.name) for ref in sub.emits for s, c in consumers.get(ref.qualified, [])}
        )
        for key, (_, sub) in nodes.items()
    }
    diagnostics: list[Diagnostic] = []
    reported: set[_Node] = set()
    for start in sorted(nodes):
        path = _path_back(start, edges)
        if path is None or reported & set(path):
            continue
        reported.update(path)
        service, subscription = nodes[start]
        loop = " -> ".join(name for _, name in [*path, start])
        message = f"subscriptions can trigger each other forever: {loop}"
        diagnostics.append(warning("W702", key_span(service, subscription.path), message))
    return diagnostics


def _path_back(start: _Node, edges: dict[_Node, list[_Node]]) -> list[_Node] | None:
    """The shortest path of subscriptions from ``start`` back to itself (breadth first)."""
    parents: dict[_Node, _Node] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, []):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return list(reversed(path))
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return None
