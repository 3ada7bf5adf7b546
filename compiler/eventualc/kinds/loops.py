"""Loops: ``while`` and the steps that leave or restart it, ``break`` and ``continue``.

A ``while`` body sees what its condition proves, as an ``if``'s ``then`` does; after
the loop comes what a run of no iteration and a run of some both leave; it gives its
body's last value or null, and stops at ``max_iterations`` (``LoopLimit``). Nothing
after a ``break`` or ``continue`` in its step list runs. Drawn: the body in a cluster
going back to the loop node (``next``), left when the condition is false (``done``)
or by a ``break``; a ``continue`` leads back to the loop node.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from eventualc.graphs.labels import details, step_expression
from eventualc.typecheck.narrowing import non_null
from eventualc.typecheck.scope import merge
from eventualc.typecheck.values import BOOL, NEVER, NULL, Type, union

from .base import StepKind

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import StepOutputs
    from eventualc.frontend import ir
    from eventualc.frontend.lower import StepSource
    from eventualc.graphs.flowchart import Drawer, Pending
    from eventualc.typecheck.scope import Flow

DEFAULT_MAX_ITERATIONS = 10_000  # a while loop's iterations before LoopLimit


class WhileStep(StepKind):
    name = "while"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {
            "expr": src.expression(),
            "blocks": (("steps", src.block("steps")),),
            "max_iterations": src.value.get("max_iterations", DEFAULT_MAX_ITERATIONS),
        }

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        checker.expr(step, flow, BOOL, "a 'while' condition")
        body = flow
        condition = checker.condition(step)
        if condition is not None:
            body = flow.knowing(non_null(condition, True))
        return merge([checker.block(step.block("steps"), body), flow], flow)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return union(outputs.last(step.block("steps")), NULL)

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        title = f"while {step_expression(step)}"
        node = drawer.graph.node(drawer.key(step), "loop", title, details(step))
        drawer.connect(pending, node)
        breaks: Pending = []
        drawer.loops.append((node, breaks))
        with drawer.graph.cluster(drawer.key(step, "body"), "while"):
            body = drawer.chain(step.block("steps"), [(node, "flow", "repeat")])
        drawer.loops.pop()
        drawer.connect([(source, kind, label or "next") for source, kind, label in body], node)
        return node, [(node, "flow", "done"), *breaks]


class _LoopExit(StepKind):
    """``break`` and ``continue``: nothing besides their kind; drawn as a jump."""

    start_shown = False

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        return replace(flow, ended=True)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NEVER

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        node = drawer.graph.node(drawer.key(step), "return", step.kind)
        drawer.connect(pending, node)
        if drawer.loops:  # else the compiler reported it (E420)
            self.jump(drawer, node, *drawer.loops[-1])
        return node, []

    def jump(self, drawer: Drawer, node: str, loop: str, breaks: Pending) -> None:
        raise NotImplementedError


class BreakStep(_LoopExit):
    name = "break"

    def jump(self, drawer: Drawer, node: str, loop: str, breaks: Pending) -> None:
        """Out of the innermost while: to the step after it."""
        breaks.append((node, "flow", "break"))


class ContinueStep(_LoopExit):
    name = "continue"

    def jump(self, drawer: Drawer, node: str, loop: str, breaks: Pending) -> None:
        """Back to the innermost while's loop node."""
        drawer.graph.edge(node, loop, "flow", "continue")
