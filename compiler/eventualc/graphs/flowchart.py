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
descriptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from eventual.durations import format_duration
from eventualc.frontend import ir
from eventualc.graphs.model import Graph, GraphBuilder
from eventualc.kinds import complete

_Pending = list[tuple[str, str, str]]  # (node, edge kind, edge label) waiting for the next node
_WHOLE_EXPRESSION = re.compile(r"^\$\{\{(.*)\}\}$", re.DOTALL)
_LABEL_LIMIT = 48


@dataclass
class WorkflowLinks:
    """Where a drawn workflow touches the rest of its service, for the event graph."""

    start: str
    emits: list[tuple[str, ir.EventRef]] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)
    children: list[tuple[str, str]] = field(default_factory=list)
    waits: list[tuple[str, ir.EventRef]] = field(default_factory=list)  # wait_for_event

    def note(self, node: str, step: ir.Step) -> None:
        """Records ``step``, drawn as ``node``, if it emits, waits for an event, calls a
        task or a child."""
        if isinstance(step.target, ir.EventRef) and step.kind == "wait_for_event":
            self.waits.append((node, step.target))
        elif isinstance(step.target, ir.EventRef):
            self.emits.append((node, step.target))
        elif step.kind == "task" and isinstance(step.target, str):
            self.tasks.append((node, step.target))
        elif step.kind == "workflow" and isinstance(step.target, str):
            self.children.append((node, step.target))


def flowchart(service: ir.Service, workflow: ir.Workflow) -> Graph:
    """The flowchart of one workflow, top to bottom."""
    builder = GraphBuilder("TB")
    draw_workflow(builder, service.name, workflow)
    return builder.graph()


def draw_workflow(builder: GraphBuilder, service: str, workflow: ir.Workflow) -> WorkflowLinks:
    """Adds the flowchart of ``workflow`` to ``builder``; ids are scoped by service and name."""
    return _Drawer(builder, service, workflow).draw()


