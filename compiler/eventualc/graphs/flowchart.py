"""Workflow flowcharts: a workflow's steps -> nodes, edges and clusters of a graph.

Every step is a node, in step order, joined by ``flow`` edges from a ``start`` node to
an ``end`` node. ``if`` leaves a choice node by ``then``/``else`` edges; ``parallel``
branches sit in clusters between a fork and a join; a ``for_each`` body sits in a
cluster entered from its loop node (``each``) and going back to it, which the loop
leaves when ``done``; a ``try`` block sits in a cluster after its try node. ``catch``
handlers are clusters entered by ``catch`` edges, and go on to the step after the one
that failed, as executions do; ``compensate`` steps hang off their step by
``compensate`` edges and lead nowhere. A ``while`` is drawn like a ``for_each`` (its
body goes back to it by ``next``); ``break`` leads to the step after the loop,
``continue`` back to the loop node. ``fail`` ends its path; ``return`` goes to
``end``. Labels hold names, durations and expressions as written (shortened), never
descriptions (``labels``).

``Drawer`` walks the steps and draws what every kind shares (catch handlers,
compensation); each step's own node and edges are drawn by its kind
(``eventualc.kinds``, ``StepKind.draw``) with the drawer's helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eventualc.frontend import ir
from eventualc.graphs.labels import details
from eventualc.graphs.model import Graph, GraphBuilder
from eventualc.kinds import KINDS

Pending = list[tuple[str, str, str]]  # (node, edge kind, edge label) waiting for the next node


@dataclass
class WorkflowLinks:
    """Where a drawn workflow touches the rest of its service, for the event graph:
    the nodes that emit, wait for an event, call a task or a child (each step's kind
    records its own: ``StepKind.link``)."""

    start: str
    emits: list[tuple[str, ir.EventRef]] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)
    children: list[tuple[str, str]] = field(default_factory=list)
    waits: list[tuple[str, ir.EventRef]] = field(default_factory=list)  # wait_for_event


def flowchart(service: ir.Service, workflow: ir.Workflow) -> Graph:
    """The flowchart of one workflow, top to bottom."""
    builder = GraphBuilder("TB")
    draw_workflow(builder, service.name, workflow)
    return builder.graph()


def draw_workflow(builder: GraphBuilder, service: str, workflow: ir.Workflow) -> WorkflowLinks:
    """Adds the flowchart of ``workflow`` to ``builder``; ids are scoped by service and name."""
    return Drawer(builder, service, workflow).draw()


class Drawer:
    """Draws one workflow; what step kinds draw with (``graph``, ``key``, ``connect``,
    ``chain``, ``simple``, ``links``, ``ends``, ``loops``)."""

    def __init__(self, builder: GraphBuilder, service: str, workflow: ir.Workflow) -> None:
        self.graph = builder
        self.service = service
        self.workflow = workflow
        self.links = WorkflowLinks(start=builder.id_of("wf", service, workflow.name, "start"))
        self.ends: Pending = []  # edges to the end node (``return``)
        self.loops: list[tuple[str, Pending]] = []  # enclosing whiles: (node, break exits)

    def draw(self) -> WorkflowLinks:
        start = self.graph.node(("wf", self.service, self.workflow.name, "start"), "start", "start")
        pending = self.chain(self.workflow.steps, [(start, "flow", "")])
        end = self.graph.node(("wf", self.service, self.workflow.name, "end"), "end", "end")
        self.connect(pending + self.ends, end)
        return self.links

    def key(self, step: ir.Step, *more: str) -> tuple[str, ...]:
        where = [str(part) for part in step.path[3:]]
        return ("wf", self.service, self.workflow.name, "s", *where, *more)

    def connect(self, pending: Pending, target: str) -> None:
        for source, kind, label in pending:
            self.graph.edge(source, target, kind, label)

    def chain(self, steps: tuple[ir.Step, ...], pending: Pending) -> Pending:
        for step in steps:
            pending = self.step(step, pending)
        return pending

    def step(self, step: ir.Step, pending: Pending) -> Pending:
        kind = KINDS[step.kind]
        node, exits = kind.draw(self, step, pending)
        kind.link(self.links, node, step)
        for i, handler in enumerate(step.catch):
            errors = ", ".join("any error" if e == "*" else e for e in handler.errors)
            with self.graph.cluster(self.key(step, "catch", str(i)), f"catch {errors}"):
                exits += self.chain(handler.steps, [(node, "catch", f"catch {errors}")])
        if step.compensate:
            title = f"compensate {step.id or step.kind}"
            label = "compensate (also on failure)" if step.compensate_on_failure else "compensate"
            with self.graph.cluster(self.key(step, "compensate"), title):
                self.chain(step.compensate, [(node, "compensate", label)])
        return exits

    def simple(
        self, step: ir.Step, pending: Pending, kind: str, title: str, goes_on: bool = True
    ) -> tuple[str, Pending]:
        """One node of ``kind`` for ``step``, after ``pending``; the next step follows it
        unless it does not go on (``fail``, ``return``)."""
        node = self.graph.node(self.key(step), kind, title, details(step))
        self.connect(pending, node)
        return node, [(node, "flow", "")] if goes_on else []
