"""What handlers receive as ``ctx``: ``TaskContext`` and ``SubscriptionContext``.

Each runtime (the test environment, the embedded engine, AWS) builds these with its
own ``emit``, ``signal`` and ``heartbeat`` functions, so handler code is the same
everywhere. ``ctx.emit`` and ``ctx.signal`` are plain calls, also inside ``async def``
handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Emitter = Callable[[Any, "Mapping[str, Any] | None"], None]
Signaller = Callable[[str, str, str, Any], None]  # (workflow, execution name, signal, payload)


def no_signals(workflow: str, execution_name: str, signal: str, payload: Any = None) -> None:
    """``ctx.signal`` of a context built without a signaller: every signal is undeclared."""
    from eventual.errors import UndeclaredSignal

    raise UndeclaredSignal(f"'{workflow}.{signal}' is not in this handler's signals (none)")


def no_heartbeat() -> None:
    """Heartbeats of tasks that declare no ``heartbeat`` are accepted and ignored."""


@dataclass(frozen=True, slots=True)
class EventMeta:
    """Envelope of a delivered event: ``id``, ``name`` (as written in the spec), ``source``
    (the emitting service) and ``time``."""

    id: str
    name: str
    source: str
    time: datetime


@dataclass(frozen=True, slots=True)
class TaskContext:
    execution_id: str
    attempt: int
    idempotency_key: str
    now: datetime
    emitter: Emitter
    beat: Callable[[], None] = no_heartbeat
    signaller: Signaller = no_signals

    def emit(self, event: Any, payload: Mapping[str, Any] | None = None) -> None:
        """Publishes ``event`` (a model instance, or an event name with a payload dict)."""
        self.emitter(event, payload)

    def signal(self, workflow: str, execution_name: str, signal: str, payload: Any = None) -> None:
        """Sends ``signal`` with ``payload`` to the running execution named
        ``execution_name`` of ``workflow``: ``UndeclaredSignal`` when ``workflow.signal``
        is not in this handler's ``signals``, ``ExecutionNotFound`` when no such
        execution is running, ``PayloadInvalid`` when the payload does not fit."""
        self.signaller(workflow, execution_name, signal, payload)

    def heartbeat(self) -> None:
        self.beat()


@dataclass(frozen=True, slots=True)
class SubscriptionContext:
    event_id: str
    meta: EventMeta
    now: datetime
    emitter: Emitter
    signaller: Signaller = no_signals

    def emit(self, event: Any, payload: Mapping[str, Any] | None = None) -> None:
        """Publishes ``event`` (a model instance, or an event name with a payload dict)."""
        self.emitter(event, payload)

    def signal(self, workflow: str, execution_name: str, signal: str, payload: Any = None) -> None:
        """Sends ``signal`` with ``payload`` to the running execution named
        ``execution_name`` of ``workflow``: ``UndeclaredSignal`` when ``workflow.signal``
        is not in this handler's ``signals``, ``ExecutionNotFound`` when no such
        execution is running, ``PayloadInvalid`` when the payload does not fit."""
        self.signaller(workflow, execution_name, signal, payload)
