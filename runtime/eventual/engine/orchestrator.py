"""The interpreter's port on the SQLite store: workflow events in, commands carried out.

Every method works inside the caller's write transaction (``Store.write``), so a
workflow step's new state, its history entries and all the work it schedules (task
runs, timers, events and their deliveries, child executions, the parent's
notification) commit together or not at all. Nothing here runs user code: handlers run
outside transactions, in the worker's threads, and come back as ``task_outcome`` and
``delivery_outcome``.

Executions keep the service definition they started with: definitions are stored by
hash and an execution's interpreter is built from its own.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventual.context import EventMeta
from eventual.definition import Definition
from eventual.errors import ExecutionNotFound
from eventual.interpreter import ExecutionState, Interpreter, Interpreters, signal_payload
from eventual.invoke import (
    Values,
    failure,
    new_execution_id,
    signal_request,
    split_event,
    start_request,
    subscribers,
)  # fmt: skip
from eventual.port import (
    CancelChild,
    Finished,
    Port,
    Publish,
    RunTask,
    StartChild,
    StartTimer,
    dispatch,
)
from eventual.retry import retry_after
from eventual.service import Service
from eventual.state import dump_state, dumps, load_state, loads
from eventual.status import ExecutionStatus

from .store import Store, WorkItem

Observer = Callable[[str, list[dict[str, Any]]], None]
# A worker's claim on a task run a step schedules (its body): ``(owner, lease end)``.
Claim = Callable[[dict[str, Any]], tuple[str, float] | None]

_IN_PROGRESS = ExecutionStatus.IN_PROGRESS.value
_KEPT_STATES = 4096  # executions whose state stays parsed in memory between steps


def timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Orchestrator:
    def __init__(self, services: Mapping[str, Service], clock: Callable[[], float]) -> None:
        self.services = services
        self.values = {name: Values(service) for name, service in services.items()}
        self.clock = clock
        self.rng = random.Random()
        self._interpreters = {
            name: Interpreters(values.validate, self.rng) for name, values in self.values.items()
        }
        # The states this orchestrator wrote last, with their text: an execution whose
        # stored text is still that one needs no parsing (another worker's write, or a
        # rolled-back transaction, changes the text, and the state is read again).
        self._states: OrderedDict[str, tuple[str, ExecutionState]] = OrderedDict()
        self.observed: dict[str, list[dict[str, Any]]] = {}  # new history, this transaction
        # Set by a worker around its transaction: task runs scheduled then are leased to
        # it in the same insert (``claimed``, this transaction), so an execution's next
        # step stays with the worker that holds its state, and costs no lease query.
        self.claim: Claim | None = None
        self.claimed: list[WorkItem] = []

    def registered(self, db: sqlite3.Connection) -> bool:
        """Whether the store records the services as they are (nothing to write)."""
        for service in self.services.values():
            row = db.execute(
                "SELECT s.package, s.version, d.version FROM services s LEFT JOIN definitions d "
                "ON d.version = s.version WHERE s.name = ?",
                (service.name,),
            ).fetchone()
            if row is None or tuple(row) != (service.package, service.version, service.version):
                return False
        return True

    def register(self, db: sqlite3.Connection) -> None:
        """Records the services and their definitions (by hash) in the store."""
        for service in self.services.values():
            db.execute(
                "INSERT INTO services VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                "SET package = excluded.package, version = excluded.version",
                (service.name, service.package, service.version),
            )
            db.execute(
                "INSERT OR IGNORE INTO definitions VALUES (?, ?)",
                (service.version, service.definition_text()),
            )

    def interpreter(
        self, db: sqlite3.Connection, service: str, version: str, workflow: str
    ) -> Interpreter:
        def definition() -> Definition:
            current = self.services[service]
            if version == current.version:
                return current.definition
            row = db.execute("SELECT body FROM definitions WHERE version = ?", (version,))
            return Definition.loads(row.fetchone()[0])

        return self._interpreters[service].get(version, workflow, definition)

    # executions --------------------------------------------------------------------------

    def start(
        self, db: sqlite3.Connection, service: str, workflow: str, input: Any,
        name: str | None = None, parent: tuple[str, int] | None = None,
        reuse: dict[str, Any] | None = None,
    ) -> tuple[str, bool]:  # fmt: skip
        """Creates an execution and queues its start: ``(id, created)``; a name that
        exists already gives that execution and creates nothing. ``reuse``: step
        outputs a restart brings (``ExecutionState.reuse``)."""
        if name is not None:
            row = db.execute(
                "SELECT id FROM executions WHERE service = ? AND workflow = ? AND name = ?",
                (service, workflow, name),
            ).fetchone()
            if row is not None:
                return str(row[0]), False
        execution = new_execution_id(workflow)
        parent_id, handle = parent or (None, None)
        db.execute(
            "INSERT INTO executions (id, service, workflow, name, version, status, input, "
            "parent, parent_handle, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (execution, service, workflow, name or execution, self.services[service].version,
             _IN_PROGRESS, dumps(input), parent_id, handle, self.clock()),
        )  # fmt: skip
        start = {"op": "start", "reuse": reuse} if reuse else {"op": "start"}
        Store.add_work(db, "wf", execution, self.clock(), start)
        return execution, True

    @staticmethod
    def _depth(db: sqlite3.Connection, parent: str | None) -> int:
        """How deep a child of ``parent`` nests (0 without a parent)."""
        if parent is None:
            return 0
        row = db.execute("SELECT state FROM executions WHERE id = ?", (parent,)).fetchone()
        return 1 + (load_state(row[0]).depth if row and row[0] else 0)

    def apply(self, db: sqlite3.Connection, execution: str, event: Mapping[str, Any]) -> None:
        """Applies one workflow event (``{"op": ...}``) to ``execution`` and carries out
        what it commands. Events for a finished or unknown execution are dropped."""
        row = db.execute(
            "SELECT service, workflow, version, status, state, input, name, started, history, "
            "parent, parent_handle FROM executions WHERE id = ?",
            (execution,),
        ).fetchone()
        if row is None or row[3] != _IN_PROGRESS:
            return
        service, workflow, version, _, text, input, name, started, seen, parent, handle = row
        interp = self.interpreter(db, service, version, workflow)
        now = timestamp(self.clock())
        op = event["op"]
        if op == "start":
            state = ExecutionState(
                execution, name, workflow, interp.workflow.version, loads(input),
                timestamp(started),
            )  # fmt: skip
            state.depth = self._depth(db, parent)
            state.reuse = dict(event.get("reuse") or {})
            commands = interp.begin(state, now)
        else:
            state = self._state(execution, text)
            commands = interp.apply(state, event, now)
        self._record_history(db, execution, seen, state.history)
        dispatch(_Effects(self, db, interp, state, service), commands)
        text = dump_state(state)
        if state.status is ExecutionStatus.IN_PROGRESS:  # no indexed column changes
            db.execute(
                "UPDATE executions SET state = ?, history = ? WHERE id = ?",
                (text, seen + len(state.history), execution),
            )
            self._keep(execution, text, state)
        else:
            db.execute(
                "UPDATE executions SET state = ?, status = ?, result = ?, error = ?, ended = ?, "
                "history = ? WHERE id = ?",
                (text, state.status.value, dumps(state.result),
                 None if state.error is None else dumps(state.error), self.clock(),
                 seen + len(state.history), execution),
            )  # fmt: skip
            # Pending timers and queued events of a finished execution can do nothing.
            db.execute("DELETE FROM work WHERE execution = ? AND owner IS NULL", (execution,))
            if parent is not None:
                body = {"op": "child", "handle": handle, "result": state.result,
                        "error": state.error}  # fmt: skip
                Store.add_work(db, "wf", parent, self.clock(), body)

    def _state(self, execution: str, text: str) -> ExecutionState:
        """The state stored as ``text``: the one kept in memory when it is the same
        (taken out while it is changed: a failure leaves nothing behind), else parsed."""
        kept = self._states.pop(execution, None)
        if kept is not None and kept[0] == text:
            kept[1].history = []
            return kept[1]
        return load_state(text)

    def _keep(self, execution: str, text: str, state: ExecutionState) -> None:
        self._states[execution] = (text, state)
        if len(self._states) > _KEPT_STATES:
            self._states.popitem(last=False)

    def _record_history(
        self, db: sqlite3.Connection, execution: str, seen: int, entries: list[dict[str, Any]]
    ) -> None:
        """Appends a step's entries, ``seen`` onwards, as one row."""
        if entries:
            db.execute(
                "INSERT INTO history (execution, seq, entries) VALUES (?, ?, ?)",
                (execution, seen, dumps(entries)),
            )
            self.observed.setdefault(execution, []).extend(entries)

    # events ------------------------------------------------------------------------------

    def publish(
        self, db: sqlite3.Connection, source_service: str, name: str, payload: Any,
        validated: bool = False,
    ) -> str:  # fmt: skip
        """Logs event ``name`` (as ``source_service`` names it) and queues a delivery to
        every subscription it reaches, in every service. Raises ``PayloadInvalid`` or
        ``ValueError`` for a payload or name that does not fit."""
        return self.log_event(db, self.route(source_service, name, payload, validated))

    def route(
        self, source_service: str, name: str, payload: Any, validated: bool = False
    ) -> Routed:
        """The event checked and matched against every subscription's filter: no store
        needed, so callers do it before their write transaction when they can."""
        values = self.values[source_service]
        if not validated:
            payload = values.payload(name, payload)
        source, bare = split_event(values.service, name)
        reached = [
            (service.name, subscription) for service in self.services.values()
            for subscription in subscribers(service, source, bare, payload)
        ]  # fmt: skip
        return Routed(source, bare, payload, reached)

    def log_event(self, db: sqlite3.Connection, event: Routed) -> str:
        """Logs a routed event and queues its deliveries; the event id."""
        event_id = uuid.uuid4().hex
        at = self.clock()
        source, bare = event.source, event.name
        db.execute(
            "INSERT INTO events (id, source, name, time, payload) VALUES (?, ?, ?, ?, ?)",
            (event_id, source, bare, at, dumps(event.payload)),
        )
        for service, subscription in event.reached:
            local = bare if service == source else f"{source}.{bare}"
            body = {"service": service, "subscription": subscription,
                    "event": {"id": event_id, "name": local, "source": source, "time": at},
                    "payload": event.payload, "attempt": 1}  # fmt: skip
            kind = delivery_kind(self.services[service], subscription)
            Store.add_work(db, kind, None, at, body)
        self._offer_to_waits(db, event, at)
        return event_id

    def _offer_to_waits(self, db: sqlite3.Connection, event: Routed, at: float) -> None:
        """Queues the event to every running execution whose workflow waits for it (in
        the publish transaction: an execution that started before it cannot miss it)."""
        for service in self.services.values():
            local = event.name if service.name == event.source else f"{event.source}.{event.name}"
            for workflow in service.waiting.get(local, ()):
                rows = db.execute(
                    "SELECT id FROM executions WHERE service = ? AND workflow = ? AND status = ?",
                    (service.name, workflow, ExecutionStatus.IN_PROGRESS.value),
                ).fetchall()
                op = {"op": "event", "name": local, "payload": event.payload}
                for (execution,) in rows:
                    Store.add_work(db, "wf", execution, at, op)

    def signal_request(
        self, db: sqlite3.Connection, service: str, workflow: str, name: str, signal: str,
        payload: Any,
    ) -> tuple[str, dict[str, Any]]:  # fmt: skip
        """``(execution id, workflow event)`` that signals the running execution ``name``
        of ``workflow``: ``ExecutionNotFound`` when none runs, ``SignalRefused`` when the
        workflow declares no such signal or the payload does not fit. Only reads."""
        row = db.execute(
            "SELECT id FROM executions WHERE service = ? AND workflow = ? AND name = ? "
            "AND status = ?", (service, workflow, name, _IN_PROGRESS),
        ).fetchone()  # fmt: skip
        if row is None:
            raise ExecutionNotFound(f"no running execution {name!r} of workflow {workflow!r}")
        values = self.values[service]
        signals = values.service.workflows[workflow].signals
        value = signal_payload(workflow, signals, signal, payload, values.validate)
        return str(row[0]), {"op": "signal", "name": signal, "payload": value}

    def signal_from_event(self, db: sqlite3.Connection, item: WorkItem) -> None:
        """A declarative ``signal:`` delivery, in the transaction that settles it: the
        signal is queued for the execution, or the delivery fails (retried, then
        dead-lettered) while no such execution runs."""
        body = item.body
        subscription = self.services[body["service"]].subscriptions[body["subscription"]]
        Store.done(db, item.id)
        try:
            workflow, name, signal, payload = signal_request(
                subscription, body["payload"], meta(body)
            )
            execution, event = self.signal_request(
                db, body["service"], workflow, name, signal, payload
            )
        except Exception as exc:  # no such execution yet, a template or payload that fails
            self.delivery_outcome(db, item, failure(exc))
            return
        Store.add_work(db, "wf", execution, self.clock(), event)
        Store.link_event(db, body["event"]["id"], execution, "signalled", body["service"],
                         body["subscription"])  # fmt: skip

    def start_from_event(self, db: sqlite3.Connection, item: WorkItem) -> None:
        """A declarative subscription's delivery: starts its workflow (idempotent by name),
        or sends its signal."""
        body = item.body
        subscription = self.services[body["service"]].subscriptions[body["subscription"]]
        if subscription.signal:
            self.signal_from_event(db, item)
            return
        Store.done(db, item.id)
        try:
            workflow, value, name = start_request(subscription, body["payload"], meta(body))
        except Exception as exc:  # a template that fails is the delivery's failure
            self.delivery_outcome(db, item, failure(exc))
            return
        execution, created = self.start(db, body["service"], workflow, value, name)
        how = "started" if created else "found"
        Store.link_event(db, body["event"]["id"], execution, how, body["service"],
                         body["subscription"])  # fmt: skip

    def delivery_outcome(
        self, db: sqlite3.Connection, item: WorkItem, error: dict[str, str] | None
    ) -> None:
        """A delivery ended (its work item settled): retried after its backoff, or
        dead-lettered, when it failed."""
        if error is None:
            return
        body = item.body
        subscription = self.services[body["service"]].subscriptions[body["subscription"]]
        attempt = body["attempt"]
        delay = retry_after(subscription.retry, error, attempt, self.rng)
        if delay is not None:
            ready = self.clock() + delay
            kind = delivery_kind(self.services[body["service"]], body["subscription"])
            again = {key: value for key, value in body.items() if key != "lost"}
            Store.add_work(db, kind, None, ready, {**again, "attempt": attempt + 1})
            return
        event = body["event"]
        db.execute(
            "INSERT INTO dead_letters (service, subscription, event_id, event, source, time, "
            "payload, error, attempts, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (body["service"], body["subscription"], event["id"], event["name"],
             event["source"], event["time"], dumps(body["payload"]), dumps(error), attempt,
             self.clock()),
        )  # fmt: skip

    def schedule_task(self, db: sqlite3.Connection, execution: str, body: dict[str, Any]) -> None:
        """Queues a task run, due now; leased at once to the worker whose ``claim`` takes it."""
        lease = None if self.claim is None else self.claim(body)
        if lease is None:
            Store.add_work(db, "task", execution, self.clock(), body)
            return
        owner, until = lease
        item = Store.add_work(db, "task", execution, until, body, owner)
        self.claimed.append(WorkItem(item, "task", execution, body))

    def task_outcome(
        self, db: sqlite3.Connection, item: WorkItem, output: Any, error: dict[str, str] | None
    ) -> None:
        """A task run ended (its work item settled): the workflow takes its outcome."""
        assert item.execution is not None
        event = {"op": "task", "handle": item.body["handle"], "output": output, "error": error}
        self.apply(db, item.execution, event)

    def outcome(
        self, db: sqlite3.Connection, item: WorkItem, output: Any, error: dict[str, str] | None
    ) -> None:
        """A handler's run (task or delivery) ended; its work item is settled already."""
        if item.kind == "task":
            self.task_outcome(db, item, output, error)
        else:
            self.delivery_outcome(db, item, error)


