"""References: every event, task, workflow and signal a spec names exists.

E306 unknown event or service, E307 unknown task, E308 unknown workflow,
E309 unknown signal (``wait_for_signal``, a subscription's ``signal:``, the
``signals:`` of tasks and subscriptions); each with a did-you-mean where a name is
close. E111 a subscription that is more than one of a handler, a workflow start and a
declarative signal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from eventualc.diagnostics import Diagnostic, did_you_mean, error
from eventualc.frontend import ir
from eventualc.frontend.symbols import Symbols, key_span, value_span, walk_steps


def check_references(build: ir.Build) -> list[Diagnostic]:
    symbols = Symbols.of(build)
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        for ref in _event_refs(service):
            diagnostics += _event(symbols, service, ref)
        for subscription in service.subscriptions:
            diagnostics += _subscription(service, symbols, subscription)
        for task in service.tasks:
            for signal in task.signals:
                diagnostics += _signal_ref(service, symbols, signal)
        for workflow in service.workflows:
            diagnostics += _workflow(service, symbols, workflow)
    return diagnostics


def _subscription(
    service: ir.Service, symbols: Symbols, subscription: ir.Subscription
) -> list[Diagnostic]:
    diagnostics = [
        error("E111", key_span(service, (*subscription.path, key)),
              f"subscription '{subscription.name}' has '{key}' besides "
              f"{_role(subscription)}: a subscription is one of a handler (emits, signals), "
              "a workflow start (workflow) and a signal (signal)")
        for key in subscription.mixed
    ]  # fmt: skip
    if subscription.workflow is not None:
        path = subscription.workflow_path
        workflow = subscription.workflow
        diagnostics += _named(service, symbols.workflows, "workflow", "E308", workflow, path)
        if subscription.signal is not None and not diagnostics:
            at = (*subscription.path, "signal", "name")
            ref = ir.SignalRef(workflow, subscription.signal, at)
            diagnostics += _signal_ref(service, symbols, ref)
    for ref in subscription.signals:
        diagnostics += _signal_ref(service, symbols, ref)
    return diagnostics


def _role(subscription: ir.Subscription) -> str:
    if subscription.mixed and subscription.mixed[0] == "signal":
        return "'workflow'"
    return "'signal'" if subscription.signal else "'workflow'"


def _signal_ref(service: ir.Service, symbols: Symbols, ref: ir.SignalRef) -> list[Diagnostic]:
    """A signal named ``workflow.signal`` (own service): the workflow declares it."""
    found = _named(service, symbols.workflows, "workflow", "E308", ref.workflow, ref.path)
    if found:
        return found
    signals = [s.name for s in symbols.workflows[(service.name, ref.workflow)].signals]
    if ref.name in signals:
        return []
    hint = did_you_mean(ref.name, signals)
    message = f"workflow '{ref.workflow}' declares no signal '{ref.name}'{hint}"
    return [error("E309", value_span(service, ref.path), message)]


def _event_refs(service: ir.Service) -> Iterator[ir.EventRef]:
    for task in service.tasks:
        yield from task.emits
    for subscription in service.subscriptions:
        yield from subscription.events
        yield from subscription.emits
    for workflow in service.workflows:
        for step in walk_steps(workflow.steps):
            if isinstance(step.target, ir.EventRef):
                yield step.target


def _event(symbols: Symbols, service: ir.Service, ref: ir.EventRef) -> list[Diagnostic]:
    if symbols.event(ref) is not None:
        return []
    span = value_span(service, ref.path)
    if ref.service not in symbols.services:
        hint = did_you_mean(ref.service, symbols.services)
        return [
            error("E306", span, f"unknown service '{ref.service}' in event '{ref.qualified}'{hint}")
        ]
    local = ref.service == service.name
    names = [n if local else f"{o}.{n}" for o, n in symbols.events if o == ref.service]
    shown = ref.name if local else ref.qualified
    return [error("E306", span, f"unknown event '{shown}'{did_you_mean(shown, names)}")]


def _named(
    service: ir.Service, table: Mapping[tuple[str, str], object], kind: str, code: str,
    name: str, path: tuple[str | int, ...],
) -> list[Diagnostic]:  # fmt: skip
    if (service.name, name) in table:
        return []
    names = [n for owner, n in table if owner == service.name]
    return [
        error(
            code, value_span(service, path), f"unknown {kind} '{name}'{did_you_mean(name, names)}"
        )
    ]


def _workflow(service: ir.Service, symbols: Symbols, workflow: ir.Workflow) -> list[Diagnostic]:
    diagnostics = []
    signals = [s.name for s in workflow.signals]
    for step in walk_steps(workflow.steps):
        path = (*step.path, step.kind)
        if step.kind == "task":
            diagnostics += _named(service, symbols.tasks, "task", "E307", str(step.target), path)
        elif step.kind == "workflow":
            diagnostics += _named(
                service, symbols.workflows, "workflow", "E308", str(step.target), path
            )
        elif step.kind == "wait_for_signal":
            diagnostics += _signals(service, workflow, step, signals)
    return diagnostics


def _signals(
    service: ir.Service, workflow: ir.Workflow, step: ir.Step, declared: list[str]
) -> list[Diagnostic]:
    """E309 for each signal a ``wait_for_signal`` names (one, or each of its list) that
    the workflow does not declare."""
    path = (*step.path, step.kind)
    named = [(n, (*path, i)) for i, n in enumerate(step.signals)] or [(str(step.target), path)]
    diagnostics = []
    for name, where in named:
        if name not in declared:
            hint = did_you_mean(name, declared)
            message = f"workflow '{workflow.name}' declares no signal '{name}'{hint}"
            diagnostics.append(error("E309", value_span(service, where), message))
    return diagnostics
