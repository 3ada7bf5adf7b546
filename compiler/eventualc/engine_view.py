"""How the engine commands show executions to people: live progress, history, tables.

Pure text building (``describe``, ``describe_history``, ``table``) plus ``Progress``,
which writes one line per interesting history entry to a stream as a worker records
them. Values are shortened to one line; nothing here reads the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from eventual.engine import ExecutionView

_WIDTH = 72


def short(value: Any, width: int = _WIDTH) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


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
    return f"{error['error']}: {error['message']}" if error.get("message") else error["error"]


def describe(entry: dict[str, Any], ids: dict[str, str]) -> str | None:
    """One line for a history entry worth showing live, else ``None``."""
    kind = entry["type"]
    label = step_label(entry, ids) if "step" in entry else ""
    if kind == "StepStarted" and entry["kind"] not in ("task", "set", "return", "if", "try"):
        return f"  · {label}: {entry['kind']}"
    if kind == "TaskScheduled":
        attempt = f" (attempt {entry['attempt']})" if entry["attempt"] > 1 else ""
        return f"  · {label}: task {entry['task']}{attempt}"
    if kind == "TaskFailed":
        return f"  ✗ {label}: attempt {entry['attempt']} failed: {_error(entry['error'])}"
    if kind == "StepCompleted" and entry.get("output") is not None:
        return f"  ✓ {label}: {short(entry['output'])}"
    if kind == "StepFailed":
        return f"  ✗ {label}: {_error(entry['error'])}"
    if kind == "SignalReceived":
        return f"  ← signal {entry['signal']}: {short(entry.get('payload'))}"
    if kind.startswith("Compensation"):
        return f"  ↺ {kind[len('Compensation') :].lower()}" + (
            f": {_error(entry['error'])}" if entry.get("error") else ""
        )
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
        lines.append(f"{entry['time']}  {entry['type']:<22} {shown}".rstrip())
    return "\n".join(lines)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; an empty table says so."""
    if not rows:
        return "(none)"
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    return "\n".join(lines)


class Progress:
    """Writes live progress of ``watched`` executions (all when ``None``) to ``stream``."""

    def __init__(self, stream: TextIO, watched: set[str] | None) -> None:
        self.stream = stream
        self.watched = watched
        self.start: datetime | None = None
        self.ids: dict[str, dict[str, str]] = {}

    def started(self, view: ExecutionView) -> None:
        self.start = view.started
        self.stream.write(f"▶ {view.id} ({view.workflow})\n")
        self.stream.flush()

    def show(self, execution: str, entries: list[dict[str, Any]]) -> None:
        if self.watched is not None and execution not in self.watched:
            return
        for entry in entries:
            line = describe(entry, self.ids.setdefault(execution, {}))
            if line is None and entry["type"] == "ExecutionStarted" and self.watched is None:
                line = f"▶ {execution}"
            elif line is not None and self.watched is None:
                line = f"{execution} {line.strip()}"
            if line is not None:
                self.stream.write(line + "\n")
            ended = entry["type"].startswith("Execution") and entry["type"] != "ExecutionStarted"
            if ended and self.watched is None:
                end = entry["type"].removeprefix("Execution").upper()
                self.stream.write(f"■ {execution} {end} {_error(entry.get('error'))}\n")
        self.stream.flush()

    def ended(self, view: ExecutionView) -> None:
        took = ""
        if view.ended is not None:
            took = f" in {(view.ended - view.started).total_seconds():.2f} s"
        error = f": {_error(view.error)}" if view.error else ""
        self.stream.write(f"■ {view.status.value}{took}{error}\n")
        self.stream.flush()
