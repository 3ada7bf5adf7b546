"""Lookup tables over an ``ir.Build``, built once so checks stay linear in its size."""

from __future__ import annotations

from dataclasses import dataclass

from eventualc.diagnostics import Span
from eventualc.frontend import ir


@dataclass(frozen=True, slots=True)
class Symbols:
    services: dict[str, ir.Service]
    events: dict[tuple[str, str], ir.Event]
    tasks: dict[tuple[str, str], ir.Task]
    workflows: dict[tuple[str, str], ir.Workflow]

    @classmethod
    def of(cls, build: ir.Build) -> Symbols:
        return cls(
            {s.name: s for s in build.services},
            {(s.name, e.name): e for s in build.services for e in s.events},
            {(s.name, t.name): t for s in build.services for t in s.tasks},
            {(s.name, w.name): w for s in build.services for w in s.workflows},
        )

    def event(self, ref: ir.EventRef) -> ir.Event | None:
        return self.events.get((ref.service, ref.name))


def value_span(service: ir.Service, path: tuple[str | int, ...]) -> Span | None:
    return service.locations.value(path)


def key_span(service: ir.Service, path: tuple[str | int, ...]) -> Span | None:
    return service.locations.key(path)


def emitted_events(workflow: ir.Workflow) -> list[ir.EventRef]:
    """The events a workflow's ``emit`` steps put, nested ones included, in source order
    (``wait_for_event`` steps name events too: see ``waited_events``)."""
    return _event_targets(workflow, "emit")


def waited_events(workflow: ir.Workflow) -> list[ir.EventRef]:
    """The events a workflow's ``wait_for_event`` steps wait for, in source order."""
    return _event_targets(workflow, "wait_for_event")


def _event_targets(workflow: ir.Workflow, kind: str) -> list[ir.EventRef]:
    steps = walk_steps(workflow.steps)
    return [s.target for s in steps if s.kind == kind and isinstance(s.target, ir.EventRef)]


def walk_steps(steps: tuple[ir.Step, ...]) -> list[ir.Step]:
    """Every step of a step list, nested ones included, in source order."""
    found: list[ir.Step] = []
    stack = list(reversed(steps))
    while stack:
        step = stack.pop()
        found.append(step)
        nested = [s for _, block in step.blocks for s in block]
        nested += [s for c in step.catch for s in c.steps]
        nested += list(step.compensate)
        stack.extend(reversed(nested))
    return found
