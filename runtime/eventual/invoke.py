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
- ``start_request``: what a declarative subscription starts for an event.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventual.context import EventMeta, SubscriptionContext, TaskContext
from eventual.errors import VALIDATION_ERROR, PayloadInvalid, UndeclaredEmit, error_name
from eventual.service import Service

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
        """``value`` checked against ``model``, as JSON-like data."""
        if model is None:
            return plain(value)
        from pydantic import ValidationError

        adapter = self.adapter(model)
        try:
            return adapter.dump_python(
                adapter.validate_python(plain(value)), mode="json", by_alias=True
            )
        except ValidationError as exc:
            raise PayloadInvalid(f"{model}: {_first_error(exc)}") from exc

    def natural(self, model: str | None, value: Any) -> Any:
        """JSON-like ``value`` as a handler receives it: a model, or a plain value."""
        if model is None:
            return value
        return self.adapter(model).validate_python(value)

    def payload(self, name: str, payload: Any) -> Any:
        """An event's payload checked against its schema (other services' events as given)."""
        event = self.service.events.get(name)
        if event is None and "." not in name:
            raise ValueError(f"{self.service.name} has no event {name!r}")
        return self.validate(event["model"], payload) if event else plain(payload)


@dataclass(frozen=True, slots=True)
class Outcome:
    output: Any = None
    error: dict[str, str] | None = None


def plain(value: Any) -> Any:
    """Models and other values as JSON-like data."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", by_alias=True) if callable(dump) else value


def event_payload(event: Any, payload: Mapping[str, Any] | None) -> tuple[str, Any]:
    """``ctx.emit``'s two forms as ``(name, payload)``: a model, or a name and a dict."""
    if isinstance(event, str):
        return event, payload
    return type(event).__name__, event


def emitter(declared: list[str], publish: Publish) -> Callable[[Any, Any], None]:
    """``ctx.emit`` for a handler that may emit ``declared``."""

    def emit(event: Any, payload: Mapping[str, Any] | None = None) -> None:
        name, value = event_payload(event, payload)
        if name not in declared:
            raise UndeclaredEmit(
                f"{name!r} is not in this handler's emits ({', '.join(declared) or 'none'})"
            )
        publish(name, value)

    return emit


def awaited(result: Any) -> Any:
    return asyncio.run(result) if inspect.iscoroutine(result) else result


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
        natural = values.natural(spec["input"], value)
        if calls is not None:
            calls.append(natural)
        handler = function or values.service.handler(name)
        return Outcome(output=values.validate(spec["output"], awaited(handler(natural, ctx))))
    except BaseException as exc:  # a handler's failure is the task's error, by contract,
        return Outcome(error=failure(exc))  # sys.exit() and KeyboardInterrupt included


def run_subscription(
    values: Values, name: str, event: str, payload: Any, ctx: SubscriptionContext
) -> dict[str, str] | None:
    """Runs handler subscription ``name`` on one event; its error, or ``None``."""
    try:
        model = values.service.events.get(event, {}).get("model")
        awaited(values.service.handler(name)(values.natural(model, payload), ctx))
    except BaseException as exc:  # a handler's failure (sys.exit() too) is retried, then
        return failure(exc)  # dead-lettered
    return None


def subscribers(service: Service, source: str, name: str, payload: Any) -> list[str]:
    """The subscriptions of ``service`` that event ``name`` from service ``source`` reaches."""
    own = name if source == service.name else None
    qualified = f"{source}.{name}"
    reached = []
    for sub_name, sub in service.subscriptions.items():
        events = sub["events"]
        if (own in events or qualified in events) and (
            not sub["filter"] or _matches(sub["filter"], payload)
        ):
            reached.append(sub_name)
    return reached


def split_event(service: Service, name: str) -> tuple[str, str]:
    """``(source, name)`` of an event named as in ``service``'s spec."""
    source, _, bare = name.rpartition(".")
    return (source, bare) if source else (service.name, name)


def meta_scope(meta: EventMeta) -> dict[str, Any]:
    return {"id": meta.id, "name": meta.name, "source": meta.source, "time": meta.time}


def start_request(
    sub: Mapping[str, Any], payload: Any, meta: EventMeta
) -> tuple[str, Any, str | None]:
    """``(workflow, input, execution name)`` a declarative subscription starts; raises
    ``CelEvaluationError`` when a template fails."""
    from eventual.cel.render import compile_template

    scope = {"event": payload, "meta": meta_scope(meta)}
    value = compile_template(sub["input"])(scope)
    name = compile_template(sub["execution_name"])(scope) if sub["execution_name"] else None
    return sub["workflow"], value, None if name is None else str(name)


def _matches(pattern: Mapping[str, Any], payload: Any) -> bool:
    from eventual.patterns import matches  # only services with filters need it

    return matches(pattern, payload)


def _first_error(exc: Any) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else str(first["msg"])
