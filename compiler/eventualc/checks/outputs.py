"""Step outputs: the type each step of a workflow gives, and where a ``null`` comes from.

``StepOutputs(symbols, env, service, workflow)`` types step outputs from the task,
child workflow and signal schemas and from the shape of nested blocks: a step's own
output is its kind's (``eventualc.kinds``, ``StepKind.output``). A block that
cannot complete (it ends in ``fail`` or ``return`` on every path) gives ``NEVER``, which
adds nothing to a union: a ``try`` whose every catch fails has its block's type.
``null_source(step, outputs)`` follows a step whose output may be ``null`` to the
step or block that gives it (a catch ending in an ``emit``, an ``if`` without
``else``, a task that declares no output), for a note under a type error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventualc.frontend import ir
from eventualc.frontend.source import PathKey
from eventualc.frontend.symbols import Symbols
from eventualc.kinds import KINDS
from eventualc.typecheck.values import (
    DYN,
    NEVER,
    NULL,
    Object,
    Scalar,
    Type,
    TypeEnv,
    Union,
    union,
)  # fmt: skip

Source = tuple[str, PathKey]  # what gives a null, and where


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
        return KINDS[step.kind].output(self, step)

    def payload(self, name: str) -> Type:
        """What a wait for signal ``name`` gives: its payload, typed by its schema."""
        signal = next((s for s in self.workflow.signals if s.name == name), None)
        return self.schema_type(signal.schema) if signal else DYN

    def received(self, name: str) -> Type:
        """What a wait on several signals gives for ``name``: ``{name, payload}``."""
        fields = (("name", Scalar("string", (name,))), ("payload", self.payload(name)))
        return Object(fields, frozenset({"name", "payload"}))

    def nullable(self, t: Type) -> bool:
        t = self.env.expand(t)
        return t == NULL or (isinstance(t, Union) and NULL in t.options)

    def block_source(self, steps: tuple[ir.Step, ...], where: PathKey, name: str) -> Source | None:
        """Where the null a block (called ``name``) gives comes from: its last step."""
        if not steps:
            return f"{name} has no steps", where
        found = null_source(steps[-1], self)
        if found is None or not found[0].endswith(" step gives null"):
            return found
        shown = found[0].removesuffix(" gives null")
        return f"{name} ends with {shown}, which gives null", found[1]


def null_source(step: ir.Step, outputs: StepOutputs) -> Source | None:
    """Where a null that ``step`` may give comes from: its catch, else its kind's answer
    (``StepKind.null_source``); ``None`` when it gives no null."""
    for catch in step.catch:
        if outputs.nullable(outputs.last(catch.steps)):
            return outputs.block_source(catch.steps, (*catch.path, "steps"), "its catch")
    if not outputs.nullable(outputs.own_output(step)):
        return None
    return KINDS[step.kind].null_source(outputs, step, (*step.path, step.kind))
