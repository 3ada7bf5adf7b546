"""What the runtimes answer about executions and dead letters, the same everywhere:
``ExecutionView`` and ``DeadLetterView`` (frozen; ``as_json`` for the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventual.status import ExecutionStatus


@dataclass(frozen=True, slots=True)
class ExecutionView:
    id: str
    name: str
    service: str
    workflow: str
    status: ExecutionStatus
    result: Any
    error: dict[str, str] | None
    started: datetime
    ended: datetime | None
    parent: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "service": self.service,
            "workflow": self.workflow, "status": self.status.value, "result": self.result,
            "error": self.error, "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None, "parent": self.parent,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    id: int | str  # the store's number; on AWS, the SQS message id
    service: str
    subscription: str
    event: str
    event_id: str
    payload: Any
    error: dict[str, str]
    attempts: int
    failed: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "service": self.service, "subscription": self.subscription,
            "event": self.event, "event_id": self.event_id, "payload": self.payload,
            "error": self.error, "attempts": self.attempts, "failed": self.failed.isoformat(),
        }  # fmt: skip
