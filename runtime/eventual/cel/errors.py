"""The one exception the CEL parser and template parser raise.

Takes a short user-facing message and the 0-based character offset of the problem in the
text that was parsed. Every syntax problem, whatever its cause, surfaces as this type, so
callers need a single ``except`` clause.
"""

from __future__ import annotations


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
