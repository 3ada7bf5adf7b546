"""The interpreter's port: the events a runtime gives it, the commands it gives back,
and what a runtime must provide to carry those commands out.

Events (``Event``) and commands (``Command``) are frozen dataclasses, each a union
that code matches exhaustively: ``dispatch`` is the one switch over commands, ending
in ``assert_never``, so a command added here and not handled fails mypy, and a
runtime whose ``Port`` lacks the method for it fails mypy where it is declared one
(``_: Port = ...`` next to each implementation). ``workflow_event`` reads an event
from the JSON form the durable runtimes queue (``{"op": ...}``).

Nothing here does I/O; this module imports only the standard library, so a Lambda
function that never runs the interpreter does not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeAlias, assert_never

Error = dict[str, str]  # {"error": name, "message": text}


class Wait(StrEnum):
    """What a step in progress (an interpreter ``Node``) waits for."""

    TASK = "task"  # a task run's answer
    RETRY = "retry"  # the backoff timer before a task's next attempt
    TIMER = "timer"  # a sleep
    SIGNAL = "signal"
    EVENT = "event"  # a published event matching a wait_for_event
    CHILD = "child"  # a child execution's result
    CHILDREN = "children"  # the nested frames of an if, try, parallel or for_each
    CATCH = "catch"  # the frame of the catch clause that handles its failure
    FAILED = "failed"  # failed as it started (its catch is looked up next)


# -- commands (out) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunTask:
    """Run ``task`` on ``input``; answer with ``TaskAnswered(handle, ...)``."""

    handle: int
    task: str
    input: Any
    attempt: int


@dataclass(frozen=True, slots=True)
class StartTimer:
    """At ``due``, give ``TimerFired(handle)``."""

    handle: int
    due: datetime


@dataclass(frozen=True, slots=True)
class Publish:
    """Publish ``event`` (as the service names it) with its checked ``payload``."""

    event: str
    payload: Any


@dataclass(frozen=True, slots=True)
class StartChild:
    """Start an execution of ``workflow`` on its checked ``input``, a child whose end
    is answered with ``ChildFinished(handle, ...)``."""

    handle: int
    workflow: str
    input: Any


@dataclass(frozen=True, slots=True)
class CancelChild:
    """Cancel the child started for ``handle`` (if it still runs)."""

    handle: int


@dataclass(frozen=True, slots=True)
class Finished:
    """The execution of ``workflow`` ended with ``result`` or ``error`` (its state says
    which status); a parent waiting for it is to be told."""

    workflow: str
    result: Any = None
    error: Error | None = None


Command: TypeAlias = RunTask | StartTimer | Publish | StartChild | CancelChild | Finished


# -- events (in) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskAnswered:
    handle: int
    output: Any = None
    error: Error | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    handle: int


@dataclass(frozen=True, slots=True)
class SignalReceived:
    name: str
    payload: Any = None


@dataclass(frozen=True, slots=True)
class EventPublished:
    """An event of a name the workflow waits for (``wait_for_event``), published after
    the execution started; the execution keeps it until a wait takes it."""

    name: str
    payload: Any = None


@dataclass(frozen=True, slots=True)
class ChildFinished:
    handle: int
    result: Any = None
    error: Error | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    handle: int


@dataclass(frozen=True, slots=True)
class Cancel:
    pass


Event: TypeAlias = (
    TaskAnswered | TimerFired | SignalReceived | EventPublished | ChildFinished | Heartbeat | Cancel
)


def workflow_event(data: Mapping[str, Any]) -> Event:
    """The event queued as ``{"op": "task"|"child", "handle", "output"|"result",
    "error"}``, ``{"op": "timer"|"heartbeat", "handle"}``, ``{"op": "signal", "name",
    "payload"}``, ``{"op": "event", "name", "payload"}`` or ``{"op": "cancel"}``. Raises
    ``ValueError`` for another op."""
    op = data["op"]
    if op == "task":
        return TaskAnswered(data["handle"], data["output"], data["error"])
    if op == "timer":
        return TimerFired(data["handle"])
    if op == "signal":
        return SignalReceived(data["name"], data["payload"])
    if op == "event":
        return EventPublished(data["name"], data["payload"])
    if op == "child":
        return ChildFinished(data["handle"], data["result"], data["error"])
    if op == "heartbeat":
        return Heartbeat(data["handle"])
    if op == "cancel":
        return Cancel()
    raise ValueError(f"unknown workflow event {op!r}")


# -- the port ----------------------------------------------------------------------------


class Port(Protocol):
    """What a runtime provides to carry out the commands of one applied event (an
    implementation is bound to that execution and, where it has one, its transaction)."""

    def run_task(self, command: RunTask) -> None: ...

    def start_timer(self, command: StartTimer) -> None: ...

    def publish(self, command: Publish) -> None: ...

    def start_child(self, command: StartChild) -> None: ...

    def cancel_child(self, command: CancelChild) -> None: ...

    def finished(self, command: Finished) -> None: ...


def dispatch(port: Port, commands: Iterable[Command]) -> None:
    """Carries out ``commands`` in order through ``port``."""
    for command in commands:
        match command:
            case RunTask():
                port.run_task(command)
            case StartTimer():
                port.start_timer(command)
            case Publish():
                port.publish(command)
            case StartChild():
                port.start_child(command)
            case CancelChild():
                port.cancel_child(command)
            case Finished():
                port.finished(command)
            case _:
                assert_never(command)
