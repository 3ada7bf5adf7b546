"""Lower stage: shape-valid documents -> ``ir.Build`` plus diagnostics.

Groups documents by ``service``, merges them (a name defined twice is E204, with a
note naming the first definition), expands schema shorthands and file references
(``schemas``), applies defaults, converts durations to seconds and decides every
Python name once. A step's own fields are lowered by its kind (``eventualc.kinds``,
``StepKind.lower``, which decides that kind's defaults) from a ``StepSource``; what
every step has (``id``, ``timeout``, ``retry``, ``catch``...) is lowered here. Trusts
the shape stage: the input matches the spec schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventual.durations import parse_duration
from eventualc.diagnostics import Diagnostic, Note, error
from eventualc.frontend import ir
from eventualc.frontend.durations import is_template
from eventualc.frontend.schemas import SchemaLowering, alias_cycles
from eventualc.frontend.source import Document, Locations, PathKey
from eventualc.kinds import KINDS

SECTIONS = ("types", "events", "tasks", "workflows", "subscriptions")
DEFAULT_TASK_TIMEOUT = 300.0
DEFAULT_SUBSCRIPTION_TIMEOUT = 30.0
DEFAULT_MEMORY = 512
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``processOrderPayment`` -> ``process_order_payment``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


@dataclass
class _Merged:
    name: str
    description: str = ""
    sections: dict[str, dict[str, Any]] = field(default_factory=lambda: {s: {} for s in SECTIONS})
    bases: dict[tuple[str, str], Path] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    locations: Locations = field(default_factory=Locations)


def lower(
    documents: list[Document], externals: dict[Path, Document], root: Path
) -> tuple[ir.Build, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    merged: dict[str, _Merged] = {}
    for document in documents:
        _merge(document, merged, diagnostics)
    services = []
    for name in sorted(merged):
        service, found = _lower_service(merged[name], externals, root)
        services.append(service)
        diagnostics.extend(found)
    return ir.Build(tuple(services)), diagnostics


def _merge(document: Document, merged: dict[str, _Merged], diagnostics: list[Diagnostic]) -> None:
    data = document.data
    target = merged.setdefault(data["service"], _Merged(data["service"]))
    target.description = target.description or data.get("description", "")
    target.files.append(document.file.display)
    for section in SECTIONS:
        for name, value in data.get(section, {}).items():
            if name in target.sections[section]:
                first = target.locations.key((section, name))
                diagnostics.append(
                    error(
                        "E204",
                        document.locations.key((section, name)),
                        f"{section[:-1]} '{name}' is defined twice",
                        Note(f"first defined at {first}" if first else "first defined earlier"),
                    )
                )
                continue
            target.sections[section][name] = value
            target.bases[(section, name)] = document.file.path.parent
    target.locations.update(document.locations)


@dataclass
class _ServiceLowering:
    merged: _Merged
    schemas: SchemaLowering

    def schema(
        self, section: str, name: str, path: PathKey, default: Any = "null"
    ) -> dict[str, Any]:
        value = _get(self.merged.sections[section][name], path[2:], default)
        return self.schemas.lower(value, path, self.merged.bases[(section, name)])


def _get(data: Any, path: PathKey, default: Any) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _lower_service(
    merged: _Merged, externals: dict[Path, Document], root: Path
) -> tuple[ir.Service, list[Diagnostic]]:
    sections = merged.sections
    schemas = SchemaLowering(
        frozenset(sections["types"]), frozenset(sections["events"]), externals, root,
        merged.locations.value, merged.locations.key,
    )  # fmt: skip
    ctx = _ServiceLowering(merged, schemas)
    types = tuple(
        ir.TypeDef(n, ctx.schema("types", n, ("types", n), sections["types"][n]),
                   _description(v), ("types", n))
        for n, v in sorted(sections["types"].items())
    )  # fmt: skip
    events = tuple(_event(ctx, n, v) for n, v in sorted(sections["events"].items()))
    tasks = tuple(_task(ctx, n, v) for n, v in sorted(sections["tasks"].items()))
    workflows = tuple(_workflow(ctx, n, v) for n, v in sorted(sections["workflows"].items()))
    subscriptions = tuple(
        _subscription(merged.name, n, v) for n, v in sorted(sections["subscriptions"].items())
    )
    named = {f"types:{t.name}": t.schema for t in types} | {
        f"events:{e.name}": e.schema for e in events
    }
    for cycle in alias_cycles(named):
        section, name = cycle[0].split(":")
        loop = " -> ".join(c.split(":")[1] for c in [*cycle, cycle[0]])
        schemas.diagnostics.append(
            error("E305", merged.locations.key((section, name)), f"schema reference cycle: {loop}")
        )
    service = ir.Service(
        merged.name, merged.description, types, events, tasks, workflows, subscriptions,
        tuple(merged.files), merged.locations,
    )  # fmt: skip
    return service, schemas.diagnostics


def _description(value: Any) -> str:
    return str(value.get("description", "")) if isinstance(value, dict) else ""


def _event(ctx: _ServiceLowering, name: str, value: dict[str, Any]) -> ir.Event:
    path = ("events", name)
    schema = ctx.schema("events", name, (*path, "schema"))
    return ir.Event(name, schema, _description(value), tuple(value.get("examples", ())), path)


def _seconds(value: Any, default: float | None) -> float | None:
    return default if value is None else parse_duration(value)


def _retry(value: dict[str, Any], path: PathKey) -> ir.Retry:
    errors, excepted = value.get("errors"), value.get("except")
    return ir.Retry(
        attempts=value.get("attempts", 3),
        backoff=parse_duration(value.get("backoff", 1)),
        multiplier=float(value.get("multiplier", 2)),
        max_backoff=_seconds(value.get("max_backoff"), None),
        jitter=value.get("jitter", "none"),
        errors=tuple(errors) if errors is not None else None,
        except_=tuple(excepted) if excepted is not None else None,
        path=path,
    )


def _retries(value: dict[str, Any] | list[dict[str, Any]], path: PathKey) -> tuple[ir.Retry, ...]:
    """``retry:`` of a task, a step or a subscription: one policy, or a list of them
    (first match wins)."""
    if isinstance(value, dict):
        return (_retry(value, path),)
    return tuple(_retry(policy, (*path, i)) for i, policy in enumerate(value))


def event_ref(service: str, written: str, path: PathKey) -> ir.EventRef:
    """``Event`` (of ``service``) or ``other.Event`` as written at ``path``."""
    owner, _, name = written.rpartition(".")
    return ir.EventRef(owner or service, name, path)


def event_refs(service: str, names: list[str], path: PathKey) -> tuple[ir.EventRef, ...]:
    return tuple(event_ref(service, written, (*path, i)) for i, written in enumerate(names))


def _task(ctx: _ServiceLowering, name: str, value: dict[str, Any]) -> ir.Task:
    path = ("tasks", name)
    return ir.Task(
        name=name,
        python_name=snake_case(name),
        description=_description(value),
        input=ctx.schema("tasks", name, (*path, "input")),
        output=ctx.schema("tasks", name, (*path, "output")),
        timeout=parse_duration(value.get("timeout", DEFAULT_TASK_TIMEOUT)),
        heartbeat=_seconds(value.get("heartbeat"), None),
        retry=_retries(value["retry"], (*path, "retry")) if "retry" in value else (ir.NO_RETRY,),
        emits=event_refs(ctx.merged.name, value.get("emits", []), (*path, "emits")),
        memory=value.get("memory", DEFAULT_MEMORY),
        path=path,
        signals=signal_refs(value.get("signals", []), (*path, "signals")),
    )


def signal_refs(written: list[str], path: PathKey) -> tuple[ir.SignalRef, ...]:
    """``signals: [workflow.signal]`` entries (the shape stage checked their form)."""
    refs = []
    for i, entry in enumerate(written):
        workflow, _, name = str(entry).partition(".")
        refs.append(ir.SignalRef(workflow, name, (*path, i)))
    return tuple(refs)


def _subscription(service: str, name: str, value: dict[str, Any]) -> ir.Subscription:
    path = ("subscriptions", name)
    templates: dict[str, ir.Template] = {
        key: ir.Template(value[key], (*path, key))
        for key in ("input", "execution_name")
        if key in value
    }
    mixed = _mixed_roles(value)
    send = value.get("signal") if "workflow" not in value else None  # both: E111
    if isinstance(send, dict):
        templates = {
            key: ir.Template(send[written], (*path, "signal", written))
            for key, written in (("input", "payload"), ("execution_name", "execution_name"))
            if written in send
        }
        value = {**value, "workflow": send.get("workflow")}
    return ir.Subscription(
        name=name,
        python_name=snake_case(name),
        description=_description(value),
        events=event_refs(service, value["events"], (*path, "events")),
        filter=value.get("filter"),
        emits=event_refs(service, value.get("emits", []), (*path, "emits")),
        retry=(
            _retries(value["retry"], (*path, "retry"))
            if "retry" in value
            else (ir.SUBSCRIPTION_RETRY,)
        ),
        timeout=parse_duration(value.get("timeout", DEFAULT_SUBSCRIPTION_TIMEOUT)),
        memory=value.get("memory", DEFAULT_MEMORY),
        workflow=value.get("workflow"),
        input=templates.get("input"),
        execution_name=templates.get("execution_name"),
        path=path,
        signal=send.get("name") if isinstance(send, dict) else None,
        signals=signal_refs(value.get("signals", []), (*path, "signals")),
        mixed=mixed,
    )


def _mixed_roles(value: dict[str, Any]) -> tuple[str, ...]:
    """The keys that make a subscription more than one of a handler (``emits``,
    ``signals``), a workflow start (``workflow``) and a signal (``signal``), after the
    first role's key; empty when it is exactly one."""
    roles = (("workflow",), ("signal",), ("emits", "signals"))
    given = [tuple(k for k in keys if k in value) for keys in roles]
    present = [keys for keys in given if keys]
    return tuple(k for keys in present[1:] for k in keys)


