"""Calling user code the same way in every runtime: values, handlers, routing.

The test environment, the embedded engine and the AWS adapter all use these, so a
handler sees the same arguments, its failures get the same error names and an event
reaches the same subscriptions wherever the service runs.

- ``Values``: JSON values checked against the service's models by name (``validate``,
  raising ``PayloadInvalid``), and turned into what handlers receive (``natural``).
- ``run_task`` / ``run_subscription``: call a handler (sync or async) and turn its
  outcome into JSON output or an error ``{"error", "message"}``; never raise for a
  handler's failure, ``SystemExit`` and ``KeyboardInterrupt`` raised by it included.
- ``subscribers``: which subscriptions of a service an event reaches (events and filter).
- ``start_request`` / ``signal_request``: what a declarative subscription starts, or
  signals, for an event.
- ``task_context`` / ``subscription_context``: the ``ctx`` handlers receive, with
  ``ctx.emit`` and ``ctx.signal`` limited to what the spec declares.
"""

from __future__ import annotations

import inspect
import os
import time
import weakref
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventual.context import (
    EventMeta,
    Signaller,
    SubscriptionContext,
    TaskContext,
    no_heartbeat,
    no_signals,
)  # fmt: skip
from eventual.definition import Subscription, Task
from eventual.errors import (
    VALIDATION_ERROR,
    PayloadInvalid,
    UndeclaredEmit,
    UndeclaredSignal,
    error_name,
)  # fmt: skip
from eventual.service import Service
from eventual.state import json_text

Publish = Callable[[str, Any], None]  # (event name as written in the spec, payload)


