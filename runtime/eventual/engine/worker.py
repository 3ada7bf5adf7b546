"""A worker: takes due work from the store and does it, until told to stop.

Each round is one write transaction that (1) records the outcomes of handlers that
finished since the last round, (2) applies due workflow events and declarative starts
(no user code, so inside the transaction), and (3) leases due task runs and
deliveries for the thread pool, as many as it has free threads. A step's outcome, the
workflow's next state and the next task's lease therefore commit together: one commit
per round, however many steps the round holds.

Crash safety: leased work belongs to this worker until its lease ends; a worker whose
process is gone (same host, dead pid) or that has not been seen for ``STALE`` seconds
loses its leases to the next worker that looks, at once. Handlers therefore run at
least once; workflow steps apply exactly once, because the transaction that applies a
step also deletes the event it applied, and a late or repeated outcome finds its wait
handle gone. ``stop`` lets in-flight handlers finish and records them before returning.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventual.context import SubscriptionContext, TaskContext
from eventual.invoke import Outcome, emitter, run_subscription, run_task

from .orchestrator import Observer, Orchestrator, meta, timestamp
from .store import Store, WorkItem
from .wake import Wakeup

log = logging.getLogger("eventual.engine")

STALE = 15.0  # seconds without a sign of life before a worker's leases are taken over
LIVENESS = 2.0  # how often a worker says it is alive and looks for dead ones
GRACE = 60.0  # lease beyond a handler's own timeout
# An idle worker's fallback look at the store, for work whose wake-up was lost (or on a
# platform without wake-ups): from BUSY_POLL after work, doubling to IDLE_POLL.
BUSY_POLL = 0.002
IDLE_POLL = 0.25


@dataclass
class _Finished:
    item: WorkItem
    outcome: Outcome
    emitted: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class _Beat:
    item: WorkItem


class Worker:
    def __init__(
        self, store: Store, orchestrator: Orchestrator, threads: int = 8, batch: int = 512,
        observer: Observer | None = None, poll: float = IDLE_POLL,
    ) -> None:  # fmt: skip
        self.store = store
        self.orchestrator = orchestrator
        self.clock = orchestrator.clock
        self.threads = threads
        self.batch = batch
        self.observer = observer
        self.poll = poll
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.id = f"{self.host}/{self.pid}/{uuid.uuid4().hex[:8]}"
        self.rounds = 0
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="eventual-handler")
        self._finished: queue.SimpleQueue[_Finished | _Beat] = queue.SimpleQueue()
        self._running = 0
        self._next_liveness = 0.0
        self._wake = Wakeup(self.id)
        self._idle = BUSY_POLL

    # the loop ----------------------------------------------------------------------------

    def run(
        self, stop: threading.Event | None = None, until: Callable[[], bool] | None = None
    ) -> None:
        """Works until ``stop`` is set or ``until()`` is true after a round, then lets
        in-flight handlers finish and records their outcomes."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                did = self.round(claim=True)
                if until is not None and until():
                    break
                if did:
                    self._idle = BUSY_POLL
                else:
                    self._wait()
            while self._running:
                self._wait(forever=True)
                self.round(claim=False)
            self._leave()
        finally:
            self._pool.shutdown(wait=True)
            self._wake.close()

    def round(self, claim: bool) -> bool:
        """One transaction, when there is something to do; whether it did work."""
        outcomes = self._drain()
        now = self.clock()
        liveness = now >= self._next_liveness
        if not outcomes and not liveness and not (claim and self._due(now)):
            return False
        leased: list[WorkItem] = []
        applied = 0
        try:
            with self.store.write() as db:
                for outcome in outcomes:
                    self._guarded(db, outcome.item, self._record, outcome)
                if liveness:
                    self._liveness(db, now)
                if claim:
                    applied = self._apply_due(db, now)
                    # what this round scheduled is due by now: lease it in this commit
                    leased = self._lease(db, max(now, self.clock()))
        except BaseException:
            self.orchestrator.observed.clear()
            raise
        self.rounds += 1
        self._notify()
        self._running += len(leased)
        for item in leased:
            self._pool.submit(self._run, item)
        return bool(outcomes or applied or leased)

    def _due(self, now: float) -> bool:
        """Whether work this worker could take now is due (handlers only with a free thread)."""
        kinds = ("wf", "start", "task", "delivery") if self._free() > 0 else ("wf", "start")
        return Store.is_due(self.store.db, now, kinds)

    def _free(self) -> int:
        return self.threads * 2 - self._running  # a little queued work keeps threads busy

    def _wait(self, forever: bool = False) -> None:
        """Until a handler finishes, another process commits work, the next timer is
        due, or (a fallback that doubles while nothing happens) the store should be
        looked at again."""
        if forever:
            self._wake.wait(None)
            return
        timeout = self._idle
        due = Store.next_due(self.store.db)
        if due is not None:
            timeout = min(timeout, max(0.0, due - self.clock()))
        if not self._wake.wait(timeout):
            self._idle = min(self._idle * 2, self.poll if self._wake.listening else BUSY_POLL * 25)

    def _drain(self) -> list[_Finished | _Beat]:
        """What handlers reported, in the order they reported it."""
        items: list[_Finished | _Beat] = []
        while True:
            try:
                item = self._finished.get_nowait()
            except queue.Empty:
                return items
            items.append(item)
            self._running -= isinstance(item, _Finished)

    def _notify(self) -> None:
        observed, self.orchestrator.observed = self.orchestrator.observed, {}
        if self.observer is not None:
            for execution, entries in observed.items():
                self.observer(execution, entries)

    # inside the transaction ----------------------------------------------------------

    def _guarded(
        self, db: Any, item: WorkItem, action: Callable[[Any, Any], None], arg: Any
    ) -> None:
        """Runs ``action`` in a savepoint: a bug on one item must not block the others.
        The item waits a minute and is tried again; the error goes to the log."""
        db.execute("SAVEPOINT item")
        try:
            action(db, arg)
        except Exception:
            db.execute("ROLLBACK TO item")
            log.exception("work item %s (%s) failed; retrying in 60 s", item.id, item.kind)
            db.execute("UPDATE work SET ready = ?, owner = NULL WHERE id = ?",
                       (self.clock() + 60, item.id))  # fmt: skip
        db.execute("RELEASE item")

    def _record(self, db: Any, finished: _Finished | _Beat) -> None:
        item = finished.item
        if isinstance(finished, _Beat):
            assert item.execution is not None
            self.orchestrator.apply(db, item.execution, {"op": "heartbeat", **item.body})
            Store.extend(db, item.id, self.clock() + self._lease_seconds(item), self.id)
            return
        if not Store.done(db, item.id):
            return  # settled already: this run was late, after another worker took over
        service = item.body["service"]
        for name, payload in finished.emitted:
            self.orchestrator.publish(db, service, name, payload, validated=True)
        outcome = finished.outcome
        if item.kind == "task":
            self.orchestrator.task_outcome(db, item, outcome.output, outcome.error)
        else:
            self.orchestrator.delivery_outcome(db, item, outcome.error)

    def _apply_due(self, db: Any, now: float) -> int:
        """Applies due workflow events and declarative starts, up to ``batch``; how many."""
        budget = self.batch
        while budget > 0:
            items = Store.due_work(db, now, min(budget, 128), ("wf", "start"))
            if not items:
                break
            budget -= len(items)
            for item in items:
                self._guarded(db, item, self._apply, item)
        return self.batch - budget

    def _apply(self, db: Any, item: WorkItem) -> None:
        if item.kind == "start":
            self.orchestrator.start_from_event(db, item)
        else:
            Store.done(db, item.id)
            assert item.execution is not None
            self.orchestrator.apply(db, item.execution, item.body)

    def _lease(self, db: Any, now: float) -> list[WorkItem]:
        free = self._free()
        if free <= 0:
            return []
        items = Store.due_work(db, now, free, ("task", "delivery"))
        for item in items:
            Store.lease(db, item.id, now + self._lease_seconds(item), self.id)
        return items

    def _lease_seconds(self, item: WorkItem) -> float:
        service = self.orchestrator.services[item.body["service"]]
        if item.kind == "task":
            spec = service.tasks[item.body["name"]]
            return float(spec.get("timeout") or 300) + GRACE
        return float(service.subscriptions[item.body["subscription"]]["timeout"]) + GRACE

    def _liveness(self, db: Any, now: float) -> None:
        Store.seen(db, self.id, self.host, self.pid, now)
        dead = [
            worker for worker, host, pid, seen in Store.workers(db)
            if worker != self.id and (seen < now - STALE or (host == self.host and not _alive(pid)))
        ]  # fmt: skip
        if dead:
            released = Store.release(db, dead, now)
            log.info("took over %d work items of %d stopped worker(s)", released, len(dead))
        self._next_liveness = now + LIVENESS

    def _leave(self) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM workers WHERE id = ?", (self.id,))

    # in a handler thread ---------------------------------------------------------------

    def _run(self, item: WorkItem) -> None:
        try:
            self._report(self._call(item))
        except Exception as exc:  # an engine bug, not a handler's: the step fails visibly
            log.exception("work item %s could not run", item.id)
            self._report(_Finished(item, Outcome(error={"error": "EngineError",
                                                        "message": str(exc)})))  # fmt: skip

    def _report(self, finished: _Finished | _Beat) -> None:
        self._finished.put(finished)
        self._wake.poke()

    def _call(self, item: WorkItem) -> _Finished:
        body = item.body
        orchestrator = self.orchestrator
        values = orchestrator.values[body["service"]]
        emitted: list[tuple[str, Any]] = []

        def publish(name: str, payload: Any) -> None:
            emitted.append((name, values.payload(name, payload)))

        now = timestamp(self.clock())
        if item.kind == "task":
            spec = values.service.tasks[body["name"]]
            execution, attempt = str(item.execution), body["attempt"]
            ctx = TaskContext(
                execution_id=execution, attempt=attempt,
                idempotency_key=f"{execution}/{body['handle']}/{attempt}", now=now,
                emitter=emitter(spec["emits"], publish),
                beat=lambda: self._report(_Beat(item)) if spec.get("heartbeat") else None,
            )  # fmt: skip
            return _Finished(item, run_task(values, body["name"], body["input"], ctx), emitted)
        subscription = values.service.subscriptions[body["subscription"]]
        event = meta(body)
        sub_ctx = SubscriptionContext(event.id, event, now, emitter(subscription["emits"], publish))
        error = run_subscription(values, body["subscription"], event.name, body["payload"], sub_ctx)
        return _Finished(item, Outcome(error=error), emitted)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
