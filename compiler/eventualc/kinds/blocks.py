"""Steps that run nested step lists: ``if``, ``try``, ``parallel``, ``for_each``.

After an ``if`` or a ``try`` comes what every path that goes on leaves; after a
``parallel``, what any branch leaves (the join waits for them all); a ``for_each``
body runs once per item, so nothing in it is readable after the loop, which gives the
list of each item's last value. Drawn: a choice node, a try cluster, a fork and a
join around branch clusters, a loop node with its body in a cluster.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from eventualc.graphs.labels import details, step_expression
from eventualc.typecheck.narrowing import non_null
from eventualc.typecheck.scope import merge
from eventualc.typecheck.values import BOOL, DYN, INT, NEVER, ListOf, Object, Type, union

from .base import StepKind

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import Source, StepOutputs
    from eventualc.frontend import ir
    from eventualc.frontend.lower import StepSource
    from eventualc.frontend.source import PathKey
    from eventualc.graphs.flowchart import Drawer, Pending
    from eventualc.typecheck.scope import Flow

DEFAULT_CONCURRENCY = 10  # a for_each's items at a time


class IfStep(StepKind):
    name = "if"
    start_shown = False  # its first inner step says it

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {
            "expr": src.expression(),
            "blocks": (("then", src.block("then")), ("else", src.block("else"))),
        }

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        """Each branch sees what the condition proves (true, then false)."""
        checker.expr(step, flow, BOOL, "an 'if' condition")
        then, otherwise = flow, flow
        condition = checker.condition(step)
        if condition is not None:
            then = flow.knowing(non_null(condition, True))
            otherwise = flow.knowing(non_null(condition, False))
        branches = [checker.block(step.block("then"), then)]
        branches.append(checker.block(step.block("else"), otherwise))
        return merge(branches, flow)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return union(outputs.last(step.block("then")), outputs.last(step.block("else")))

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        title = f"if {step_expression(step)}"
        node = drawer.graph.node(drawer.key(step), "choice", title, step.id)
        drawer.connect(pending, node)
        exits = drawer.chain(step.block("then"), [(node, "flow", "then")])
        return node, exits + drawer.chain(step.block("else"), [(node, "flow", "else")])

    def null_source(self, outputs: StepOutputs, step: ir.Step, where: PathKey) -> Source | None:
        """The first branch that may give null: empty, or by its last step."""
        for name in ("then", "else"):
            block = step.block(name)
            if outputs.nullable(outputs.last(block)):
                if not block:
                    return f"its 'if' has no '{name}' steps", where
                return outputs.block_source(block, (*step.path, name), f"its '{name}'")
        return super().null_source(outputs, step, where)


class TryStep(StepKind):
    name = "try"
    start_shown = False  # its first inner step says it

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {"blocks": (("try", src.nested(src.body, src.kind)),)}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        return checker.block(step.block("try"), flow)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return outputs.last(step.block("try"))

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        node = drawer.graph.node(drawer.key(step), "try", "try", step.id)
        drawer.connect(pending, node)
        with drawer.graph.cluster(drawer.key(step, "block"), "try"):
            exits = drawer.chain(step.block("try"), [(node, "flow", "")])
        return node, exits

    def null_source(self, outputs: StepOutputs, step: ir.Step, where: PathKey) -> Source | None:
        return outputs.block_source(step.block("try"), where, "its 'try'")


class ParallelStep(StepKind):
    name = "parallel"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        branches = src.body.items()
        return {"blocks": tuple((b, src.nested(steps, src.kind, b)) for b, steps in branches)}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        branches = [checker.block(steps, flow) for _, steps in step.blocks]
        steps = {k: v for b in branches for k, v in b.steps.items()}
        variables = {
            k: union(*(b.vars[k] for b in branches if k in b.vars))
            for b in branches
            for k in b.vars
        }
        ended = any(b.ended for b in branches)  # the join waits for every branch
        return replace(flow, steps=steps, vars=variables, ended=ended)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        fields = tuple((name, outputs.last(steps)) for name, steps in step.blocks)
        if any(t == NEVER for _, t in fields):
            return NEVER
        return Object(fields, frozenset(name for name, _ in fields))

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        fork = drawer.graph.node(drawer.key(step), "fork", "parallel", step.id)
        drawer.connect(pending, fork)
        joined: Pending = []
        for branch, steps in step.blocks:
            with drawer.graph.cluster(drawer.key(step, branch), f"branch {branch}"):
                joined += drawer.chain(steps, [(fork, "flow", branch)])
        join = drawer.graph.node(drawer.key(step, "join"), "join", "join")
        drawer.connect(joined, join)
        return fork, [(join, "flow", "")]


class ForEachStep(StepKind):
    name = "for_each"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {
            "expr": src.expression(),
            "blocks": (("steps", src.block("steps")),),
            "var": src.value.get("as", "item"),
            "concurrency": src.value.get("concurrency", DEFAULT_CONCURRENCY),
        }

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        items = checker.env.expand(checker.expr(step, flow, ListOf(DYN), "a for_each list"))
        item = items.item if isinstance(items, ListOf) else DYN
        checker.block(step.block("steps"), flow.with_locals(**{str(step.var): item, "index": INT}))
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return ListOf(outputs.last(step.block("steps")))

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        title = f"for each {step.var} in {step_expression(step)}"
        node = drawer.graph.node(drawer.key(step), "loop", title, details(step))
        drawer.connect(pending, node)
        with drawer.graph.cluster(drawer.key(step, "body"), f"each {step.var}"):
            body = drawer.chain(step.block("steps"), [(node, "flow", "each")])
        drawer.connect([(source, kind, label or "next") for source, kind, label in body], node)
        return node, [(node, "flow", "done")]