def delivery_kind(service: Service, subscription: str) -> str:
    """``start`` for a declarative subscription (no user code: done in the transaction),
    ``delivery`` for one with a handler (leased and run by a worker thread)."""
    return "start" if service.subscriptions[subscription].workflow else "delivery"


@dataclass(frozen=True, slots=True)
class Routed:
    """An event ready to log: checked, and the ``(service, subscription)`` pairs it reaches."""

    source: str
    name: str
    payload: Any
    reached: list[tuple[str, str]]


def task_timeout(interp: Interpreter, state: ExecutionState, command: RunTask) -> float:
    """The seconds a task run may take: its step's ``timeout``, else its task's."""
    token, _ = state.handles[command.handle]
    step = interp.workflow.step(state.nodes[token].step)
    if step.timeout is not None:
        return float(step.timeout)
    return float(interp.tasks[command.task].timeout)


class _Effects:
    """The port for one applied event of one execution: work items in the caller's
    write transaction (``db``)."""

    def __init__(
        self, orchestrator: Orchestrator, db: sqlite3.Connection, interp: Interpreter,
        state: ExecutionState, service: str,
    ) -> None:  # fmt: skip
        self.orchestrator, self.db, self.interp = orchestrator, db, interp
        self.state, self.service = state, service

    def run_task(self, command: RunTask) -> None:
        body = {"service": self.service, "handle": command.handle, "name": command.task,
                "input": command.input, "attempt": command.attempt,
                "timeout": task_timeout(self.interp, self.state, command)}  # fmt: skip
        self.orchestrator.schedule_task(self.db, self.state.id, body)

    def start_timer(self, command: StartTimer) -> None:
        body = {"op": "timer", "handle": command.handle}
        Store.add_work(self.db, "wf", self.state.id, command.due.timestamp(), body)

    def publish(self, command: Publish) -> None:
        self.orchestrator.publish(
            self.db, self.service, command.event, command.payload, validated=True
        )

    def start_child(self, command: StartChild) -> None:
        parent = (self.state.id, command.handle)
        start = self.orchestrator.start
        start(self.db, self.service, command.workflow, command.input, None, parent)

    def cancel_child(self, command: CancelChild) -> None:
        row = self.db.execute(
            "SELECT id FROM executions WHERE parent = ? AND parent_handle = ?",
            (self.state.id, command.handle),
        ).fetchone()
        if row is not None:
            Store.add_work(self.db, "wf", row[0], self.orchestrator.clock(), {"op": "cancel"})

    def finished(self, command: Finished) -> None:
        """Nothing yet: ``Orchestrator.apply`` tells the parent once the state is written."""


_: type[Port] = _Effects


def meta(body: Mapping[str, Any]) -> EventMeta:
    event = body["event"]
    return EventMeta(event["id"], event["name"], event["source"], timestamp(event["time"]))
