"""An execution's history -> the state of each step, a timeline, a coloured flowchart.

``step_states`` reads history entries (as ``eventual.interpreter`` writes them) and
gives, per step path (the runtime's, e.g. ``("steps", 0, "branch", "a", 0)``), one
``StepState``: done, running, waiting (with what for: a task attempt, a timer, a
signal, an event, a child), failed or compensated, with its start, end and task
attempts. ``timeline`` lays those out as bars in percent of the execution's span.
``node_ids`` maps runtime step paths to the node ids of the compiler's flowchart, and
``colour_svg`` marks each node of Graphviz's SVG with its step's state as a CSS class.
Pure functions: nothing here reads the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventualc.frontend import ir
from eventualc.graphs.flowchart import draw_workflow
from eventualc.graphs.model import Graph, GraphBuilder
from eventualc.ui.source import StepPath

STATES = ("done", "running", "waiting", "failed", "compensated")
_WAITS = {
    "wait_for_signal": "signal", "wait_for_event": "event", "sleep": "timer",
    "sleep_until": "timer", "workflow": "child execution",
}  # fmt: skip


@dataclass
class Attempt:
    number: int
    started: datetime
    ended: datetime | None = None
    outcome: str = "running"  # running, succeeded, failed
    error: str = ""


@dataclass
class StepState:
    path: StepPath
    label: str
    kind: str
    state: str
    started: datetime
    ended: datetime | None = None
    waiting: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    error: str = ""
    due: datetime | None = None  # when the timer it waits for fires, if known


def _when(entry: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry["time"]))


def _error_text(error: Any) -> str:
    if not isinstance(error, Mapping):
        return ""
    message = error.get("message")
    return f"{error.get('error')}: {message}" if message else str(error.get("error"))


def _label(path: StepPath, step_id: Any) -> str:
    if step_id:
        return str(step_id)
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def step_states(
    history: Sequence[Mapping[str, Any]], targets: Mapping[StepPath, str] | None = None
) -> dict[StepPath, StepState]:
    """Each step's state after ``history``; ``targets`` names what a step waits for."""
    states: dict[StepPath, StepState] = {}
    for entry in history:
        kind = entry["type"]
        if kind == "CompensationCompleted":
            _compensated(states, tuple(entry.get("block", ())))
            continue
        if "step" not in entry:
            continue
        path = tuple(entry["step"])
        if kind == "StepStarted":
            states[path] = StepState(path, _label(path, entry.get("id")), str(entry["kind"]),
                                     "running", _when(entry))  # fmt: skip
            wait = _WAITS.get(str(entry["kind"]))
            if wait:
                target = (targets or {}).get(path, "")
                states[path].state, states[path].waiting = "waiting", f"{wait} {target}".strip()
        elif path in states:
            _apply(states[path], kind, entry)
    return states


def settle(states: Mapping[StepPath, StepState], status: str, error: Any) -> None:
    """Steps an ended execution left started: a ``return`` is done; any other one
    stopped with the execution (failed, with the execution's error)."""
    if status == "IN_PROGRESS":
        return
    for step in states.values():
        if step.state not in ("running", "waiting"):
            continue
        step.waiting = ""
        if step.kind == "return" or status == "SUCCEEDED":
            step.state = "done"
        else:
            step.state, step.error = "failed", _error_text(error) or status


def _apply(step: StepState, kind: str, entry: Mapping[str, Any]) -> None:
    at = _when(entry)
    if kind == "TaskScheduled":
        step.attempts.append(Attempt(int(entry.get("attempt", 1)), at))
        step.state, step.waiting = (
            "waiting",
            f"task {entry.get('task')} attempt {entry.get('attempt')}",
        )
    elif kind in ("TaskFailed", "TaskSucceeded") and step.attempts:
        attempt = step.attempts[-1]
        attempt.ended, attempt.outcome = at, "failed" if kind == "TaskFailed" else "succeeded"
        attempt.error = _error_text(entry.get("error"))
    elif kind == "StepCompleted":
        step.state, step.ended, step.waiting = "done", at, ""
    elif kind == "StepFailed":
        step.state, step.ended, step.waiting = "failed", at, ""
        step.error = _error_text(entry.get("error"))


def _compensated(states: dict[StepPath, StepState], block: StepPath) -> None:
    if block and block[-1] == "compensate" and block[:-1] in states:
        states[block[:-1]].state = "compensated"


@dataclass(frozen=True)
class Bar:
    label: str
    state: str
    left: float  # percent of the span
    width: float
    title: str
    depth: int  # 0 for a step, 1 for a task attempt


def timeline(states: Mapping[StepPath, StepState], start: datetime, end: datetime) -> list[Bar]:
    """Bars for each step and each of its task attempts, in start order."""
    span = max((end - start).total_seconds(), 1e-6)

    def place(begin: datetime, finish: datetime | None) -> tuple[float, float]:
        left = (begin - start).total_seconds() / span * 100
        right = ((finish or end) - start).total_seconds() / span * 100
        return round(left, 3), round(max(right - left, 0.4), 3)

    bars: list[Bar] = []
    for step in sorted(states.values(), key=lambda s: s.started):
        left, width = place(step.started, step.ended)
        took = _took(step.started, step.ended)
        bars.append(
            Bar(step.label, step.state, left, width, f"{step.label}: {step.state}{took}", 0)
        )
        for attempt in step.attempts:
            left, width = place(attempt.started, attempt.ended)
            title = f"attempt {attempt.number}: {attempt.outcome} {attempt.error}".strip()
            bars.append(Bar(f"attempt {attempt.number}", attempt.outcome, left, width, title, 1))
    return bars


def _took(begin: datetime, finish: datetime | None) -> str:
    return "" if finish is None else f" in {(finish - begin).total_seconds():.3f} s"


def node_ids(service: str, workflow: ir.Workflow) -> tuple[Graph, dict[StepPath, str]]:
    """The workflow's flowchart and, for each runtime step path, its node id (the
    builder's key of a step is ``("wf", service, workflow, "s", *ir path)``)."""
    builder = GraphBuilder("TB")
    draw_workflow(builder, service, workflow)
    graph = builder.graph()
    drawn = {node.id for node in graph.nodes}
    found: dict[StepPath, str] = {}

    def walk(steps: Sequence[ir.Step], block: StepPath) -> None:
        for index, step in enumerate(steps):
            path = (*block, index)
            key = ("wf", service, workflow.name, "s", *(str(p) for p in step.path[3:]))
            node = builder.id_of(*key)
            if node in drawn:
                found[path] = node
            for name, nested in step.blocks:
                walk(nested, (*path, "branch", name) if step.kind == "parallel" else (*path, name))
            for number, handler in enumerate(step.catch):
                walk(handler.steps, (*path, "catch", number))
            if step.compensate:
                walk(step.compensate, (*path, "compensate"))

    walk(workflow.steps, ("steps",))
    return graph, found


_NODE = re.compile(r'<g id="(node\d+)" class="node">\s*<title>([A-Za-z0-9_]+)</title>')


def colour_svg(svg: str, states: Mapping[str, str]) -> str:
    """Graphviz SVG with each node whose id is in ``states`` given the class
    ``node st-STATE`` (node ids are ``[A-Za-z0-9_]``, so the match is exact)."""

    def mark(match: re.Match[str]) -> str:
        state = states.get(match.group(2))
        if state not in STATES:
            return match.group(0)
        return match.group(0).replace('class="node"', f'class="node st-{state}"', 1)

    return _NODE.sub(mark, svg)
