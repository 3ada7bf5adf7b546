"""Errors users raise and see: ``TaskError``, ``UndeclaredEmit``, ``UndeclaredSignal``,
``ExecutionNotFound`` and the built-in names."""

from __future__ import annotations

TIMEOUT = "Timeout"
VALIDATION_ERROR = "ValidationError"
CANCELLED = "Cancelled"
LOOP_LIMIT = "LoopLimit"  # a while loop still going after its max_iterations
ANY_ERROR = "*"


class TaskError(Exception):
    """Fails a task (or subscription) with an explicit error name and message."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.message = message

    def __str__(self) -> str:
        return self.message


class PayloadInvalid(Exception):
    """A value does not fit its model (raised by validation, becomes ``ValidationError``)."""


class UndeclaredEmit(Exception):
    """A handler emitted an event that is not in its ``emits``."""


class UndeclaredSignal(Exception):
    """A handler sent a signal that is not in its ``signals``."""


class ExecutionNotFound(Exception):
    """A signal named an execution that is not running (none of that name has started,
    or it has ended)."""


def error_name(exc: BaseException) -> str:
    """The error name an exception becomes: ``TaskError.name`` or its class name."""
    return exc.name if isinstance(exc, TaskError) else type(exc).__name__


def names_error(names: tuple[str, ...], error: str) -> bool:
    """Whether a ``catch``'s or ``retry``'s list of error names covers ``error``:
    the name itself, or ``"*"`` for any error."""
    return ANY_ERROR in names or error in names
