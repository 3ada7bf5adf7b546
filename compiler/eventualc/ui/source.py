"""``Source``: everything the console's pages read and do, one interface per runtime.

``eventualc.ui.reads.Reads`` answers it from the embedded engine's SQLite store,
``eventualc.ui.aws.AwsReads`` from a deployed stack through ``eventual.aws.Client``.
Pages only ever talk to a ``Source``, so no page knows where it runs. What a runtime
cannot answer it says in ``lacks`` (a feature -> why), and the method raises
``Unavailable`` with that reason: the page shows the reason instead of a guess.

Values are plain frozen dataclasses. Cursors are opaque strings each source reads
back (the engine's: an execution id; AWS's: the last S3 key read); ``""`` means
there is nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eventual.views import DeadLetterView, ExecutionView

PAGE = 50
StepPath = tuple[str | int, ...]


class Unavailable(Exception):
    """This runtime does not record what was asked for (the message says what)."""


@dataclass(frozen=True)
class Filters:
    workflow: str = ""
    status: str = ""
    prefix: str = ""
    since: float | None = None  # seconds since the epoch
    until: float | None = None


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    service: str
    workflow: str
    status: str
    started: float
    ended: float | None
    error: Any


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    after: str = ""  # the cursor of the next page; "" at the end
    note: str = ""  # how this source pages, when people should know


@dataclass(frozen=True)
class Timer:
    why: str  # timer (a sleep), timeout, retry, heartbeat
    due: datetime


@dataclass(frozen=True)
class Details:
    """What the execution page shows beside the view and history."""

    input: Any = None
    vars: Any = None
    definition: Mapping[str, Any] = field(default_factory=dict)
    history: int = 0  # entries
    timers: Mapping[StepPath, Timer] = field(default_factory=dict)  # pending, by step
    trigger: EventLink | None = None  # the event that started it, if known


@dataclass(frozen=True)
class EventLink:
    event_id: str
    execution: str
    how: str  # started, found (its execution name was taken), signalled
    service: str
    subscription: str


@dataclass(frozen=True)
class Delivery:
    service: str
    subscription: str
    outcome: str  # pending, dead-lettered, delivered
    attempts: int | None
    error: Any = None


@dataclass(frozen=True)
class EventRow:
    seq: int
    id: str
    source: str
    name: str
    time: float
    payload: Any
    deliveries: tuple[Delivery, ...]
    executions: tuple[EventLink, ...] = ()


class Source(Protocol):
    label: str  # where the console looks, for its header
    lacks: Mapping[str, str]  # feature (events, restart, ...) -> why this runtime lacks it

    def executions(self, filters: Filters, after: str | None = None,
                   limit: int = PAGE) -> Page: ...  # fmt: skip

    def workflows(self) -> list[str]: ...

    def execution(self, ref: str) -> ExecutionView: ...

    def history(self, execution: str) -> list[dict[str, Any]]: ...

    def details(self, execution: str) -> Details: ...

    def children(self, execution: str) -> list[Row]: ...

    def version(self, execution: str) -> tuple[str, int]:
        """``(status, history length)``: what live pages poll to know something changed."""
        ...

    def events(self, name: str = "", before: int | None = None,
               limit: int = PAGE) -> list[EventRow]: ...  # fmt: skip

    def dead_letters(self) -> list[DeadLetterView]: ...

    def signal(self, execution: str, signal: str, payload: Any) -> None: ...

    def cancel(self, execution: str) -> None: ...

    def query(self, execution: str, name: str) -> Any: ...

    def restart(self, execution: str) -> str: ...

    def redrive(self, ids: Sequence[str]) -> int: ...


def row_of(view: ExecutionView) -> Row:
    ended = view.ended.timestamp() if view.ended else None
    return Row(view.id, view.name, view.service, view.workflow, view.status.value,
               view.started.timestamp(), ended, view.error)  # fmt: skip


def timers_of(state: Mapping[str, Any]) -> dict[StepPath, Timer]:
    """The pending timers of a stored execution state (``eventual.state.dump_state``
    data), by the path of the step that waits for each."""
    dues = {handle: due for handle, due in state.get("dues") or ()}
    steps = {node[0]: tuple(node[2]) for node in state.get("nodes") or ()}
    found: dict[StepPath, Timer] = {}
    for handle, node, why in state.get("handles") or ():
        due = dues.get(handle)
        if due is not None and node in steps:
            moment = due if isinstance(due, datetime) else datetime.fromisoformat(str(due))
            found[steps[node]] = Timer(why, moment)
    return found
