"""Loop exits: ``break`` and ``continue`` only where they name one loop.

E420 a ``break`` or ``continue`` outside the steps of a ``while``, or inside a
``parallel`` branch, a ``for_each`` body or a ``compensate`` block within one (there
it would be ambiguous which iteration, branch or loop it ends). ``if``, ``try`` and
``catch`` blocks inside a while's steps are part of its iteration, so an exit there
is allowed.
"""

from __future__ import annotations

from eventualc.diagnostics import Diagnostic, error
from eventualc.frontend import ir
from eventualc.frontend.symbols import key_span

# Blocks an exit cannot cross: what it would end is not one loop's iteration.
_BARRIERS = {"parallel": "a 'parallel' branch", "for_each": "a 'for_each' body"}


def check_loops(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        for workflow in service.workflows:
            _walk(service, workflow.steps, "outside any 'while' loop", diagnostics)
    return diagnostics


def _walk(
    service: ir.Service, steps: tuple[ir.Step, ...], refusal: str | None,
    diagnostics: list[Diagnostic],
) -> None:  # fmt: skip
    """``refusal`` says why an exit here is refused; ``None`` inside a while's steps."""
    for step in steps:
        if step.kind in ("break", "continue") and refusal is not None:
            message = (
                f"'{step.kind}' is only allowed in the steps of a 'while' loop; it is {refusal}"
            )
            diagnostics.append(error("E420", key_span(service, (*step.path, step.kind)), message))
        for _, block in step.blocks:
            inner = refusal
            if step.kind == "while":
                inner = None
            elif step.kind in _BARRIERS and refusal is None:
                inner = f"inside {_BARRIERS[step.kind]} within the loop"
            _walk(service, block, inner, diagnostics)
        for handler in step.catch:
            _walk(service, handler.steps, refusal, diagnostics)
        compensation = refusal or "inside a 'compensate' block, which runs after the loop"
        _walk(service, step.compensate, compensation, diagnostics)
