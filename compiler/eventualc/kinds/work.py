"""Steps that hand work to the runtime: ``task``, ``workflow`` (a child), ``emit``.

A task or child's input is a template checked against the callee's input schema (a
missing input is null); the step gives the callee's declared output. An ``emit`` gives
null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from eventualc.frontend import ir
from eventualc.graphs.labels import event_text
from eventualc.typecheck.values import DYN, NULL, Type

from .base import StepKind, declared_null

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import Source, StepOutputs
    from eventualc.frontend.lower import StepSource
    from eventualc.frontend.source import PathKey
    from eventualc.frontend.symbols import Symbols
    from eventualc.graphs.flowchart import Drawer, Pending, WorkflowLinks
    from eventualc.typecheck.scope import Flow


class _CallStep(StepKind):
    """A task or a child workflow: its name, input and compensation steps; its input
    fits the callee's, and it gives the callee's declared output."""

    callee: ClassVar[str]  # "task" or "workflow", as messages and titles name it
    node: ClassVar[str]  # its flowchart node kind

    def callees(self, symbols: Symbols) -> Mapping[tuple[str, str], ir.Task | ir.Workflow]:
        raise NotImplementedError

    def calls(self, links: WorkflowLinks) -> list[tuple[str, str]]:
        raise NotImplementedError

    def lower(self, src: StepSource) -> dict[str, Any]:
        compensate = src.block("compensate")
        return {"target": src.body, "expr": src.template("input"), "compensate": compensate}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        callee = self.callees(checker.symbols).get((checker.service.name, str(step.target)))
        wanted = checker.schema_type(callee.input) if callee else DYN
        checker.call(step, flow, wanted, f"{self.callee} '{step.target}'")
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        callee = self.callees(outputs.symbols).get((outputs.service.name, str(step.target)))
        return outputs.schema_type(callee.output) if callee else DYN

    def null_source(self, outputs: StepOutputs, step: ir.Step, where: PathKey) -> Source:
        return declared_null(outputs, step, where, self.callee)

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        return drawer.simple(step, pending, self.node, f"{self.callee} {step.target}")

    def link(self, links: WorkflowLinks, node: str, step: ir.Step) -> None:
        if isinstance(step.target, str):
            self.calls(links).append((node, step.target))


class TaskStep(_CallStep):
    name = "task"
    start_shown = False  # the task's scheduling says it
    callee = "task"
    node = "task"

    def callees(self, symbols: Symbols) -> Mapping[tuple[str, str], ir.Task | ir.Workflow]:
        return symbols.tasks

    def calls(self, links: WorkflowLinks) -> list[tuple[str, str]]:
        return links.tasks


class WorkflowStep(_CallStep):
    name = "workflow"
    start_shown = True
    callee = "workflow"
    node = "child"

    def callees(self, symbols: Symbols) -> Mapping[tuple[str, str], ir.Task | ir.Workflow]:
        return symbols.workflows

    def calls(self, links: WorkflowLinks) -> list[tuple[str, str]]:
        return links.children


class EmitStep(StepKind):
    name = "emit"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {"target": src.event(), "expr": src.template("payload", {})}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        assert isinstance(step.target, ir.EventRef)
        what = f"the payload of event '{step.target.name}'"
        checker.expr(step, flow, checker.event_type(step.target), what)
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NULL

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        assert isinstance(step.target, ir.EventRef)
        title = f"emit {event_text(step.target, drawer.service)}"
        return drawer.simple(step, pending, "emit", title)

    def link(self, links: WorkflowLinks, node: str, step: ir.Step) -> None:
        if isinstance(step.target, ir.EventRef):
            links.emits.append((node, step.target))