class Values:
    """Validation and conversion of values by model name, adapters built once each."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._adapters: dict[str, Any] = {}

    def adapter(self, model: str) -> Any:
        if model not in self._adapters:
            from pydantic import TypeAdapter

            self._adapters[model] = TypeAdapter(self.service.model(model))
        return self._adapters[model]

    def validate(self, model: str | None, value: Any) -> Any:
        """``value`` checked against ``model``, as JSON-like data: the value as given,
        never re-dumped, so an absent optional field stays absent (EventBridge and
        every filter see exactly what was published). Validation is pydantic's strict
        JSON mode (no ``"yes"`` for ``true``), after integral floats are read as ints
        (JSON Schema's ``integer`` admits ``5.0``); NaN and infinities are not JSON."""
        try:
            value = plain(value)
        except RecursionError as exc:
            raise PayloadInvalid(f"{model or 'value'}: not JSON (it contains itself)") from exc
        if model is None:
            _json_text(value, model)
            return value
        from pydantic import ValidationError

        try:
            self.adapter(model).validate_json(_json_text(_integral(value), model), strict=True)
        except ValidationError as exc:
            raise PayloadInvalid(f"{model}: {_problems(exc)}") from exc
        return value

    def start_input(self, workflow: str, value: Any) -> Any:
        """The input of an execution of ``workflow`` a request starts, checked as every
        runtime's ``start`` checks it: ``PayloadInvalid`` ``input of <workflow>: ...``."""
        try:
            return self.validate(self.service.workflows[workflow].input, value)
        except PayloadInvalid as exc:
            raise PayloadInvalid(f"input of {workflow}: {exc}") from exc

    def natural(self, model: str | None, value: Any) -> Any:
        """JSON-like ``value`` as a handler receives it: a model, or a plain value."""
        if model is None:
            return value
        return self.adapter(model).validate_python(value)

    def payload(self, name: str, payload: Any) -> Any:
        """An event's payload checked against its schema; an event of another service
        against that service's model when its package is built beside this one."""
        return self.validate(self.event_model(name), payload)

    def event_model(self, name: str) -> str | None:
        """The model name of event ``name`` as written in the spec (``shop.OrderPlaced``
        for another service's, resolved in its sibling package), or ``None`` when that
        package is not there (its payload is then taken as given)."""
        event = self.service.events.get(name)
        if event is not None:
            return event.model
        if "." not in name:
            raise ValueError(f"{self.service.name} has no event {name!r}")
        return name if self.service.has_model(name) else None


@dataclass(frozen=True, slots=True)
class Outcome:
    output: Any = None
    error: dict[str, str] | None = None


def plain(value: Any) -> Any:
    """Models (and containers of them) as JSON-like data: the fields that were set,
    by alias, so a model built without an optional field has no such key."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value)


def event_payload(event: Any, payload: Mapping[str, Any] | None) -> tuple[str, Any]:
    """``ctx.emit``'s two forms as ``(name, payload)``: a model, or a name and a dict."""
    if isinstance(event, str):
        return event, payload
    return type(event).__name__, event


def emitter(declared: Collection[str], publish: Publish) -> Callable[[Any, Any], None]:
    """``ctx.emit`` for a handler that may emit ``declared``."""

    def emit(event: Any, payload: Mapping[str, Any] | None = None) -> None:
        name, value = event_payload(event, payload)
        if name not in declared:
            raise UndeclaredEmit(
                f"{name!r} is not in this handler's emits ({', '.join(declared) or 'none'})"
            )
        publish(name, value)

    return emit


def signaller(declared: Collection[str], send: Signaller | None) -> Signaller:
    """``ctx.signal`` for a handler that may send ``declared`` (``workflow.signal``):
    an undeclared one raises ``UndeclaredSignal``; ``send`` (the runtime's) raises
    ``ExecutionNotFound`` when no execution of that name is running."""
    if send is None:
        return no_signals
    sender: Signaller = send

    def signal(workflow: str, execution_name: str, name: str, payload: Any = None) -> None:
        if f"{workflow}.{name}" not in declared:
            raise UndeclaredSignal(
                f"'{workflow}.{name}' is not in this handler's signals"
                f" ({', '.join(declared) or 'none'})"
            )
        sender(workflow, str(execution_name), name, plain(payload))

    return signal


def task_context(
    spec: Task, execution: str, handle: int, attempt: int, now: datetime,
    publish: Publish, beat: Callable[[], None], send: Signaller | None = None,
) -> TaskContext:  # fmt: skip
    """The ``ctx`` of attempt ``attempt`` of task run ``handle`` of ``execution``, for a
    task whose definition entry is ``spec``: its idempotency key
    ``<execution>/<handle>/<attempt>`` is the same in every runtime and on every
    redelivery; ``beat`` is called only when the task declares a ``heartbeat``;
    ``send`` carries out the signals it declares."""
    return TaskContext(
        execution_id=execution, attempt=attempt,
        idempotency_key=f"{execution}/{handle}/{attempt}", now=now,
        emitter=emitter(spec.emits, publish),
        beat=beat if spec.heartbeat else no_heartbeat,
        signaller=signaller(spec.signals, send),
    )  # fmt: skip


def subscription_context(
    spec: Subscription, event: EventMeta, now: datetime, publish: Publish,
    send: Signaller | None = None,
) -> SubscriptionContext:  # fmt: skip
    """The ``ctx`` of a handler subscription whose definition entry is ``spec``, for one
    delivery of ``event``; ``send`` carries out the signals it declares."""
    return SubscriptionContext(
        event.id, event, now, emitter(spec.emits, publish), signaller(spec.signals, send)
    )


def awaited(result: Any) -> Any:
    if not inspect.iscoroutine(result):
        return result
    import asyncio  # only for async handlers: it adds to every cold start otherwise

    return asyncio.run(result)


def failure(exc: BaseException) -> dict[str, str]:
    """A handler's exception as an error value, by contract: its name and message."""
    if isinstance(exc, PayloadInvalid):
        return {"error": VALIDATION_ERROR, "message": str(exc)}
    if not isinstance(exc, Exception):  # SystemExit, KeyboardInterrupt: say what happened
        detail = f": {exc}" if str(exc) else ""
        return {
            "error": error_name(exc),
            "message": f"the handler raised {error_name(exc)}{detail}",
        }
    return {"error": error_name(exc), "message": str(exc)}


def run_task(
    values: Values, name: str, value: Any, ctx: TaskContext,
    function: Callable[..., Any] | None = None, calls: list[Any] | None = None,
) -> Outcome:  # fmt: skip
    """Runs task ``name`` (its handler, or ``function``) on JSON ``value``; ``calls``
    collects the natural input when given."""
    spec = values.service.tasks[name]
    try:
        natural = values.natural(spec.input, value)
        if calls is not None:
            calls.append(natural)
        handler = function or values.service.handler(name)
        return Outcome(output=values.validate(spec.output, awaited(handler(natural, ctx))))
    except BaseException as exc:  # a handler's failure is the task's error, by contract,
        return Outcome(error=failure(exc))  # sys.exit() and KeyboardInterrupt included


def run_subscription(
    values: Values, name: str, event: str, payload: Any, ctx: SubscriptionContext
) -> dict[str, str] | None:
    """Runs handler subscription ``name`` on one event; its error, or ``None``."""
    try:
        model = values.event_model(event)
        awaited(values.service.handler(name)(values.natural(model, payload), ctx))
    except BaseException as exc:  # a handler's failure (sys.exit() too) is retried, then
        return failure(exc)  # dead-lettered
    return None


def subscribers(service: Service, source: str, name: str, payload: Any) -> list[str]:
    """The subscriptions of ``service`` that event ``name`` from service ``source`` reaches.

    Filters are matched with ``eventual.patterns.compile_pattern``, compiled once per
    subscription of a loaded service (see ``_matches``).
    """
    own = name if source == service.name else None
    qualified = f"{source}.{name}"
    reached = []
    for sub_name, sub in service.subscriptions.items():
        events = sub.events
        if (own in events or qualified in events) and (
            not sub.filter or _matches(service, sub_name, sub.filter, payload)
        ):
            reached.append(sub_name)
    return reached


def split_event(service: Service, name: str) -> tuple[str, str]:
    """``(source, name)`` of an event named as in ``service``'s spec."""
    source, _, bare = name.rpartition(".")
    return (source, bare) if source else (service.name, name)


def meta_scope(meta: EventMeta) -> dict[str, Any]:
    return {"id": meta.id, "name": meta.name, "source": meta.source, "time": meta.time}


def new_execution_id(workflow: str) -> str:
    """A new execution's id: ``<workflow>-`` and 20 hex digits, the second it starts
    (8) then random ones (12). Ids of one workflow sort by start, so the rows a new
    execution adds to an index keyed by id go to its end, beside those of the others
    running, not to a page of their own: a store of many executions writes no more
    pages a step than a new one."""
    return f"{workflow}-{int(time.time()):08x}{os.urandom(6).hex()}"


def start_request(sub: Subscription, payload: Any, meta: EventMeta) -> tuple[str, Any, str | None]:
    """``(workflow, input, execution name)`` a declarative subscription starts; raises
    ``CelEvaluationError`` when a template fails."""
    from eventual.cel.render import compile_template

    scope = {"event": payload, "meta": meta_scope(meta)}
    if sub.workflow is None:
        raise ValueError("a subscription with a handler starts no workflow")
    value = compile_template(sub.input)(scope)
    name = compile_template(sub.execution_name)(scope) if sub.execution_name else None
    return sub.workflow, value, None if name is None else str(name)


def signal_request(sub: Subscription, payload: Any, meta: EventMeta) -> tuple[str, str, str, Any]:
    """``(workflow, execution name, signal, payload)`` a declarative ``signal:``
    subscription sends for an event; raises ``CelEvaluationError`` when a template fails."""
    from eventual.cel.render import compile_template

    if sub.signal is None or sub.workflow is None:
        raise ValueError("this subscription sends no signal")
    scope = {"event": payload, "meta": meta_scope(meta)}
    name = compile_template(sub.execution_name)(scope)
    return sub.workflow, str(name), sub.signal, compile_template(sub.input)(scope)


_FILTERS: weakref.WeakKeyDictionary[Service, dict[str, Callable[[Any], bool]]] = (
    weakref.WeakKeyDictionary()
)


def _matches(service: Service, subscription: str, pattern: Mapping[str, Any], payload: Any) -> bool:
    """Whether ``payload`` passes ``pattern``, the filter of ``subscription``, compiled on
    first use and kept as long as ``service`` lives (a service's definition does not change)."""
    compiled = _FILTERS.setdefault(service, {})
    match = compiled.get(subscription)
    if match is None:
        from eventual.patterns import compile_pattern  # only services with filters need it

        match = compiled[subscription] = compile_pattern(pattern)
    return match(payload)


def _json_text(value: Any, model: str | None) -> str:
    try:
        return json_text(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadInvalid(f"{model or 'value'}: not JSON ({exc})") from exc


def _integral(value: Any) -> Any:
    """``value`` with floats that are whole numbers as ints, as JSON Schema reads them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def _problems(exc: Any) -> str:
    """Every problem pydantic found, each with where it is: ``a.b: message; c: ...``."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ()))
        problems.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(problems)