def _workflow(ctx: _ServiceLowering, name: str, value: dict[str, Any]) -> ir.Workflow:
    path = ("workflows", name)
    signals = tuple(
        ir.Signal(
            signal,
            ctx.schema("workflows", name, (*path, "signals", signal)),
            (*path, "signals", signal),
        )
        for signal in sorted(value.get("signals", {}))
    )
    output = ctx.schema("workflows", name, (*path, "output")) if "output" in value else None
    return ir.Workflow(
        name=name,
        python_name=snake_case(name),
        description=_description(value),
        input=ctx.schema("workflows", name, (*path, "input")),
        output=output,
        timeout=_seconds(value.get("timeout"), None),
        signals=signals,
        steps=_steps(ctx.merged.name, value["steps"], (*path, "steps")),
        path=path,
        queries=tuple(
            (query, ir.Template(template, (*path, "queries", query)))
            for query, template in value.get("queries", {}).items()
        ),
    )


def _steps(service: str, values: list[dict[str, Any]], path: PathKey) -> tuple[ir.Step, ...]:
    return tuple(_step(service, value, (*path, i)) for i, value in enumerate(values))


@dataclass(frozen=True)
class StepSource:
    """One step mapping of the spec, with what lowering its parts needs: what a step
    kind's ``lower`` (``eventualc.kinds``) reads its fields from."""

    service: str
    value: dict[str, Any]
    path: PathKey
    kind: str

    @property
    def body(self) -> Any:
        """The value of the kind key (``task: <body>``)."""
        return self.value[self.kind]

    def expression(self) -> ir.Template:
        """The kind key's value as a template (``if: ${{ ... }}``)."""
        return ir.Template(self.body, (*self.path, self.kind))

    def event(self) -> ir.EventRef:
        """The kind key's value as an event of this service or another."""
        return event_ref(self.service, self.body, (*self.path, self.kind))

    def template(self, key: str, default: Any = None) -> ir.Template:
        return ir.Template(self.value.get(key, default), (*self.path, key))

    def block(self, key: str) -> tuple[ir.Step, ...]:
        return _steps(self.service, self.value.get(key, []), (*self.path, key))

    def nested(self, steps: list[dict[str, Any]], *keys: str | int) -> tuple[ir.Step, ...]:
        return _steps(self.service, steps, (*self.path, *keys))


def _step(service: str, value: dict[str, Any], path: PathKey) -> ir.Step:
    kind = next(k for k in KINDS if k in value)
    src = StepSource(service, value, path, kind)
    fields: dict[str, Any] = KINDS[kind].lower(src)
    if is_template(value.get("timeout")):
        fields["timeout_expr"] = ir.Template(value["timeout"], (*path, "timeout"))
    elif "timeout" in value:
        fields["timeout"] = parse_duration(value["timeout"])
    if "retry" in value:
        fields["retry"] = _retries(value["retry"], (*path, "retry"))
    if value.get("compensate_on_failure"):
        fields["compensate_on_failure"] = True
    fields["catch"] = tuple(
        ir.Catch(
            tuple(c.get("errors", ["*"])),
            c.get("as", "error"),
            src.nested(c["steps"], "catch", i, "steps"),
            (*path, "catch", i),
        )
        for i, c in enumerate(value.get("catch", []))
    )
    return ir.Step(kind=kind, id=value.get("id"), path=path, **fields)
