"""What each page shows: a ``Source`` and the build -> plain values for the templates.

``Console`` holds the source (the engine's store, or a deployed stack: see
``source``), the build of the specs (``None`` when the console runs on what the
runtime stored alone: flowcharts and signal schemas then come from what it knows,
which is less), and draws diagrams with Graphviz's ``dot`` when it is
installed (SVG laid out on the server: no script library to ship, and no spec text
ever reaches a script). Every method reads; the actions live in ``server``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eventualc.emit.diagrams import to_dot
from eventualc.frontend import ir
from eventualc.graphs.model import Graph
from eventualc.ui.forms import SignalField, field_for
from eventualc.ui.source import Source, StepPath, Timer
from eventualc.ui.steps import (
    StepState,
    colour_svg,
    node_ids,
    settle,
    step_states,
    timeline,
)  # fmt: skip

if TYPE_CHECKING:
    from eventual.engine import Engine


@lru_cache(maxsize=64)
def render_svg(dot_source: str) -> str:
    """Graphviz's SVG of ``dot_source`` (the ``<svg>`` element alone), or ``""`` when
    ``dot`` is missing or fails."""
    if shutil.which("dot") is None:
        return ""
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot_source, capture_output=True,
                              text=True, timeout=20, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    start = done.stdout.find("<svg")
    return done.stdout[start:] if start >= 0 else ""


@dataclass
class Console:
    reads: Source
    build: ir.Build | None = None

    @classmethod
    def local(cls, engine: Engine, build: ir.Build | None = None) -> Console:
        """The console over the embedded engine's store."""
        from eventualc.ui.reads import Reads

        return cls(Reads(engine), build)

    def workflow_ir(self, service: str, workflow: str) -> ir.Workflow | None:
        found = self.build.service(service) if self.build else None
        return next((w for w in found.workflows if w.name == workflow), None) if found else None

    def execution(self, ref: str) -> dict[str, Any]:
        """Everything the execution page shows."""
        view = self.reads.execution(ref)
        history = self.reads.history(view.id)
        details = self.reads.details(view.id)
        declared = _declared(details.definition, view.workflow)
        states = step_states(history, _targets(declared))
        settle(states, view.status.value, view.error)
        if view.status.value == "IN_PROGRESS":
            _timed(states, details.timers)
        end = view.ended or datetime.now(UTC)
        chart, steps = self.flowchart(view.service, view.workflow, states)
        return {
            "view": view, "history": history, "input": details.input, "vars": details.vars,
            "states": sorted(states.values(), key=lambda s: s.started), "chart": chart,
            "bars": timeline(states, view.started, end), "steps": steps,
            "children": self.reads.children(view.id), "trigger": details.trigger,
            "signals": self.signal_fields(view.service, view.workflow, declared),
            "version": self.reads.version(view.id), "lacks": self.reads.lacks,
            "queries": self.queries(view.id, declared),
        }  # fmt: skip

    def queries(self, execution: str, declared: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
        """``(name, value, problem)`` of each query the workflow declares, asked now on
        the stored state (a query that fails shows its error instead of a value)."""
        answers = []
        for name in sorted(declared.get("queries") or {}):
            try:
                answers.append((name, self.reads.query(execution, name), ""))
            except Exception as exc:  # an expression error or a store's answer: shown
                answers.append((name, None, str(exc)))
        return answers

    def flowchart(self, service: str, workflow: str, states: dict[StepPath, Any]
                  ) -> tuple[str, int]:  # fmt: skip
        """The coloured flowchart SVG (``""`` without specs or Graphviz) and how many
        steps have a state."""
        chosen = self.workflow_ir(service, workflow)
        if chosen is None:
            return "", len(states)
        graph, nodes = node_ids(service, chosen)
        svg = render_svg(to_dot(graph))
        coloured = {nodes[path]: step.state for path, step in states.items() if path in nodes}
        return colour_svg(svg, coloured), len(states)

    def signal_fields(self, service: str, workflow: str, declared: dict[str, Any]
                      ) -> list[SignalField]:  # fmt: skip
        chosen = self.workflow_ir(service, workflow)
        schemas = {s.name: s.schema for s in chosen.signals} if chosen else {}
        return [field_for(name, model is not None, schemas.get(name))
                for name, model in sorted(declared.get("signals", {}).items())]  # fmt: skip

    def signal_field(self, ref: str, signal: str) -> SignalField | None:
        view = self.reads.execution(ref)
        declared = _declared(self.reads.details(view.id).definition, view.workflow)
        fields = self.signal_fields(view.service, view.workflow, declared)
        return next((f for f in fields if f.signal == signal), None)

    def service(self) -> dict[str, Any]:
        """The event catalog and the choreography graph."""
        if self.build is None:
            return {"services": [], "chart": "", "known": self.reads.workflows()}
        from eventualc.graphs.choreography import event_graph

        graph: Graph = event_graph(self.build, expand=False)
        return {"services": self.build.services, "chart": render_svg(to_dot(graph)),
                "known": []}  # fmt: skip


def _timed(states: dict[StepPath, StepState], timers: Mapping[StepPath, Timer]) -> None:
    """Adds each pending timer's due time to what its step waits for."""
    for path, timer in timers.items():
        step = states.get(path)
        if step is not None and step.state in ("waiting", "running"):
            due = f"{timer.due:%Y-%m-%d %H:%M:%S} UTC"
            what = "due" if timer.why == "timer" else f"{timer.why} at"
            step.waiting = f"{step.waiting}, {what} {due}".lstrip(", ")
            step.due = timer.due


def _declared(definition: Mapping[str, Any], workflow: str) -> dict[str, Any]:
    """The stored definition's record of ``workflow`` (``{}`` when it has none)."""
    found: dict[str, Any] = definition.get("workflows", {}).get(workflow, {})
    return found


def _targets(declared: dict[str, Any]) -> dict[StepPath, str]:
    """What each step of a stored workflow names (signal, event, child, timer)."""
    if not declared.get("steps"):
        return {}
    from eventual.definition import Workflow
    from eventual.workflow import compile_workflow

    try:  # a stored workflow is a whole definition record
        compiled = compile_workflow("w", Workflow.from_json(declared))
    except (KeyError, TypeError, ValueError):
        return {}
    found: dict[StepPath, str] = {}
    for block, steps in compiled.blocks.items():
        for index, step in enumerate(steps):
            if isinstance(step.target, str):
                found[(*block, index)] = step.target
            elif isinstance(step.target, list):
                found[(*block, index)] = " or ".join(map(str, step.target))
    return found
