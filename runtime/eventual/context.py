"""What handlers receive as ``ctx``: ``TaskContext`` and ``SubscriptionContext``.

Each runtime (the test environment, the embedded engine, AWS) builds these with its
own ``emit`` and ``heartbeat`` functions, so handler code is the same everywhere.
``ctx.emit`` is a plain call, also inside ``async def`` handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Emitter = Callable[[Any, "Mapping[str, Any] | None"], None]


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

    def emit(self, event: Any, payload: Mapping[str, Any] | None = None) -> None:
        """Publishes ``event`` (a model instance, or an event name with a payload dict)."""
        self.emitter(event, payload)

    def heartbeat(self) -> None:
        self.beat()


@dataclass(frozen=True, slots=True)
class SubscriptionContext:
    event_id: str
    meta: EventMeta
    now: datetime
    emitter: Emitter

    def emit(self, event: Any, payload: Mapping[str, Any] | None = None) -> None:
        """Publishes ``event`` (a model instance, or an event name with a payload dict)."""
        self.emitter(event, payload)
