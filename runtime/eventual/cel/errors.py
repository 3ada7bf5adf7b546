"""The exceptions of eventual.cel: one for syntax, one for evaluation.

``CelSyntaxError`` takes a short user-facing message and the 0-based character offset of
the problem in the text that was parsed; every syntax problem, whatever its cause, surfaces
as this type. ``CelEvaluationError`` is every evaluation failure; ``ExpressionLimit``, its
subclass, an evaluation stopped by the cost budget. ``error_name`` is the name a workflow
sees and catches (``ExpressionError``, ``ExpressionLimit``). ``Mismatch`` is internal: a
function's way of saying it has no overload for its arguments.
"""

from __future__ import annotations

from typing import NoReturn


class CelSyntaxError(Exception):
    """A CEL expression or template is not well formed.

    ``message`` is short and meant for users (``unexpected ')'``); ``offset`` is the 0-based
    character offset into the parsed text (``len(text)`` for problems at the very end).
    """

    message: str
    offset: int

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"


class CelEvaluationError(Exception):
    """An expression could not be evaluated; ``str(err)`` is the short message.

    ``expression`` is the source text of the failing expression when known (set by
    ``evaluate`` and by template renderers), else None.
    """

    message: str
    expression: str | None
    error_name = "ExpressionError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.expression = None


class ExpressionLimit(CelEvaluationError):
    """An evaluation went over its cost budget (see ``eventual.cel.budget``)."""

    error_name = "ExpressionLimit"


class Mismatch(Exception):
    """Raised by a function implementation for argument types it has no overload for."""


def fail(message: str) -> NoReturn:
    raise CelEvaluationError(message)


def overload(text: str) -> CelEvaluationError:
    return CelEvaluationError(f"no such overload: {text}")
