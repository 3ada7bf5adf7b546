"""Where a step's ``null`` output comes from, for a note under a type error.

``null_source(step, outputs)`` follows a step whose output type includes ``null`` to
the step or block that gives it: a catch ending in an ``emit``, an ``if`` without
``else``, a task that declares no output. It returns a message and the path to point
at, or ``None`` when the step's output cannot be null.
"""

from __future__ import annotations

from typing import Protocol

from eventualc import ir
from eventualc.source import PathKey
from eventualc.types import NULL, Type, TypeEnv, Union

Source = tuple[str, PathKey]


class Outputs(Protocol):
    """What the type checker knows about step outputs."""

    env: TypeEnv

    def own_output(self, step: ir.Step) -> Type: ...

    def last(self, steps: tuple[ir.Step, ...]) -> Type: ...


def null_source(step: ir.Step, outputs: Outputs) -> Source | None:
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
    steps: tuple[ir.Step, ...], where: PathKey, name: str, outputs: Outputs
) -> Source | None:
    if not steps:
        return f"{name} has no steps", where
    found = null_source(steps[-1], outputs)
    if found is None or not found[0].endswith(" step gives null"):
        return found
    return f"{name} ends with {found[0].removesuffix(' gives null')}, which gives null", found[1]


def _nullable(t: Type, outputs: Outputs) -> bool:
    t = outputs.env.expand(t)
    return t == NULL or (isinstance(t, Union) and NULL in t.options)
