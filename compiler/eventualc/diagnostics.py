"""Diagnostics: the values every stage returns instead of raising.

A ``Diagnostic`` names a stable code, a severity, a ``Span`` (file, 1-based line and
column, and the column where the offending text ends on that line), a one-line
message and optional notes. ``render_text`` and ``render_json`` are the only
formatters; the CLI is the only caller that prints them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Span:
    """Where a key or value starts in a file; ``end_column`` is exclusive, same line."""

    file: str
    line: int
    column: int
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    span: Span | None
    message: str
    notes: tuple[Note, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)


def error(code: str, span: Span | None, message: str, *notes: Note) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, span, message, notes)


def warning(code: str, span: Span | None, message: str, *notes: Note) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, span, message, notes)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        folded = {option.lower(): option for option in options}
        if name.lower() in folded:
            close = [folded[name.lower()]]
    return f"; did you mean '{close[0]}'?" if close else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``; ``many`` for irregular plurals (``1 entry``, ``2 entries``)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=Diagnostic.sort_key)


def render_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> str:
    """Renders each diagnostic as its first line, a caret snippet, then its notes."""
    blocks = [_render_one(d, sources) for d in diagnostics]
    return "".join(blocks)


def _render_one(diagnostic: Diagnostic, sources: Mapping[str, str]) -> str:
    where = f"{diagnostic.span}: " if diagnostic.span else "eventualc: "
    lines = [f"{where}{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"]
    if diagnostic.span is not None:
        lines.extend(_snippet(diagnostic.span, sources))
    for note in diagnostic.notes:
        at = f"{note.span}: " if note.span else ""
        lines.append(f"    = note: {at}{note.message}")
    return "\n".join(lines) + "\n"


def _snippet(span: Span, sources: Mapping[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None:
        return []
    source_lines = text.splitlines()
    if not 1 <= span.line <= len(source_lines):
        return []
    line = source_lines[span.line - 1].replace("\t", " ").replace("\0", " ")
    gutter = " " * len(str(span.line))
    width = max(1, min(span.end_column, len(line) + 1) - span.column) if span.end_column else 1
    caret = " " * (span.column - 1) + "^" * width
    return [f"    {gutter} |", f"    {span.line} | {line}", f"    {gutter} | {caret}"]


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(
        [
            {
                "file": d.span.file if d.span else None,
                "line": d.span.line if d.span else None,
                "column": d.span.column if d.span else None,
                "severity": d.severity.value,
                "code": d.code,
                "message": d.message,
            }
            for d in diagnostics
        ],
        indent=2,
    )
