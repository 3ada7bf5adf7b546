"""``definition.json``: a built service as typed records, the contract between compiler and runtime.

``eventualc build`` lowers a spec, builds a ``Definition`` and writes ``dumps(definition)``
into each service package; every runtime reads it back with ``Definition.from_json``
once, when the service (or an older version kept for running executions) is loaded,
and reads attributes from then on. Every value is explicit: defaults (timeouts,
retry policies, ``for_each`` concurrency, catch variables) are decided by the
compiler's ``lower`` stage, never here nor by a runtime. Standard library only (and
``eventual.retry``), so a Lambda that runs one handler loads it cheaply.

The format (version ``FORMAT``), all names as written in the spec; JSON keys are
sorted, so the same spec always gives the same bytes:

``{"format": 1, "service": str, "version": sha256,
"events": {Name: Event}, "tasks": {name: Task},
"subscriptions": {name: Subscription}, "workflows": {name: Workflow}}``

- ``Event``: ``{"model": Name, "description": str}``.
- ``Task``: ``{"handler": module, "input": Model|null, "output": Model|null,
  "timeout": s, "heartbeat": s|null, "retry": [Retry], "emits": [EventName],
  "memory": MB, "signals": [workflow.signal]}`` (``signals``: what ``ctx.signal`` may send).
- ``Subscription``: ``{"handler": module|null, "events": [EventName], "filter":
  {}|null, "emits": [EventName], "retry": [Retry], "timeout": s, "memory": MB,
  "workflow": name|null, "input": template|null, "execution_name": template|null,
  "signal": name|null, "signals": [workflow.signal]}``
  (a subscription has a ``handler``, starts a ``workflow``, or, with ``signal``, sends
  that signal with payload ``input`` to the running execution ``execution_name`` of
  ``workflow``). Definitions written before ``signal``/``signals`` read as none.
- ``Workflow``: ``{"version": sha256, "input": Model|null, "output": Model|null,
  "timeout": s|null, "signals": {name: Model|null}, "steps": [Step]}`` plus, when it
  declares any, ``"queries": {name: template}`` (read-only expressions over the state).
- ``Retry``: ``{"attempts": int, "backoff": s, "multiplier": float, "max_backoff":
  s|null, "jitter": "none"|"full", "errors": [error]|null}`` plus ``"except":
  [error]`` when the policy has a deny-list (with neither: every error but
  ``ValidationError``). Tasks, task steps and subscriptions carry a list of them, first
  match wins (``eventual.retry``); a single mapping read from an older definition is a
  list of one.
- ``Step``: ``{"kind": str, "id": str|null}`` plus the keys its kind has, absent
  when empty: ``target`` (the task, workflow, event or signal named), ``value`` (the
  kind's template: a task's or child's input, an event payload, an ``if``,
  ``for_each``, ``sleep_until`` or computed ``sleep`` expression, a ``return`` value,
  a ``fail`` message, or, with ``error`` null, a ``fail``'s ``{error, message}``
  value or template), ``duration`` (a fixed ``sleep``, s), ``timeout`` (s),
  ``retry`` ([Retry]), ``var`` and ``concurrency`` (``for_each``), ``error`` (``fail``),
  ``blocks`` (nested step lists by name: ``then``/``else``, ``parallel`` branches,
  ``steps`` of a ``for_each``, ``try``), ``set`` (``[var, template]`` pairs in written
  order, each assignment seeing the ones before), ``catch`` (``[{"errors": [error],
  "as": var, "steps": [Step]}]``), ``compensate`` (``[Step]``),
  ``compensate_on_failure`` (``true``: the step's ``compensate`` is also registered
  when the step itself fails), ``signals`` (the names a ``wait_for_signal`` on a
  list waits for; ``target`` is then absent) and ``timeout_expr`` (a ``timeout``
  template of a task, child or wait, evaluated when the step starts, in place of
  ``timeout``). A ``while`` has its condition in ``value``, its body in
  ``blocks.steps`` and ``max_iterations``; ``break`` and ``continue`` have only
  ``kind`` and ``id``.

An ``EventName`` of another service is ``service.Name``. Templates are YAML values
whose strings may hold ``${{ }}``, kept as written. Versions are ``digest`` of the
record without its ``version``: a workflow's pins running executions to the
definition they started with, the service's names the whole definition.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from eventual.retry import Retries, RetryPolicy

FORMAT = 1
Json = dict[str, Any]

__all__ = [
    "FORMAT", "Catch", "Definition", "Event", "Retries", "RetryPolicy", "Step", "Subscription",
    "Task", "Workflow", "canonical", "digest", "dumps",
]  # fmt: skip


def canonical(data: Any) -> str:
    """``data`` as compact JSON with sorted keys: the text versions are computed from."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def _retries_json(retries: Retries) -> list[Json]:
    return [policy.to_json() for policy in retries]


