"""Step outputs: the type each step of a workflow gives, and where a ``null`` comes from.

``StepOutputs(symbols, env, service, workflow)`` types step outputs from the task,
child workflow and signal schemas and from the shape of nested blocks. A block that
cannot complete (it ends in ``fail`` or ``return`` on every path) gives ``NEVER``, which
adds nothing to a union: a ``try`` whose every catch fails has its block's type.
``null_source(step, outputs)`` follows a step whose output may be ``null`` to the
step or block that gives it (a catch ending in an ``emit``, an ``if`` without
``else``, a task that declares no output), for a note under a type error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventualc.frontend import ir
from eventualc.frontend.source import PathKey
from eventualc.frontend.symbols import Symbols
from eventualc.kinds import complete
from eventualc.typecheck.values import (
    DYN,
    NEVER,
    NULL,
    ListOf,
    Object,
    Ref,
    Scalar,
    Type,
    TypeEnv,
    Union,
    union,
)  # fmt: skip

Source = tuple[str, PathKey]


@dataclass
class StepOutputs:
    """The output types of one workflow's steps, each computed once."""

    symbols: Symbols
    env: TypeEnv
    service: ir.Service
    workflow: ir.Workflow
    _known: dict[int, Type] = field(default_factory=dict)  # by id() of the step

    def schema_type(self, schema: dict[str, Any] | None) -> Type:
        return DYN if schema is None else self.env.of_schema(schema, self.service.name)

    def output(self, step: ir.Step) -> Type:
        """What a step gives: its own output, or a catch's."""
        if id(step) not in self._known:
            own = self.own_output(step)
            catches = [self.last(c.steps) for c in step.catch]
            self._known[id(step)] = union(own, *catches) if catches else own
        return self._known[id(step)]

    def last(self, steps: tuple[ir.Step, ...]) -> Type:
        """A block's output: its last step's, ``NEVER`` when some step cannot complete."""
        if any(self.output(s) == NEVER for s in steps[:-1]):
            return NEVER
        return self.output(steps[-1]) if steps else NULL

    def own_output(self, step: ir.Step) -> Type:
        """What a step gives when it completes itself (not through its catch)."""
        return OWN_OUTPUTS[step.kind](self, step)

    def _parallel(self, step: ir.Step) -> Type:
        fields = tuple((name, self.last(steps)) for name, steps in step.blocks)
        if any(t == NEVER for _, t in fields):
            return NEVER
        return Object(fields, frozenset(name for name, _ in fields))

    def _declared(self, step: ir.Step) -> Type:
        if step.kind == "task":
            task = self.symbols.tasks.get((self.service.name, str(step.target)))
            return self.schema_type(task.output) if task else DYN
        if step.kind == "workflow":
            child = self.symbols.workflows.get((self.service.name, str(step.target)))
            return self.schema_type(child.output) if child else DYN
        if step.signals:  # any of several: {name, payload}, one shape per signal
            return union(*(self._received(name) for name in step.signals))
        return self._payload(str(step.target))

    def _payload(self, name: str) -> Type:
        signal = next((s for s in self.workflow.signals if s.name == name), None)
        return self.schema_type(signal.schema) if signal else DYN

    def _received(self, name: str) -> Type:
        fields = (("name", Scalar("string", (name,))), ("payload", self._payload(name)))
        return Object(fields, frozenset({"name", "payload"}))


def _event_payload(outputs: StepOutputs, step: ir.Step) -> Type:
    """A ``wait_for_event`` gives the event's payload, typed by its schema (named)."""
    ref = step.target
    if isinstance(ref, ir.EventRef) and outputs.symbols.event(ref):
        return Ref(f"{ref.service}/events/{ref.name}")
    return DYN


def _null(outputs: StepOutputs, step: ir.Step) -> Type:
    return NULL


def _never(outputs: StepOutputs, step: ir.Step) -> Type:
    return NEVER


OWN_OUTPUTS: dict[str, Callable[[StepOutputs, ir.Step], Type]] = complete({
    "task": StepOutputs._declared,
    "workflow": StepOutputs._declared,
    "wait_for_signal": StepOutputs._declared,
    "wait_for_event": _event_payload,
    "emit": _null,
    "sleep": _null,
    "sleep_until": _null,
    "set": _null,
    "if": lambda o, s: union(o.last(s.block("then")), o.last(s.block("else"))),
    "parallel": StepOutputs._parallel,
    "for_each": lambda o, s: ListOf(o.last(s.block("steps"))),
    "try": lambda o, s: o.last(s.block("try")),
    "fail": _never,
    "return": _never,
    "while": lambda o, s: union(o.last(s.block("steps")), NULL),
    "break": _never,
    "continue": _never,
}, "checks.outputs.OWN_OUTPUTS")  # fmt: skip


def null_source(step: ir.Step, outputs: StepOutputs) -> Source | None:
    for catch in step.catch:
        if _nullable(outputs.last(catch.steps), outputs):
            return _block_source(catch.steps, (*catch.path, "steps"), "its catch", outputs)
    if not _nullable(outputs.own_output(step), outputs):
        return None
    where = (*step.path, step.kind)
    if step.kind == "if":
        for name in ("then", "else"):
            block = step.block(name)
            if _nullable(outputs.last(block), outputs):
                if not block:
                    return f"its 'if' has no '{name}' steps", where
                return _block_source(block, (*step.path, name), f"its '{name}'", outputs)
    if step.kind == "try":
        return _block_source(step.block("try"), where, "its 'try'", outputs)
    if step.kind in ("task", "workflow", "wait_for_signal"):
        name = "signal" if step.kind == "wait_for_signal" else step.kind
        if outputs.env.expand(outputs.own_output(step)) == NULL:
            return f"{name} '{step.target}' declares no output", where
        return f"the output of {name} '{step.target}' may be null", where
    article = "an" if step.kind[0] in "aeiou" else "a"
    return f"{article} '{step.kind}' step gives null", where


def _block_source(
    steps: tuple[ir.Step, ...], where: PathKey, name: str, outputs: StepOutputs
) -> Source | None:
    if not steps:
        return f"{name} has no steps", where
    found = null_source(steps[-1], outputs)
    if found is None or not found[0].endswith(" step gives null"):
        return found
    return f"{name} ends with {found[0].removesuffix(' gives null')}, which gives null", found[1]


def _nullable(t: Type, outputs: StepOutputs) -> bool:
    t = outputs.env.expand(t)
    return t == NULL or (isinstance(t, Union) and NULL in t.options)
