"""The embedded durable engine: services run on one SQLite file, on one machine.

``Engine(path, services)`` opens (or creates) the store and offers what the command
line offers: ``start``, ``publish``, ``signal``, ``cancel``, the queries
(``execution``, ``executions``, ``history``, ``dead_letters``) and ``redrive``; work is
done by ``run`` (in this thread, with a pool for handlers, until a condition holds or a
stop event is set). Any number of engines, in threads or processes, may share a file.

Names: a workflow is ``name`` or ``service.name``; an event ``Name`` or
``service.Name``; an execution is found by its id or its name.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from eventual.definition import Definition
from eventual.errors import PayloadInvalid
from eventual.interpreter import ExecutionState, SignalRefused, signal_payload
from eventual.operations import Operations, ViewNames
from eventual.queries import answer
from eventual.restart import reusable_outputs
from eventual.service import Service
from eventual.state import load_state, loads
from eventual.status import ExecutionStatus
from eventual.views import DeadLetterView, ExecutionView

from .orchestrator import Observer, Orchestrator, delivery_kind, timestamp
from .store import Store, StoreError
from .wake import notify
from .worker import Worker

DEFAULT_PATH = Path(".eventual") / "local.db"
_HOST = socket.gethostname()

__all__ = [
    "DEFAULT_PATH", "DeadLetterView", "Engine", "EngineError", "ExecutionView", "StoreError",
]  # fmt: skip


class EngineError(Exception):
    """A request the engine cannot carry out: unknown names, payloads that do not fit."""


_EXECUTION_COLUMNS = "id, name, service, workflow, status, result, error, started, ended, parent"


def _execution(row: Sequence[Any]) -> ExecutionView:
    return ExecutionView(
        row[0], row[1], row[2], row[3], ExecutionStatus(row[4]),
        None if row[5] is None else loads(row[5]), None if row[6] is None else loads(row[6]),
        timestamp(row[7]), None if row[8] is None else timestamp(row[8]), row[9],
    )  # fmt: skip


class Engine(ViewNames):
    def __init__(
        self, path: str | Path = DEFAULT_PATH, services: Iterable[Service] = (), *,
        durability: str = "full", threads: int = 8, clock: Callable[[], float] = time.time,
        create: bool = True,
    ) -> None:  # fmt: skip
        """Opens the store at ``path`` (``create``: creating it when missing, else
        ``StoreError``) and records ``services`` in it when they are new there."""
        self.store = Store(path, durability, create)
        self.services = {service.name: service for service in services}
        self.threads = threads
        self.orchestrator = Orchestrator(self.services, clock)
        with self.store.errors():
            fresh = self.orchestrator.registered(self.store.db)
        if not fresh:
            with self.store.write() as db:
                self.orchestrator.register(db)

    def close(self) -> None:
        self.store.close()

    # names -------------------------------------------------------------------------------

    def workflow(self, name: str) -> tuple[str, str]:
        """``(service, workflow)`` of ``name`` or ``service.name``."""
        return self._find(name, "workflows", "workflow")

    def event(self, name: str) -> tuple[str, str]:
        """``(service, event)`` of ``Name`` or ``service.Name``."""
        return self._find(name, "events", "event")

    def _find(self, name: str, kind: str, what: str) -> tuple[str, str]:
        service_name, _, bare = name.rpartition(".")
        found = [
            (s.name, bare) for s in self.services.values()
            if (not service_name or s.name == service_name) and bare in getattr(s, kind)
        ]  # fmt: skip
        if len(found) == 1:
            return found[0]
        if found:
            options = ", ".join(f"{s}.{n}" for s, n in found)
            raise EngineError(f"{what} {name!r} is ambiguous: say one of {options}")
        known = sorted(f"{s.name}.{n}" for s in self.services.values() for n in getattr(s, kind))
        raise EngineError(f"no {what} {name!r} (known: {', '.join(known) or 'none'})")

    # requests ----------------------------------------------------------------------------

    def start(self, workflow: str, input: Any = None, name: str | None = None) -> str:
        """Queues an execution and returns its id; a name used before gives that one.
        Raises ``EngineError`` when the input does not fit the workflow's input schema."""
        service, bare = self.workflow(workflow)
        try:
            input = self.orchestrator.values[service].start_input(bare, input)
        except PayloadInvalid as exc:
            raise EngineError(str(exc)) from exc
        with self.store.write() as db:
            execution, _ = self.orchestrator.start(db, service, bare, input, name)
        self._wake_workers()
        return execution

    def restart(self, ref: str) -> str:
        """A new execution of an ended one's workflow and input that reuses the outputs
        of the task and child steps it completed (``eventual.restart``); its id."""
        view = self.execution(ref)
        if view.status is ExecutionStatus.IN_PROGRESS:
            raise EngineError(f"execution {view.id} is still in progress: cancel it first")
        if view.service not in self.services:
            raise EngineError(f"service {view.service!r} is not loaded: give its specs")
        given = self._read("SELECT input FROM executions WHERE id = ?", (view.id,))[0][0]
        reuse = reusable_outputs(self.history(view.id))
        with self.store.write() as db:
            execution, _ = self.orchestrator.start(
                db, view.service, view.workflow, None if given is None else loads(given),
                reuse=reuse,
            )  # fmt: skip
        self._wake_workers()
        return execution

    def publish(self, event: str, payload: Any = None) -> str:
        """Publishes an event from its own service; returns the event id."""
        service, bare = self.event(event)
        try:  # checked and matched to subscriptions before taking the write lock
            routed = self.orchestrator.route(service, bare, payload)
        except PayloadInvalid as exc:
            raise EngineError(f"payload of {bare}: {exc}") from exc
        with self.store.write() as db:
            event_id = self.orchestrator.log_event(db, routed)
        self._wake_workers()
        return event_id

    def signal(self, execution: str, signal: str, payload: Any = None) -> None:
        """Queues ``signal`` for the execution: ``EngineError`` when its workflow declares
        no such signal or, its service loaded, the payload does not fit (unloaded, the
        worker's interpreter checks it and records a refusal as ``SignalRejected``)."""
        view = self.execution(execution)
        signals = self._definition(view.id).workflows[view.workflow].signals
        values = self.orchestrator.values.get(view.service)
        try:
            payload = signal_payload(
                view.workflow, signals, signal, payload, values.validate if values else None
            )
        except SignalRefused as refused:
            raise EngineError(str(refused)) from refused
        self._enqueue(view, {"op": "signal", "name": signal, "payload": payload})

    def cancel(self, execution: str) -> None:
        self._enqueue(self.execution(execution), {"op": "cancel"})

    def query(self, execution: str, name: str) -> Any:
        """Query ``name`` of the execution's workflow on its stored state (see
        ``eventual.queries``); ``EngineError`` for an undeclared name or a failure."""
        view = self.execution(execution)
        text, input, version = self._read(
            "SELECT state, input, version FROM executions WHERE id = ?", (view.id,)
        )[0]
        state = (
            load_state(text) if text
            else ExecutionState(view.id, view.name, view.workflow, version, loads(input),
                                view.started)
        )  # fmt: skip
        workflow = self._definition(view.id).workflows[view.workflow]
        try:
            return answer(workflow, state, name, timestamp(self.orchestrator.clock()))
        except ValueError as exc:
            raise EngineError(str(exc)) from exc

    def _enqueue(self, view: ExecutionView, event: dict[str, Any]) -> None:
        if view.status is not ExecutionStatus.IN_PROGRESS:
            raise EngineError(f"execution {view.id} has ended ({view.status.value})")
        with self.store.write() as db:
            Store.add_work(db, "wf", view.id, self.orchestrator.clock(), event)
        self._wake_workers()

    def _wake_workers(self) -> None:
        """Tells the live workers of this host that work was committed (a hint: see
        ``wake``)."""
        try:
            rows = self._read("SELECT id FROM workers WHERE host = ?", (_HOST,))
        except StoreError:  # the request is committed; a worker still finds it by polling
            return
        notify(row[0] for row in rows)

    def _definition(self, execution: str) -> Definition:
        rows = self._read(
            "SELECT d.body FROM executions e JOIN definitions d ON d.version = e.version "
            "WHERE e.id = ?",
            (execution,),
        )
        return Definition.loads(rows[0][0])

    def _read(self, query: str, args: Sequence[Any] = ()) -> list[Any]:
        """The rows of a query; SQLite failures come out as ``StoreError``."""
        with self.store.errors():
            return self.store.db.execute(query, args).fetchall()

    # queries -----------------------------------------------------------------------------

    def execution(self, ref: str) -> ExecutionView:
        """The execution whose id, or else whose name, is ``ref``."""
        rows = self._read(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = ?", (ref,)
        ) or self._read(f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE name = ?", (ref,))
        if not rows:
            raise EngineError(f"no execution {ref!r}")
        if len(rows) > 1:
            ids = ", ".join(r[0] for r in rows)
            raise EngineError(f"several executions are named {ref!r}: say one of {ids}")
        return _execution(rows[0])

    def executions(
        self, workflow: str | None = None, status: str | None = None,
        limit: int | None = None, after: str | None = None,
    ) -> list[ExecutionView]:  # fmt: skip
        """Executions, newest first, optionally of one workflow and/or status; at most
        ``limit``, those after execution id ``after`` in that order (the last of the
        previous page: a cursor on the index, so a page costs the same however large
        the store is)."""
        where: list[str] = []
        args: list[Any] = []
        if workflow is not None:
            where.append("workflow = ?")
            args.append(workflow.rpartition(".")[2])
        if status is not None:
            where.append("status = ?")
            args.append(status.upper())
        if after is not None:
            where.append("(started, id) < ((SELECT started FROM executions WHERE id = ?), ?)")
            args += [after, after]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if limit is not None:
            clause += " ORDER BY started DESC, id DESC LIMIT ?"
            args.append(limit)
        else:
            clause += " ORDER BY started DESC, id DESC"
        rows = self._read(f"SELECT {_EXECUTION_COLUMNS} FROM executions{clause}", args)
        return [_execution(row) for row in rows]

    def history(self, ref: str) -> list[dict[str, Any]]:
        execution = self.execution(ref).id
        rows = self._read(
            "SELECT entries FROM history WHERE execution = ? ORDER BY seq", (execution,)
        )
        return [entry for row in rows for entry in loads(row[0])]

    def events(self, after: int = 0) -> list[tuple[int, str, str]]:
        """The event log after position ``after``: ``(position, source, name)``, in order."""
        rows = self._read(
            "SELECT seq, source, name FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def dead_letters(self) -> list[DeadLetterView]:
        rows = self._read(
            "SELECT id, service, subscription, event, event_id, payload, error, attempts, "
            "failed FROM dead_letters ORDER BY id"
        )
        return [
            DeadLetterView(r[0], r[1], r[2], r[3], r[4], loads(r[5]), loads(r[6]), r[7],
                           timestamp(r[8]))
            for r in rows
        ]  # fmt: skip

    def redrive(self, ids: Sequence[int] = ()) -> int:
        """Queues dead letters (``ids``, or all) for delivery again; how many."""
        with self.store.write() as db:
            query = "SELECT id, service, subscription, event_id, event, source, time, payload " \
                    "FROM dead_letters"  # fmt: skip
            if ids:
                query += f" WHERE id IN ({', '.join('?' * len(ids))})"
            rows = db.execute(query, tuple(ids)).fetchall()
            missing = set(ids) - {row[0] for row in rows}
            if missing:
                raise EngineError(f"no dead letter {', '.join(map(str, sorted(missing)))}")
            for row in rows:
                dead, service, subscription, event_id, event, source, at, payload = row
                if service not in self.services:
                    raise EngineError(f"service {service!r} is not loaded: give its specs")
                body = {"service": service, "subscription": subscription, "payload": loads(payload),
                        "event": {"id": event_id, "name": event, "source": source, "time": at},
                        "attempt": 1}  # fmt: skip
                kind = delivery_kind(self.services[service], subscription)
                Store.add_work(db, kind, None, self.orchestrator.clock(), body)
                db.execute("DELETE FROM dead_letters WHERE id = ?", (dead,))
        self._wake_workers()
        return len(rows)

    # work --------------------------------------------------------------------------------

    def worker(self, observer: Observer | None = None) -> Worker:
        return Worker(self.store, self.orchestrator, self.threads, observer=observer)

    def run(
        self, until: Callable[[], bool] | None = None, stop: threading.Event | None = None,
        observer: Observer | None = None,
    ) -> None:  # fmt: skip
        """Does work in this thread until ``until()`` holds or ``stop`` is set."""
        if not self.services:
            raise EngineError("no services loaded: give the specs to run")
        self.worker(observer).run(stop, until)

    def idle(self) -> bool:
        """Nothing is due now, and no delivery or start waits for a retry."""
        rows = self._read(
            "SELECT 1 FROM work WHERE ready <= ? OR owner IS NOT NULL "
            "OR kind IN ('delivery', 'start') LIMIT 1",
            (self.orchestrator.clock(),),
        )
        return not rows

    def finished(self, execution: str) -> bool:
        rows = self._read("SELECT status FROM executions WHERE id = ?", (execution,))
        return bool(rows) and rows[0][0] != ExecutionStatus.IN_PROGRESS.value

    # what a command on the store alone reads ---------------------------------------------

    def packages(self) -> list[str]:
        """The Python packages of the services recorded in the store (each service's
        generated package), in the order they were first recorded: what a command that
        was given no specs imports to validate what it sends."""
        rows = self._read("SELECT package FROM services ORDER BY rowid")
        return [row[0] for row in rows]


_operations: type[Operations] = Engine
