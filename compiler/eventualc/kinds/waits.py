"""Steps that wait for time, a signal or an event: ``sleep``, ``sleep_until``,
``wait_for_signal``, ``wait_for_event``.

A constant ``sleep`` lowers to seconds; a templated one must make a duration with a
number in each ``${{ }}``. A wait for one signal gives its payload, a wait on a list
``{name, payload}``; a ``wait_for_event`` gives the event's payload, its ``match``
naming fields of the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventual.cel.template import Interpolation
from eventual.durations import format_duration, parse_duration
from eventualc.frontend import ir
from eventualc.frontend.durations import is_template, suggest_duration
from eventualc.graphs.labels import event_text, step_expression
from eventualc.typecheck.values import (
    DOUBLE,
    DYN,
    NULL,
    STRING,
    TIMESTAMP,
    Object,
    Ref,
    Type,
    union,
)

from .base import StepKind, declared_null

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import Source, StepOutputs
    from eventualc.frontend.lower import StepSource
    from eventualc.frontend.source import PathKey
    from eventualc.graphs.flowchart import Drawer, Pending, WorkflowLinks
    from eventualc.typecheck.scope import Flow


class SleepStep(StepKind):
    name = "sleep"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        if not is_template(src.body):
            return {"duration": parse_duration(src.body)}
        return {"expr": src.expression()}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        what = "a sleep duration (seconds or a duration string)"
        checker.expr(step, flow, union(DOUBLE, STRING), what)
        parsed = checker.parsed(step)
        if isinstance(parsed, Interpolation) and step.expr is not None:
            # Each ${{ }} stands for a number: the text around them must make a duration.
            shape = "".join(p if isinstance(p, str) else "1" for p in parsed.parts)
            try:
                parse_duration(shape)
            except ValueError:
                hint = suggest_duration(shape)
                fix = f"write it like '{hint}'" if hint else "units are ms, s, m, h, d"
                message = (
                    f"{what} does not fit: with a number in each ${{{{ }}}} it reads "
                    f"'{shape}'; {fix}"
                )
                checker.report("E405", checker.service.locations.value(step.expr.path), message)
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NULL

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        shown = format_duration(step.duration) if step.duration is not None else None
        return drawer.simple(step, pending, "timer", f"sleep {shown or step_expression(step)}")


class SleepUntilStep(StepKind):
    name = "sleep_until"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {"expr": src.expression()}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        what = "a sleep_until time (an RFC 3339 timestamp)"
        checker.expr(step, flow, union(STRING, TIMESTAMP), what)
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NULL

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        return drawer.simple(step, pending, "timer", f"sleep until {step_expression(step)}")


class WaitForSignalStep(StepKind):
    name = "wait_for_signal"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        if isinstance(src.body, list):
            return {"target": None, "signals": tuple(src.body)}
        return {"target": src.body}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        if step.signals:  # any of several: {name, payload}, one shape per signal
            return union(*(outputs.received(name) for name in step.signals))
        return outputs.payload(str(step.target))

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        names = " or ".join(step.signals) if step.signals else str(step.target)
        return drawer.simple(step, pending, "signal", f"wait for signal {names}")

    def null_source(self, outputs: StepOutputs, step: ir.Step, where: PathKey) -> Source:
        return declared_null(outputs, step, where, "signal")


class WaitForEventStep(StepKind):
    name = "wait_for_event"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        """``match`` is one template mapping field -> value, so it renders once at start."""
        return {
            "target": src.event(),
            "expr": src.template("match", {}),
            "filter": src.value.get("filter"),
        }

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        """``match`` names fields of the event, each value fitting the field's type."""
        assert isinstance(step.target, ir.EventRef)
        payload = checker.env.expand(checker.event_type(step.target))
        wanted: Type = DYN
        if isinstance(payload, Object):  # any subset of the fields, none required
            wanted = Object(payload.fields, frozenset(), payload.extra, payload.name)
        checker.expr(step, flow, wanted, f"the match of event '{step.target.name}'")
        return flow

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        """The event's payload, typed by its schema (named)."""
        ref = step.target
        if isinstance(ref, ir.EventRef) and outputs.symbols.event(ref):
            return Ref(f"{ref.service}/events/{ref.name}")
        return DYN

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        assert isinstance(step.target, ir.EventRef)
        expr = step.expr.value if step.expr else None
        keys = ", ".join(expr) if isinstance(expr, dict) else ""
        by = f" by {keys}" if keys else ""
        title = f"wait for event {event_text(step.target, drawer.service)}{by}"
        return drawer.simple(step, pending, "signal", title)

    def link(self, links: WorkflowLinks, node: str, step: ir.Step) -> None:
        if isinstance(step.target, ir.EventRef):
            links.waits.append((node, step.target))
