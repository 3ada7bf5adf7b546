"""How the engine commands show executions to people: live progress, history, tables.

Pure text building (``describe``, ``describe_history``, ``table``) plus ``Progress``,
which writes one line per interesting history entry to a stream as a worker records
them. Values are shortened to one line; nothing here reads the store: what progress
needs to know of an execution (its name, its workflow's steps, its signals) comes from
a ``Lookup`` the caller gives.

Text that comes from users (names, payloads, error messages) never reaches the
terminal raw: ``printable`` escapes control characters (ANSI escape sequences, bidi
overrides, newlines) in every line and table cell built here.
"""

from __future__ import annotations

import json
import shlex
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from eventualc.kinds import KINDS

if TYPE_CHECKING:
    from eventual.engine import ExecutionView
    from eventual.workflow import CompiledWorkflow

_WIDTH = 72


def printable(text: str) -> str:
    """``text`` with control and format characters escaped (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(_escape(c) if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                   for c in text)  # fmt: skip


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def short(value: Any, width: int = _WIDTH) -> str:
    text = printable(json.dumps(value, default=str, ensure_ascii=False))
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Place:
    """What progress lines need to know of an execution besides its history."""

    name: str  # the execution's name (its id when it has none)
    workflow: CompiledWorkflow  # the definition it runs
    db: str | None = None  # the --db the commands it suggests need


Lookup = Callable[[str], "Place | None"]


def signal_command(place: Place, signal: str) -> str:
    """The exact command that sends ``signal`` to the execution."""
    parts = ["eventualc", "signal", place.name, signal]
    if place.workflow.signals.get(signal) is not None:  # the signal has a payload
        parts += ["--payload", "JSON"]
    if place.db:
        parts += ["--db", place.db]
    return printable(shlex.join(parts))


def step_label(entry: dict[str, Any], ids: dict[str, str] | None = None) -> str:
    """A step as people read it: its id, else its place (``steps[2].then[0]``). ``ids``
    remembers the ids seen in ``StepStarted`` for the entries that do not carry one."""
    place = json.dumps(entry.get("step"))
    if entry.get("id"):
        if ids is not None:
            ids[place] = str(entry["id"])
        return str(entry["id"])
    if ids is not None and place in ids:
        return ids[place]
    label = ""
    for part in entry.get("step", []):
        label += f"[{part}]" if isinstance(part, int) else ("." if label else "") + str(part)
    return label or "?"


def _error(error: dict[str, str] | None) -> str:
    if not error:
        return ""
    text = f"{error['error']}: {error['message']}" if error.get("message") else error["error"]
    return printable(text)


def describe(entry: dict[str, Any], ids: dict[str, str], place: Place | None = None) -> str | None:
    """One line for a history entry worth showing live, else ``None``."""
    kind = entry["type"]
    label = printable(step_label(entry, ids)) if "step" in entry else ""
    if kind == "StepStarted":
        return _started(entry, label, place)
    if kind == "TaskScheduled":
        attempt = f" (attempt {entry['attempt']})" if entry["attempt"] > 1 else ""
        return f"  · {label}: task {entry['task']}{attempt}"
    if kind == "TaskFailed":
        return f"  ✗ {label}: attempt {entry['attempt']} failed: {_error(entry['error'])}"
    if kind == "StepCompleted":
        output = entry.get("output")
        return f"  ✓ {label}" + ("" if output is None else f": {short(output)}")
    if kind == "StepFailed":
        return f"  ✗ {label}: {_error(entry['error'])}"
    if kind == "SignalReceived":
        payload = entry.get("payload")
        return f"  ← signal {entry['signal']}" + ("" if payload is None else f": {short(payload)}")
    if kind.startswith("Compensation"):
        return f"  ↺ {kind[len('Compensation') :].lower()}" + (
            f": {_error(entry['error'])}" if entry.get("error") else ""
        )
    return None


def _started(entry: dict[str, Any], label: str, place: Place | None) -> str | None:
    """A step's start line: what it waits for, or ``None`` where the next line says it."""
    kind = entry["kind"]
    if kind in KINDS and not KINDS[kind].start_shown:  # the next line says it
        return None
    target = _target(entry, place)
    if kind == "wait_for_signal" and place is not None and target:
        signals = target if isinstance(target, list) else [target]
        commands = " or ".join(f"`{signal_command(place, s)}`" for s in signals)
        return f"  · {label}: waits for signal {' or '.join(signals)}: {commands}"
    shown = f" {printable(str(target))}" if isinstance(target, str) else ""
    return f"  · {label}: {kind}{shown}"


def _target(entry: dict[str, Any], place: Place | None) -> Any:
    """What the step names (event, signal, task, workflow), from the workflow definition."""
    if place is None:
        return None
    try:
        return place.workflow.step(tuple(entry["step"])).target
    except (KeyError, IndexError, ValueError, TypeError):  # a definition that changed since
        return None


def describe_history(entries: Sequence[dict[str, Any]]) -> str:
    """Every history entry on its own line: time, type, the details that matter."""
    lines = []
    ids: dict[str, str] = {}
    for entry in entries:
        details = {k: v for k, v in entry.items() if k not in ("type", "time") and v is not None}
        if "step" in details:
            details["step"] = step_label(entry, ids)
            details.pop("id", None)
        shown = "  ".join(f"{k}={short(v, 60)}" for k, v in details.items())
        lines.append(printable(f"{entry['time']}  {entry['type']:<22} {shown}".rstrip()))
    return "\n".join(lines)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, cells escaped; an empty table says so."""
    if not rows:
        return "(none)"
    rows = [[printable(str(cell)) for cell in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    return "\n".join(lines)


class Progress:
    """Writes live progress of ``watched`` executions (all when ``None``) to ``stream``."""

    def __init__(
        self, stream: TextIO, watched: set[str] | None, lookup: Lookup | None = None
    ) -> None:
        self.stream = stream
        self.watched = watched
        self.lookup = lookup
        self.start: datetime | None = None
        self.ids: dict[str, dict[str, str]] = {}
        self.places: dict[str, Place | None] = {}

    def started(self, view: ExecutionView) -> None:
        self.start = view.started
        named = f", named {printable(view.name)}" if view.name != view.id else ""
        self.stream.write(f"▶ {view.id} ({view.workflow}{named})\n")
        self.stream.flush()

    def _place(self, execution: str) -> Place | None:
        if execution not in self.places:
            self.places[execution] = self.lookup(execution) if self.lookup else None
        return self.places[execution]

    def show(self, execution: str, entries: list[dict[str, Any]]) -> None:
        if self.watched is not None and execution not in self.watched:
            return
        for entry in entries:
            line = describe(entry, self.ids.setdefault(execution, {}), self._place(execution))
            if line is None and entry["type"] == "ExecutionStarted" and self.watched is None:
                line = f"▶ {execution}"
            elif line is not None and self.watched is None:
                line = f"{execution} {line.strip()}"
            if line is not None:
                self.stream.write(line + "\n")
            ended = entry["type"].startswith("Execution") and entry["type"] != "ExecutionStarted"
            if ended and self.watched is None:
                end = entry["type"].removeprefix("Execution").upper()
                line = f"■ {execution} {end} {_error(entry.get('error'))}"
                self.stream.write(line.rstrip() + "\n")
        self.stream.flush()

    def ended(self, view: ExecutionView) -> None:
        took = ""
        if view.ended is not None:
            took = f" in {(view.ended - view.started).total_seconds():.2f} s"
        error = f": {_error(view.error)}" if view.error else ""
        self.stream.write(f"■ {view.status.value}{took}{error}\n")
        self.stream.flush()
