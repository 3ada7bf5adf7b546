"""A worker: takes due work from the store and does it, until told to stop.

Each round is one write transaction that (1) records the outcomes of handlers that
finished since the last round, (2) applies due workflow events and declarative starts
(no user code, so inside the transaction; a round stops taking more after
``ROUND_SECONDS`` so other writers get the lock), and (3) leases due task runs and
deliveries for handler threads, as many as it has free threads. A step's outcome,
the workflow's next state and the next task's lease therefore commit together: one
commit per round, however many steps the round holds.

Handlers run on at most ``threads`` daemon threads; a thread that finishes a run takes
the next leased one (up to twice ``threads`` are leased, so none waits for a round), or
waits ``THREAD_IDLE`` seconds for one before it ends (starting a thread per run would
cost more than a no-op step). While runs are fast (``FAST_RUN`` on average, as the
threads measure them) they go in groups: the worker holds ``AHEAD`` seconds of them
leased, and after a round waits (up to ``GROUP_WAIT``) for half of those outstanding
to report, so that one commit records many (a fan-out: ~16 commits for 4,000
deliveries, not 250); a run's lease covers the runs queued before it. A
handler still running at its timeout (the task step's ``timeout``, else the task's;
the subscription's) is abandoned: its run fails with ``Timeout``,
its thread no longer counts (a new one takes its place) and whatever it reports later
is ignored. A hung handler therefore never starves the worker, and never keeps its
process alive.

Waiting: between rounds (unless a round stopped at its budget with work still due) the
worker sleeps until a handler reports, another process commits work for it (``wake``),
work it has room for or a handler's deadline falls due, or a fallback look at the
store that backs off from ``BUSY_POLL`` to ``poll`` while nothing happens.

Crash safety: leased work belongs to this worker until its lease ends; a worker whose
process is gone (same host, dead pid) or that has not been seen for ``STALE`` seconds
loses its leases to the next worker that looks, at once. A lost run is run again at
the same attempt up to ``RERUNS`` times (the worker may have been killed from outside:
at least once); the next loss fails that attempt with ``WorkerLost``, so the retry
policy decides, as for any failure: a handler that crashes its process (a segfault,
``os.abort()``) ends FAILED or dead-lettered instead of crashing every worker forever.
Workflow steps apply exactly once, because the transaction that applies a step also
deletes the event it applied, and a late or repeated outcome finds its work item or
wait handle gone. ``stop`` lets in-flight handlers finish (until their timeouts) and
records them before returning; runs leased ahead that no thread has started go back to
the queue.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventual.errors import TIMEOUT
from eventual.invoke import (
    Outcome,
    run_subscription,
    run_task,
    subscription_context,
    task_context,
)  # fmt: skip
from eventual.status import ExecutionStatus

from .orchestrator import Observer, Orchestrator, Routed, meta, timestamp
from .store import APPLIED, KINDS, LEASED, Store, WorkItem, alive
from .wake import Wakeup

log = logging.getLogger("eventual.engine")

STALE = 15.0  # seconds without a sign of life before a worker's leases are taken over
LIVENESS = 2.0  # how often a worker says it is alive and looks for dead ones
GRACE = 60.0  # lease beyond a handler's own timeout
RERUNS = 2  # a run lost with its worker runs again at the same attempt this many times
ROUND_SECONDS = 0.25  # workflow steps one transaction applies before committing
WORKER_LOST = "WorkerLost"
# An idle worker's fallback look at the store, for work whose wake-up was lost (or on a
# platform without wake-ups): from BUSY_POLL after work, doubling to IDLE_POLL.
BUSY_POLL = 0.002
IDLE_POLL = 0.25
THREAD_IDLE = 1.0  # seconds a handler thread without work waits for the next run
# Handler runs this short on average are leased and reported in groups: a worker then
# holds up to AHEAD seconds of them (run one after the other), and after a round waits
# up to GROUP_WAIT for half of those in flight to report, so that one commit records many.
FAST_RUN = 0.001
AHEAD = 0.02
GROUP_WAIT = 0.002


@dataclass
class _Finished:
    item: WorkItem
    outcome: Outcome
    emitted: list[Routed] = field(default_factory=list)
    signals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (execution, event)


@dataclass
class _Beat:
    item: WorkItem


def _plain(outcomes: list[_Finished | _Beat]) -> tuple[list[int], list[_Finished | _Beat]]:
    """``(ids, the rest)``: the ids of deliveries that succeeded and sent nothing (their
    work item goes, and that is all, whether or not it was still there), the rest to
    record one by one."""
    plain: list[int] = []
    others: list[_Finished | _Beat] = []
    for finished in outcomes:
        if (
            isinstance(finished, _Finished) and finished.item.kind == "delivery"
            and finished.outcome.error is None and not finished.emitted and not finished.signals
        ):  # fmt: skip
            plain.append(finished.item.id)
        else:
            others.append(finished)
    return plain, others


@dataclass(frozen=True, slots=True)
class _Flight:
    """A handler run in progress: abandoned at ``deadline`` (``time.monotonic``)."""

    item: WorkItem
    timeout: float
    deadline: float


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
        self.abandoned = 0  # handler threads left running past their timeout
        self._finished: queue.SimpleQueue[_Finished | _Beat] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the six below: handler threads use them too
        self._ready = threading.Condition(self._lock)  # a run waits, or the worker ends
        self._inflight: dict[int, _Flight] = {}
        self._pending: deque[WorkItem] = deque()  # leased, waiting for a free thread
        self._busy = 0  # handler threads that count against ``threads``
        self._abandoned: set[int] = set()  # runs whose thread no longer counts
        self._idle_threads = 0  # of ``_busy``, those waiting for a run
        self._closing = False  # the worker has stopped: idle threads end
        self._wake = Wakeup(self.id)
        self._idle = BUSY_POLL
        self._next_liveness = 0.0
        self._claims = 0  # task runs this round's steps may lease to this worker
        self._run_seconds = math.inf  # recent mean of a handler run's duration (none yet)
        self._want = 1  # reports that wake the waiting worker (``_reported``)
        self._more = False  # the last round stopped at its budget, with work still due

    # the loop ----------------------------------------------------------------------------

    def run(
        self, stop: threading.Event | None = None, until: Callable[[], bool] | None = None
    ) -> None:
        """Works until ``stop`` is set or ``until()`` is true after a round, then lets
        in-flight handlers finish (or reach their timeouts) and records their outcomes."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                did = self.round(claim=True)
                if until is not None and until():
                    break
                if did:
                    self._idle = BUSY_POLL
                if not self._more:  # else the round left due work: the next one goes on
                    self._wait()
            self._release()
            while self._working():
                self._wake.wait(self._until_deadline(), self._reported)
                self.round(claim=False, ending=True)
            self._leave()
        finally:
            with self._lock:
                self._closing = True
                self._ready.notify_all()
            self._wake.close()

    def round(self, claim: bool, ending: bool = False) -> bool:
        """One transaction, when there is something to do; whether it did work.
        ``ending``: runs of executions that have ended are abandoned, not awaited."""
        outcomes = self._drain() + self._overdue(ending)
        self._launch()  # on the threads just freed, while this round commits
        now = self.clock()
        liveness = now >= self._next_liveness
        if not outcomes and not liveness and not (claim and self._due(now)):
            return False
        orchestrator = self.orchestrator
        if claim:  # a task a step schedules is this worker's at once, up to half its room
            self._claims = self._free() // 2
            orchestrator.claim = self._claim
        try:
            applied, leased = self._transact(outcomes, liveness, claim, now)
        except BaseException:
            orchestrator.observed.clear()
            raise
        finally:
            orchestrator.claim = None
            claimed, orchestrator.claimed = orchestrator.claimed, []
        self._notify()
        with self._lock:
            self._pending.extend(claimed + leased)
        self._launch()
        return bool(outcomes or applied or leased)

    def _transact(
        self, outcomes: list[_Finished | _Beat], liveness: bool, claim: bool, now: float
    ) -> tuple[int, list[WorkItem]]:
        """The round's transaction: workflow steps applied, and the runs it leased."""
        leased: list[WorkItem] = []
        applied = 0
        with self.store.write() as db:
            plain, others = _plain(outcomes)
            Store.done_all(db, plain)
            self._record_all(db, others)
            if liveness:
                self._liveness(db, now)
            if claim:
                applied = self._apply_due(db, now)
                # what this round scheduled is due by now: lease it in this commit
                leased = self._lease(db, max(now, self.clock()))
        return applied, leased

    def _claim(self, body: dict[str, Any]) -> tuple[str, float] | None:
        """``(owner, lease end)`` for a task run a step of this round schedules, while
        this round has room for it; else ``None`` (queued for any worker)."""
        claimed = len(self.orchestrator.claimed)
        if claimed >= self._claims:
            return None
        queued = len(self._pending) + claimed + 1
        return self.id, self.clock() + self._lease_seconds(self._timeout("task", body), queued)

    def _due(self, now: float) -> bool:
        """Whether work this worker could take now is due (handlers only with a free thread)."""
        with self.store.errors():
            return Store.is_due(self.store.db, now, self._takeable())

    def _takeable(self) -> tuple[str, ...]:
        """The kinds of work a round could take now: handler runs only with room."""
        return KINDS if self._free() > 0 else APPLIED

    def _free(self) -> int:
        """Runs to lease: what ``_room`` leaves."""
        with self._lock:
            return self._room() - len(self._inflight) - len(self._pending)

    def _room(self) -> int:
        """Runs this worker holds at most: a little more than its threads (twice), so
        none waits for a round; while runs are fast (``FAST_RUN``), what its threads do
        in ``AHEAD`` seconds one after the other, up to ``batch``."""
        room = self.threads * 2
        if self._run_seconds < FAST_RUN:
            room = max(room, min(self.batch, int(AHEAD / max(self._run_seconds, 1e-6))))
        return room

    def _grouping(self) -> bool:
        """Whether fast runs are in flight: a round is worth it once a group reported."""
        return self._run_seconds < FAST_RUN and self._outstanding() > 0

    def _outstanding(self) -> int:
        """Runs leased and not yet recorded (a read of two lengths: no lock needed)."""
        return len(self._inflight) + len(self._pending)

    def _working(self) -> bool:
        with self._lock:
            return bool(self._inflight or self._pending)

    def _wait(self) -> None:
        """Until a handler reports, another process commits work, the next timer or
        handler deadline is due, or (a fallback that doubles while nothing happens) the
        store should be looked at again. While fast runs are in flight: until half of
        them reported, or ``GROUP_WAIT``."""
        if self._grouping():
            timeout = min(GROUP_WAIT, self._until_deadline())
            self._want = max(1, self._outstanding() // 2)
        else:
            timeout = self._idle
            with self.store.errors():
                due = Store.next_due(self.store.db, self._takeable())
            if due is not None:
                timeout = min(timeout, max(0.0, due - self.clock()))
            if self._working():
                timeout = min(timeout, self._until_deadline())
        try:
            woken = self._wake.wait(timeout, self._reported)
        finally:
            self._want = 1
        if not woken:
            self._idle = min(self._idle * 2, self.poll if self._wake.listening else 0.05)

    def _reported(self) -> bool:
        """Whether handlers reported enough since the last ``_drain`` for a round: at
        least ``_want``, or all the runs outstanding."""
        reports = self._finished.qsize()
        return reports > 0 and (reports >= self._want or reports >= self._outstanding())

    def _until_deadline(self) -> float:
        """Seconds until the soonest deadline of a run in flight, at most ``LIVENESS``.
        Runs waiting for a thread have none yet (the thread that takes one reports it):
        with only those, the worker does not look again at once, again and again."""
        with self._lock:
            soonest = min((f.deadline for f in self._inflight.values()), default=math.inf)
        return max(0.0, min(soonest - time.monotonic(), LIVENESS))

    def _drain(self) -> list[_Finished | _Beat]:
        """What handlers in flight reported, in order; a report of a run abandoned at
        its timeout is dropped (that run was settled then)."""
        items: list[_Finished | _Beat] = []
        while True:
            try:
                items.append(self._finished.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            kept = [item for item in items if item.item.id in self._inflight]
            for item in kept:
                if isinstance(item, _Finished):
                    del self._inflight[item.item.id]
        return kept

    def _overdue(self, ending: bool) -> list[_Finished | _Beat]:
        """Runs past their timeout (and, when ``ending``, runs for ended executions),
        abandoned: they fail with ``Timeout`` and their thread stops counting."""
        now = time.monotonic()
        with self._lock:
            flights = list(self._inflight.values())
        late = [f for f in flights if f.deadline <= now]
        if ending:
            late += [f for f in flights if now < f.deadline < math.inf and self._ended(f)]
        abandoned: list[_Finished | _Beat] = []
        for flight in late:
            with self._lock:
                if self._inflight.get(flight.item.id) is not flight:
                    continue  # it finished meanwhile
                del self._inflight[flight.item.id]
                self._abandoned.add(flight.item.id)
                self._busy -= 1
            self.abandoned += 1
            self._timed(flight.timeout)
            message = f"the handler ran past its timeout of {flight.timeout:g} s"
            log.warning("work item %s: %s; its thread is abandoned", flight.item.id, message)
            error = {"error": TIMEOUT, "message": message}
            abandoned.append(_Finished(flight.item, Outcome(error=error)))
        return abandoned

    def _ended(self, flight: _Flight) -> bool:
        if flight.item.kind != "task":
            return False
        with self.store.errors():
            row = self.store.db.execute(
                "SELECT status FROM executions WHERE id = ?", (flight.item.execution,)
            ).fetchone()
        return row is None or row[0] != ExecutionStatus.IN_PROGRESS.value

    def _notify(self) -> None:
        observed, self.orchestrator.observed = self.orchestrator.observed, {}
        if self.observer is not None:
            for execution, entries in observed.items():
                self.observer(execution, entries)

    # inside the transaction ----------------------------------------------------------

    def _guarded(
        self, db: Any, item: WorkItem, action: Callable[[Any, Any], None], arg: Any
    ) -> bool:
        """Runs ``action`` in a savepoint: a bug on one item must not block the others.
        The item waits a minute and is tried again; the error goes to the log. Whether
        ``action`` succeeded."""
        db.execute("SAVEPOINT item")
        claimed = len(self.orchestrator.claimed)
        try:
            action(db, arg)
        except Exception:
            db.execute("ROLLBACK TO item")
            del self.orchestrator.claimed[claimed:]
            log.exception("work item %s (%s) failed; retrying in 60 s", item.id, item.kind)
            db.execute("UPDATE work SET ready = ?, owner = NULL WHERE id = ?",
                       (self.clock() + 60, item.id))  # fmt: skip
            return False
        finally:
            db.execute("RELEASE item")
        return True

    def _record_all(self, db: Any, outcomes: list[_Finished | _Beat]) -> None:
        """Records ``outcomes`` one by one (``_guarded``); the work items of the runs
        recorded go at the end, in one statement. A run whose item is gone already
        was late (another worker took over, and settled it): its outcome is dropped."""
        ends = [outcome.item.id for outcome in outcomes if isinstance(outcome, _Finished)]
        there = Store.present(db, ends)
        recorded: list[int] = []
        for outcome in outcomes:
            ended = isinstance(outcome, _Finished)
            if ended and outcome.item.id not in there:
                continue
            if self._guarded(db, outcome.item, self._record, outcome) and ended:
                recorded.append(outcome.item.id)
        Store.done_all(db, recorded)

    def _record(self, db: Any, finished: _Finished | _Beat) -> None:
        item = finished.item
        if isinstance(finished, _Beat):
            assert item.execution is not None
            self.orchestrator.apply(db, item.execution, {"op": "heartbeat", **item.body})
            lease = self._lease_seconds(self._timeout(item.kind, item.body))
            Store.extend(db, item.id, self.clock() + lease, self.id)
            return
        for routed in finished.emitted:
            self.orchestrator.log_event(db, routed)
        for execution, event in finished.signals:  # dropped if it has ended since
            Store.add_work(db, "wf", execution, self.clock(), event)
        self.orchestrator.outcome(db, item, finished.outcome.output, finished.outcome.error)

    def _apply_due(self, db: Any, now: float) -> int:
        """Applies due workflow events and declarative starts, up to ``batch`` or
        ``ROUND_SECONDS``, whichever comes first; how many."""
        budget = self.batch
        ends = time.monotonic() + ROUND_SECONDS
        self._more = True
        while budget > 0:
            items = Store.due_work(db, now, min(budget, 128), APPLIED)
            if not items:
                self._more = False
                break
            for item in items:
                self._guarded(db, item, self._apply, item)
                budget -= 1
                if time.monotonic() >= ends:
                    return self.batch - budget
        return self.batch - budget

    def _apply(self, db: Any, item: WorkItem) -> None:
        if item.kind == "start":
            self.orchestrator.start_from_event(db, item)
        else:
            Store.done(db, item.id)
            assert item.execution is not None
            self.orchestrator.apply(db, item.execution, item.body)

    def _lease(self, db: Any, now: float) -> list[WorkItem]:
        free = self._free() - len(self.orchestrator.claimed)
        if free <= 0:
            return []
        items = self._careful(Store.due_work(db, now, free, LEASED))
        ends: dict[float, list[int]] = {}  # runs of one task or subscription share theirs
        queued = len(self._pending) + len(self.orchestrator.claimed) + len(items)
        for item in items:
            until = now + self._lease_seconds(self._timeout(item.kind, item.body), queued)
            ends.setdefault(until, []).append(item.id)
        for until, ids in ends.items():
            Store.lease(db, ids, until, self.id)
        return items

    def _careful(self, items: list[WorkItem]) -> list[WorkItem]:
        """``items`` up to the first run lost with a worker before (``_lost``) that a
        thread could not start at once (room beyond twice the threads): such a run is
        never held ahead, so that a worker that dies holding many fast runs charges the
        loss to few of them a second time, and a run that crashes its process is held
        beside few others."""
        room = self.threads * 2 - self._outstanding() - len(self.orchestrator.claimed)
        for position, item in enumerate(items):
            if position >= room and item.body.get("lost"):
                return items[:position]
        return items

    def _timeout(self, kind: str, body: dict[str, Any]) -> float:
        """Seconds the handler of a work item of ``kind`` and ``body`` may run."""
        service = self.orchestrator.services[body["service"]]
        if kind == "task":
            return float(body.get("timeout") or service.tasks[body["name"]].timeout)
        return float(service.subscriptions[body["subscription"]].timeout)

    def _lease_seconds(self, timeout: float, queued: int = 1) -> float:
        """A lease that covers the run (``timeout``) and the wait for a thread, with
        ``queued`` runs (it included) held on this worker's threads before it ends."""
        return timeout * math.ceil(queued / self.threads) + GRACE

    def _liveness(self, db: Any, now: float) -> None:
        Store.seen(db, self.id, self.host, self.pid, now)
        dead = [
            worker for worker, host, pid, seen in Store.workers(db)
            if worker != self.id and (seen < now - STALE or (host == self.host and not alive(pid)))
        ]  # fmt: skip
        for worker in dead:
            lost = Store.leased_by(db, worker)
            for item in lost:
                self._guarded(db, item, self._lost, (item, f"its worker {worker} stopped"))
            Store.forget(db, worker)
            log.info("took over %d work items of stopped worker %s", len(lost), worker)
        for item in Store.expired(db, now, self.id):
            self._guarded(db, item, self._lost, (item, "its lease ran out"))
        self._next_liveness = now + LIVENESS

    def _lost(self, db: Any, lost: tuple[WorkItem, str]) -> None:
        """A run whose worker is gone: run again at the same attempt, or (past
        ``RERUNS``) failed with ``WorkerLost``, for its retry policy to decide."""
        item, why = lost
        times = int(item.body.get("lost", 0)) + 1
        if times <= RERUNS:
            Store.requeue(db, item.id, self.clock(), {**item.body, "lost": times})
            return
        Store.done(db, item.id)
        message = (f"attempt {item.body['attempt']} was lost {times} times ({why}); a handler "
                   "that crashes its process (a segfault, os.abort()) does this")  # fmt: skip
        self.orchestrator.outcome(db, item, None, {"error": WORKER_LOST, "message": message})

    def _release(self) -> None:
        """Gives the runs no thread has started back to the queue, due now: stopping
        waits for the runs in flight, not for those leased ahead of them."""
        with self._lock:
            waiting = [item.id for item in self._pending]
            self._pending.clear()
        if waiting:
            with self.store.write() as db:
                Store.release(db, waiting, self.clock(), self.id)

    def _leave(self) -> None:
        with self.store.write() as db:
            Store.forget(db, self.id)

    # in a handler thread ---------------------------------------------------------------

    def _launch(self) -> None:
        """Hands waiting runs to idle threads, and starts a thread for each run left
        while fewer than ``threads`` count."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                if self._idle_threads:
                    self._ready.notify(len(self._pending))
                if len(self._pending) <= self._idle_threads or self._busy >= self.threads:
                    return
                item = self._begin(self._pending.popleft())
                self._busy += 1
            name = f"eventual-handler-{item.id}"
            threading.Thread(target=self._run, args=(item,), name=name, daemon=True).start()

    def _begin(self, item: WorkItem) -> WorkItem:
        """Records ``item`` as running from now (under the lock)."""
        timeout = self._timeout(item.kind, item.body)
        self._inflight[item.id] = _Flight(item, timeout, time.monotonic() + timeout)
        return item

    def _run(self, first: WorkItem) -> None:
        """Runs ``first``, then waiting runs, until none waits or this thread was
        abandoned (its run passed its timeout: another thread took its place)."""
        item: WorkItem | None = first
        while item is not None:
            began = time.perf_counter()
            finished = self._outcome(item)
            self._timed(time.perf_counter() - began)
            self._report(finished)
            item = self._next(item)

    def _timed(self, seconds: float) -> None:
        """Takes the duration of a run into the recent mean (threads race here: a lost
        update only makes the mean a little older)."""
        mean = self._run_seconds
        self._run_seconds = seconds if mean == math.inf else mean + (seconds - mean) / 8

    def _next(self, done: WorkItem) -> WorkItem | None:
        with self._lock:
            if done.id in self._abandoned:
                self._abandoned.discard(done.id)
                return None
            flight = self._inflight.get(done.id)
            if flight is not None:  # reported: no longer to abandon
                self._inflight[done.id] = _Flight(flight.item, flight.timeout, math.inf)
            self._idle_threads += 1
            ends = time.monotonic() + THREAD_IDLE
            while not self._pending and not self._closing and time.monotonic() < ends:
                self._ready.wait(ends - time.monotonic())
            self._idle_threads -= 1
            if self._pending:
                return self._begin(self._pending.popleft())
            self._busy -= 1
            return None

    def _report(self, finished: _Finished | _Beat) -> None:
        """Hands an outcome to the worker, waking it when it waits for this one."""
        self._finished.put(finished)
        if self._wake.waiting and self._reported():
            self._wake.poke()

    def _outcome(self, item: WorkItem) -> _Finished:
        try:
            return self._call(item)
        except BaseException as exc:  # an engine bug, not a handler's: the step fails visibly
            log.exception("work item %s could not run", item.id)
            return _Finished(item, Outcome(error={"error": "EngineError", "message": str(exc)}))

    def _call(self, item: WorkItem) -> _Finished:
        body = item.body
        orchestrator = self.orchestrator
        values = orchestrator.values[body["service"]]
        emitted: list[Routed] = []

        signals: list[tuple[str, dict[str, Any]]] = []

        def publish(name: str, payload: Any) -> None:
            emitted.append(orchestrator.route(body["service"], name, payload))

        def send(workflow: str, name: str, signal: str, payload: Any) -> None:
            with self.store.errors():  # this thread's connection; only reads
                found = orchestrator.signal_request(
                    self.store.db, body["service"], workflow, name, signal, payload
                )
            signals.append(found)

        now = timestamp(self.clock())
        if item.kind == "task":
            spec = values.service.tasks[body["name"]]
            execution, attempt = str(item.execution), body["attempt"]
            ctx = task_context(
                spec, execution, body["handle"], attempt, now, publish,
                lambda: self._report(_Beat(item)), send,
            )  # fmt: skip
            outcome = run_task(values, body["name"], body["input"], ctx)
            return _Finished(item, outcome, emitted, signals)
        subscription = values.service.subscriptions[body["subscription"]]
        event = meta(body)
        sub_ctx = subscription_context(subscription, event, now, publish, send)
        error = run_subscription(values, body["subscription"], event.name, body["payload"], sub_ctx)
        return _Finished(item, Outcome(error=error), emitted, signals)
