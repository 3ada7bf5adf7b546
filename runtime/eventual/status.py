"""``ExecutionStatus``: where an execution stands."""

from __future__ import annotations

from enum import StrEnum


class ExecutionStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"

    @property
    def done(self) -> bool:
        return self is not ExecutionStatus.IN_PROGRESS
