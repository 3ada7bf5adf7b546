"""The messages of the deployed runtime, as effects: JSON data naming where they go.

An effect is ``{"kind": "send", "to": "orchestrator"|"inbox"|"task", "body": {...}}``
(plus ``group``/``dedup`` for the FIFO queue, ``delay`` for the inbox, ``task`` for a
task queue), ``{"kind": "schedule", "name", "due", "body"}`` (a one-time EventBridge
Scheduler schedule that puts ``body`` in the inbox at ``due``), ``{"kind":
"unschedule", "name"}`` (that schedule deleted: its wait ended), ``{"kind": "publish",
"name", "payload"}`` or ``{"kind": "history", "execution", "index", "entries"}``.
Effects are data so an execution's record can keep the ones its last write must
cause (its outbox) and carry them out again.

Orchestrator messages (FIFO, one message group per execution) carry their
deduplication id as ``id`` and their execution as ``execution``; the ids are
deterministic for one logical message (``<execution>/start``, ``<execution>/<handle>/
<attempt>`` for a task's answer, ``<execution>/timer/<handle>``), so a message sent
twice is one message to SQS within its five minutes, and after that one the
interpreter ignores (its handle is gone). A timer due within 15 minutes goes to the
inbox with an SQS delay; a later one becomes a one-time schedule, named after its
execution and handle, that puts it in the inbox when due. Either way the inbox sends
it to the execution's group only while the execution still waits for that handle;
the write that ends a wait more than 15 minutes before it is due also deletes its
schedule (``unschedules``), so that it never fires.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Container, Mapping
from datetime import datetime
from typing import Any

MAX_DELAY = 900  # seconds: the longest SQS delay
_MAX_ID = 128  # SQS: message group and deduplication ids


def dedup_id(*parts: object) -> str:
    text = "/".join(str(part) for part in parts)
    return text if len(text) <= _MAX_ID else hashlib.sha256(text.encode()).hexdigest()


def child_id(parent: str, handle: int) -> str:
    """The id of the child execution started for ``handle`` (the same every time)."""
    text = f"{parent}-{handle}"
    return text if len(text) <= 96 else "child-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def to_orchestrator(execution: str, op: str, dedup: str, **fields: Any) -> dict[str, Any]:
    body = {"op": op, "id": dedup, "execution": execution, **fields}
    return {"kind": "send", "to": "orchestrator", "group": execution, "dedup": dedup, "body": body}


def start(
    execution: str, workflow: str, input: Any, name: str | None,
    parent: dict[str, Any] | None = None, waits: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A start; ``waits``: the execution's markers (``waits``), which the sender creates
    right after sending it (absent: the orchestrator creates them when it applies it)."""
    dedup = dedup_id(execution, "start")
    more = {} if waits is None else {"waits": waits}
    return to_orchestrator(
        execution, "start", dedup, workflow=workflow, input=input, name=name or execution,
        parent=parent, **more,
    )  # fmt: skip


def timer(execution: str, handle: int, due: datetime, now: datetime) -> dict[str, Any]:
    """Fires at ``due``: straight to the execution's group when due already, through
    the inbox with an SQS delay when due within ``MAX_DELAY``, else by a schedule."""
    seconds = math.ceil((due - now).total_seconds())
    if seconds <= 0:
        return to_orchestrator(
            execution, "timer", dedup_id(execution, "timer", handle), handle=handle
        )
    body = {"kind": "timer", "execution": execution, "handle": handle, "due": due}
    if seconds <= MAX_DELAY:
        return {"kind": "send", "to": "inbox", "delay": seconds, "body": body}
    return {"kind": "schedule", "name": schedule_name(execution, handle), "due": due, "body": body}


def schedule_name(execution: str, handle: int) -> str:
    """The name of a timer's schedule: the same for every try, within Scheduler's 64
    characters of ``[0-9a-zA-Z-_.]``."""
    digest = hashlib.sha256(f"{execution}/{handle}".encode()).hexdigest()[:40]
    return f"timer-{digest}"


def unschedules(
    execution: str, waited: Mapping[int, datetime], waiting: Container[int], now: datetime
) -> list[dict[str, Any]]:
    """The schedules to delete after a write: the timers of ``execution`` that were
    pending (``waited``, due by handle) and are no longer (not in ``waiting``) while
    still more than ``MAX_DELAY`` away. Those were made schedules (``timer``); one
    that ended closer to its due may be a delayed message, and costs at most one
    dropped firing."""
    return [
        {"kind": "unschedule", "name": schedule_name(execution, handle)}
        for handle, due in waited.items()
        if handle not in waiting and (due - now).total_seconds() > MAX_DELAY
    ]


ANSWERS = frozenset({"task", "heartbeat"})  # what a task may send, to the results queue


def token(secret: str, execution: str, handle: int, attempt: int) -> str:
    """The proof that an answer is for the run the orchestrator issued: a MAC of the
    run under the execution's secret, which only the orchestrator reads."""
    text = f"{execution}/{handle}/{attempt}".encode()
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()[:32]


def genuine(secret: str, body: dict[str, Any]) -> bool:
    """Whether answer ``body`` carries the token of the run it names."""
    expected = token(secret, body["execution"], body["handle"], body.get("attempt", 0))
    return hmac.compare_digest(str(body.get("token", "")), expected)


def task(
    task_name: str, execution: str, handle: int, attempt: int, input: Any, secret: str
) -> dict[str, Any]:
    body = {"task": task_name, "execution": execution, "handle": handle, "attempt": attempt,
            "input": input, "token": token(secret, execution, handle, attempt)}  # fmt: skip
    return {"kind": "send", "to": "task", "task": task_name, "body": body}


def answer(execution: str, op: str, dedup: str, **fields: Any) -> dict[str, Any]:
    """A task's message to the orchestrator, through the results queue."""
    letter = to_orchestrator(execution, op, dedup, **fields)
    return {**letter, "to": "results"}


def task_outcome(run: dict[str, Any], output: Any, error: dict[str, str] | None) -> dict[str, Any]:
    """The answer to task message ``run``."""
    execution, handle, attempt = run["execution"], run["handle"], run["attempt"]
    return answer(
        execution, "task", dedup_id(execution, handle, attempt), handle=handle, attempt=attempt,
        token=run.get("token"), output=output, error=error,
    )  # fmt: skip


def publish(name: str, payload: Any) -> dict[str, Any]:
    return {"kind": "publish", "name": name, "payload": payload}


def history(execution: str, index: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "history", "execution": execution, "index": index, "entries": entries}