def _retries(data: Mapping[str, Any] | list[Mapping[str, Any]]) -> Retries:
    """A list of policies; a single mapping (definitions written before lists) is one."""
    listed = [data] if isinstance(data, Mapping) else data
    return tuple(RetryPolicy.from_json(policy) for policy in listed)


@dataclass(frozen=True, slots=True)
class Event:
    model: str
    description: str

    def to_json(self) -> Json:
        return {"model": self.model, "description": self.description}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        return cls(data["model"], data["description"])


@dataclass(frozen=True, slots=True)
class Task:
    handler: str
    input: str | None
    output: str | None
    timeout: float
    heartbeat: float | None
    retry: Retries
    emits: tuple[str, ...]
    memory: int
    signals: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {"handler": self.handler, "input": self.input, "output": self.output,
                "timeout": self.timeout, "heartbeat": self.heartbeat,
                "retry": _retries_json(self.retry), "emits": list(self.emits),
                "memory": self.memory, "signals": list(self.signals)}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Task:
        return cls(
            data["handler"], data["input"], data["output"], data["timeout"], data["heartbeat"],
            _retries(data["retry"]), tuple(data["emits"]), data["memory"],
            tuple(data.get("signals", ())),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Subscription:
    handler: str | None  # None: the subscription starts ``workflow``
    events: tuple[str, ...]
    filter: Mapping[str, Any] | None
    emits: tuple[str, ...]
    retry: Retries
    timeout: float
    memory: int
    workflow: str | None
    input: Any  # template, None when absent
    execution_name: Any  # template, None when absent
    signal: str | None = None  # set: signals ``workflow``'s execution, payload ``input``
    signals: tuple[str, ...] = ()  # what the handler's ``ctx.signal`` may send

    def to_json(self) -> Json:
        return {"handler": self.handler, "events": list(self.events), "filter": self.filter,
                "emits": list(self.emits), "retry": _retries_json(self.retry),
                "timeout": self.timeout, "memory": self.memory, "workflow": self.workflow,
                "input": self.input, "execution_name": self.execution_name,
                "signal": self.signal, "signals": list(self.signals)}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subscription:
        return cls(
            data["handler"], tuple(data["events"]), data["filter"], tuple(data["emits"]),
            _retries(data["retry"]), data["timeout"], data["memory"], data["workflow"],
            data["input"], data["execution_name"], data.get("signal"),
            tuple(data.get("signals", ())),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Catch:
    errors: tuple[str, ...]
    var: str  # "as" in JSON
    steps: tuple[Step, ...]

    def to_json(self) -> Json:
        return {"errors": list(self.errors), "as": self.var, "steps": _steps_json(self.steps)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catch:
        return cls(tuple(data["errors"]), data["as"], _steps(data["steps"]))


@dataclass(frozen=True, slots=True)
class Step:
    """One step; the fields its kind does not have are ``None`` or empty (see above)."""

    kind: str
    id: str | None
    target: str | None = None
    value: Any = None
    duration: float | None = None
    timeout: float | None = None
    retry: Retries | None = None
    var: str | None = None
    concurrency: int | None = None
    error: str | None = None
    blocks: tuple[tuple[str, tuple[Step, ...]], ...] = ()
    set: tuple[tuple[str, Any], ...] = ()
    catch: tuple[Catch, ...] = ()
    compensate: tuple[Step, ...] = ()
    compensate_on_failure: bool = False
    signals: tuple[str, ...] = ()  # wait_for_signal on a list: any of these
    timeout_expr: Any = None  # a timeout template, evaluated when the step starts
    max_iterations: int | None = None  # ``while``
    filter: Json | None = None  # wait_for_event: an EventBridge detail filter

    def to_json(self) -> Json:
        data: Json = {"kind": self.kind, "id": self.id}
        optional = {
            "target": self.target, "value": self.value, "duration": self.duration,
            "timeout": self.timeout, "retry": _retries_json(self.retry) if self.retry else None,
            "var": self.var, "concurrency": self.concurrency, "error": self.error,
            "max_iterations": self.max_iterations,
        }  # fmt: skip
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.blocks:
            data["blocks"] = {name: _steps_json(steps) for name, steps in self.blocks}
        if self.set:
            # A list, not a mapping: assignments run in written order, and JSON is sorted.
            data["set"] = [[var, template] for var, template in self.set]
        if self.catch:
            data["catch"] = [c.to_json() for c in self.catch]
        if self.compensate:
            data["compensate"] = _steps_json(self.compensate)
        if self.compensate_on_failure:
            data["compensate_on_failure"] = True
        if self.signals:
            data["signals"] = list(self.signals)
        if self.timeout_expr is not None:
            data["timeout_expr"] = self.timeout_expr
        if self.filter is not None:
            data["filter"] = self.filter
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        retry = data.get("retry")
        return cls(
            data["kind"], data["id"], data.get("target"), data.get("value"),
            data.get("duration"), data.get("timeout"), _retries(retry) if retry else None,
            data.get("var"), data.get("concurrency"), data.get("error"),
            tuple((name, _steps(steps)) for name, steps in data.get("blocks", {}).items()),
            tuple((var, template) for var, template in data.get("set", [])),
            tuple(Catch.from_json(c) for c in data.get("catch", [])),
            _steps(data.get("compensate", [])),
            compensate_on_failure=data.get("compensate_on_failure", False),
            signals=tuple(data.get("signals", ())),
            timeout_expr=data.get("timeout_expr"),
            max_iterations=data.get("max_iterations"),
            filter=data.get("filter"),
        )  # fmt: skip


def _steps_json(steps: tuple[Step, ...]) -> list[Json]:
    return [s.to_json() for s in steps]


def _steps(data: list[Mapping[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step.from_json(s) for s in data)


@dataclass(frozen=True, slots=True)
class Workflow:
    version: str  # digest of the rest; "" until ``versioned``
    input: str | None
    output: str | None
    timeout: float | None
    signals: Mapping[str, str | None]  # signal -> payload model
    steps: tuple[Step, ...]
    queries: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # name -> template

    def to_json(self) -> Json:
        body = {"input": self.input, "output": self.output, "timeout": self.timeout,
                "signals": dict(self.signals), "steps": _steps_json(self.steps)}  # fmt: skip
        if self.queries:
            body["queries"] = dict(self.queries)
        return {**body, "version": self.version}

    def versioned(self) -> Workflow:
        """This workflow with ``version`` computed from the rest."""
        return dataclasses.replace(self, version=digest(_without_version(self.to_json())))

    def waited_events(self) -> frozenset[str]:
        """The events a ``wait_for_event`` step of this workflow waits for, anywhere: a
        runtime keeps those events, once published, for each running execution."""
        return frozenset(str(s.target) for s in self.event_waits())

    def event_waits(self) -> tuple[Step, ...]:
        """The ``wait_for_event`` steps of this workflow, nested ones included."""
        steps = _all_steps(self.steps)
        return tuple(s for s in steps if s.kind == "wait_for_event" and s.target)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Workflow:
        return cls(
            data["version"], data["input"], data["output"], data["timeout"],
            dict(data["signals"]), _steps(data["steps"]), dict(data.get("queries", {})),
        )  # fmt: skip


def _all_steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    for step in steps:
        yield step
        for _, block in step.blocks:
            yield from _all_steps(block)
        for catch in step.catch:
            yield from _all_steps(catch.steps)
        yield from _all_steps(step.compensate)


def _without_version(data: Json) -> Json:
    return {k: v for k, v in data.items() if k != "version"}


@dataclass(frozen=True, slots=True)
class Definition:
    """A whole service; mappings are keyed by name as written in the spec."""

    service: str
    version: str  # digest of the sections; "" until ``versioned``
    events: Mapping[str, Event]
    tasks: Mapping[str, Task]
    subscriptions: Mapping[str, Subscription]
    workflows: Mapping[str, Workflow]

    def to_json(self) -> Json:
        body = {
            "events": {k: v.to_json() for k, v in self.events.items()},
            "tasks": {k: v.to_json() for k, v in self.tasks.items()},
            "subscriptions": {k: v.to_json() for k, v in self.subscriptions.items()},
            "workflows": {k: v.to_json() for k, v in self.workflows.items()},
        }
        return {"format": FORMAT, "service": self.service, **body, "version": self.version}

    def versioned(self) -> Definition:
        """This definition with ``version`` computed from its sections (whose workflows
        carry their own versions already)."""
        body = _without_version(self.to_json())
        del body["format"], body["service"]
        return dataclasses.replace(self, version=digest(body))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Definition:
        """Raises ``ValueError`` for another format, ``KeyError`` for a missing key."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported definition format {data.get('format')!r}")
        return cls(
            data["service"], data["version"],
            {k: Event.from_json(v) for k, v in data["events"].items()},
            {k: Task.from_json(v) for k, v in data["tasks"].items()},
            {k: Subscription.from_json(v) for k, v in data["subscriptions"].items()},
            {k: Workflow.from_json(v) for k, v in data["workflows"].items()},
        )  # fmt: skip

    @classmethod
    def loads(cls, text: str) -> Definition:
        return cls.from_json(json.loads(text))


def dumps(definition: Definition) -> str:
    """The text of ``definition.json``: sorted keys, one-space indent, a final newline."""
    return json.dumps(definition.to_json(), sort_keys=True, ensure_ascii=False, indent=1) + "\n"