def expression_text(value: object) -> str:
    """A template as a short one-line label: ``${{ x }}`` alone shows as ``x``."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    whole = _WHOLE_EXPRESSION.match(text.strip())
    text = " ".join((whole.group(1) if whole else text).split())
    return text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 1] + "…"


def event_text(ref: ir.EventRef, service: str) -> str:
    return ref.name if ref.service == service else ref.qualified


class _Drawer:
    def __init__(self, builder: GraphBuilder, service: str, workflow: ir.Workflow) -> None:
        self.graph = builder
        self.service = service
        self.workflow = workflow
        self.links = WorkflowLinks(start=builder.id_of("wf", service, workflow.name, "start"))
        self.ends: _Pending = []
        self.loops: list[tuple[str, _Pending]] = []  # enclosing whiles: (node, break exits)

    def draw(self) -> WorkflowLinks:
        start = self.graph.node(("wf", self.service, self.workflow.name, "start"), "start", "start")
        pending = self.chain(self.workflow.steps, [(start, "flow", "")])
        end = self.graph.node(("wf", self.service, self.workflow.name, "end"), "end", "end")
        self.connect(pending + self.ends, end)
        return self.links

    def key(self, step: ir.Step, *more: str) -> tuple[str, ...]:
        where = [str(part) for part in step.path[3:]]
        return ("wf", self.service, self.workflow.name, "s", *where, *more)

    def connect(self, pending: _Pending, target: str) -> None:
        for source, kind, label in pending:
            self.graph.edge(source, target, kind, label)

    def chain(self, steps: tuple[ir.Step, ...], pending: _Pending) -> _Pending:
        for step in steps:
            pending = self.step(step, pending)
        return pending

    def step(self, step: ir.Step, pending: _Pending) -> _Pending:
        draw = DRAWINGS[step.kind]
        node, exits = draw(self, step, pending)
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

    def simple(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        kind, title = self.title(step)
        node = self.graph.node(self.key(step), kind, title, _details(step))
        self.connect(pending, node)
        self.links.note(node, step)
        if step.kind == "return":
            self.ends.append((node, "flow", ""))
        return node, [] if step.kind in ("return", "fail") else [(node, "flow", "")]

    def title(self, step: ir.Step) -> tuple[str, str]:
        target, expr = step.target, step.expr.value if step.expr else None
        if isinstance(target, ir.EventRef) and step.kind == "wait_for_event":
            keys = ", ".join(expr) if isinstance(expr, dict) else ""
            by = f" by {keys}" if keys else ""
            return "signal", f"wait for event {event_text(target, self.service)}{by}"
        if isinstance(target, ir.EventRef):
            return "emit", f"emit {event_text(target, self.service)}"
        if step.kind == "sleep":
            shown = format_duration(step.duration) if step.duration is not None else None
            return "timer", f"sleep {shown or expression_text(expr)}"
        titles = {
            "task": ("task", f"task {target}"),
            "workflow": ("child", f"workflow {target}"),
            "sleep_until": ("timer", f"sleep until {expression_text(expr)}"),
            "wait_for_signal": ("signal", _signal_title(step)),
            "set": ("set", "set " + ", ".join(f"vars.{v}" for v, _ in step.assignments)),
            "fail": ("fail", f"fail {_fail_title(step)}"),
            "return": ("return", "return"),
        }
        return titles[step.kind]

    def choice(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        expr = step.expr.value if step.expr else None
        node = self.graph.node(self.key(step), "choice", f"if {expression_text(expr)}", step.id)
        self.connect(pending, node)
        exits = self.chain(step.block("then"), [(node, "flow", "then")])
        return node, exits + self.chain(step.block("else"), [(node, "flow", "else")])

    def parallel(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        fork = self.graph.node(self.key(step), "fork", "parallel", step.id)
        self.connect(pending, fork)
        joined: _Pending = []
        for branch, steps in step.blocks:
            with self.graph.cluster(self.key(step, branch), f"branch {branch}"):
                joined += self.chain(steps, [(fork, "flow", branch)])
        join = self.graph.node(self.key(step, "join"), "join", "join")
        self.connect(joined, join)
        return fork, [(join, "flow", "")]

    def loop(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        expr = expression_text(step.expr.value if step.expr else None)
        title = f"for each {step.var} in {expr}"
        node = self.graph.node(self.key(step), "loop", title, _details(step))
        self.connect(pending, node)
        with self.graph.cluster(self.key(step, "body"), f"each {step.var}"):
            body = self.chain(step.block("steps"), [(node, "flow", "each")])
        self.connect([(source, kind, label or "next") for source, kind, label in body], node)
        return node, [(node, "flow", "done")]

    def repeat(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        """A ``while``: its body in a cluster going back to the loop node (``next``);
        the loop is left when the condition is false (``done``) or by a ``break``."""
        expr = expression_text(step.expr.value if step.expr else None)
        node = self.graph.node(self.key(step), "loop", f"while {expr}", _details(step))
        self.connect(pending, node)
        breaks: _Pending = []
        self.loops.append((node, breaks))
        with self.graph.cluster(self.key(step, "body"), "while"):
            body = self.chain(step.block("steps"), [(node, "flow", "repeat")])
        self.loops.pop()
        self.connect([(source, kind, label or "next") for source, kind, label in body], node)
        return node, [(node, "flow", "done"), *breaks]

    def loop_exit(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        """``break`` leads out of the innermost while, ``continue`` back to it."""
        node = self.graph.node(self.key(step), "return", step.kind)  # drawn as a jump
        self.connect(pending, node)
        if self.loops:  # else the compiler reported it (E420)
            loop, breaks = self.loops[-1]
            if step.kind == "break":
                breaks.append((node, "flow", "break"))
            else:
                self.graph.edge(node, loop, "flow", "continue")
        return node, []

    def attempt(self, step: ir.Step, pending: _Pending) -> tuple[str, _Pending]:
        node = self.graph.node(self.key(step), "try", "try", step.id)
        self.connect(pending, node)
        with self.graph.cluster(self.key(step, "block"), "try"):
            exits = self.chain(step.block("try"), [(node, "flow", "")])
        return node, exits


_Drawing = Callable[[_Drawer, ir.Step, _Pending], tuple[str, _Pending]]
DRAWINGS: dict[str, _Drawing] = complete({
    "task": _Drawer.simple,
    "workflow": _Drawer.simple,
    "emit": _Drawer.simple,
    "sleep": _Drawer.simple,
    "sleep_until": _Drawer.simple,
    "wait_for_signal": _Drawer.simple,
    "wait_for_event": _Drawer.simple,
    "set": _Drawer.simple,
    "fail": _Drawer.simple,
    "return": _Drawer.simple,
    "if": _Drawer.choice,
    "parallel": _Drawer.parallel,
    "for_each": _Drawer.loop,
    "try": _Drawer.attempt,
    "while": _Drawer.repeat,
    "break": _Drawer.loop_exit,
    "continue": _Drawer.loop_exit,
}, "flowchart.DRAWINGS")  # fmt: skip


def _fail_title(step: ir.Step) -> str:
    """A ``fail``'s error: its name, the rethrown expression, or the name's template."""
    if step.kind != "fail" or step.error is not None:
        return str(step.error)
    expr = step.expr.value if step.expr else None
    return expression_text(expr["error"] if isinstance(expr, dict) else expr)


def _signal_title(step: ir.Step) -> str:
    if step.signals:
        return "wait for signal " + " or ".join(step.signals)
    return f"wait for signal {step.target}"


def _details(step: ir.Step) -> str:
    parts = [step.id] if step.id else []
    if step.timeout is not None:
        parts.append(f"timeout {format_duration(step.timeout)}")
    elif step.timeout_expr is not None:
        parts.append(f"timeout {expression_text(step.timeout_expr.value)}")
    if step.retry is not None and any(policy.attempts > 1 for policy in step.retry):
        parts.append("/".join(str(policy.attempts) for policy in step.retry) + " attempts")
    if step.concurrency is not None:
        parts.append(f"{step.concurrency} at a time")
    if step.max_iterations is not None:
        parts.append(f"at most {step.max_iterations:,} times")
    return " · ".join(parts)
