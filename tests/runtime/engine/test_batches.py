"""The worker's work in bulk: finding, leasing and settling many runs at once.

A fan-out queues thousands of deliveries at once; a round must not read all of them to
find the one workflow event it applies, and many deliveries are leased, run and
settled together without losing what each of them promises on its own: its retries,
its dead letter, its timeout.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from tests.support import MakeService

from eventual import Service
from eventual.engine import Engine
from eventual.engine.store import SCHEMA_VERSION, Store

SPEC = """\
service: bulk
events:
  Tick: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}
tasks:
  noop: {input: integer, output: integer}
subscriptions:
  count: {events: [Tick]}
  picky: {events: [Tick], retry: {attempts: 2, backoff: 1s}}
workflows:
  two:
    input: integer
    steps:
      - {task: noop, input: "${{ input }}"}
      - {task: noop, input: "${{ input }}"}
"""
NOOP = """\
import eventual


def noop(input: int, ctx: eventual.TaskContext) -> int:
    return input
"""
COUNT = """\
import eventual
from ..models import Tick

SEEN: list[int] = []


def count(event: Tick, ctx: eventual.SubscriptionContext) -> None:
    SEEN.append(event.n)
"""
PICKY = """\
import eventual
from ..models import Tick

SEEN: list[int] = []


def picky(event: Tick, ctx: eventual.SubscriptionContext) -> None:
    SEEN.append(event.n)
    if event.n % 10 == 3:
        raise eventual.TaskError("Odd", f"{event.n} ends in 3")
"""


@pytest.fixture
def bulk(make_service: MakeService) -> Service:
    return make_service(SPEC, noop=NOOP, count=COUNT, picky=PICKY)


def _steps(db: sqlite3.Connection, action: Callable[[], object]) -> int:
    """SQLite virtual machine steps ``action()`` takes (a measure of rows read)."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    db.set_progress_handler(tick, 1)
    try:
        action()
    finally:
        db.set_progress_handler(None, 1)
    return steps[0]


def test_finding_due_work_of_one_kind_does_not_read_the_others(
    bulk: Service, tmp_path: Path
) -> None:
    """With 3,000 deliveries due, looking for due workflow events (there is one) costs
    what it costs with 30: the query reads the kind it wants, not everything due."""
    engine = Engine(tmp_path / "e.db", [bulk])
    db = engine.store.db
    costs = []
    for deliveries in (15, 1500):  # two subscriptions: twice as many deliveries
        with engine.store.write() as w:
            w.execute("DELETE FROM work")
            for n in range(deliveries):
                engine.orchestrator.publish(w, "bulk", "Tick", {"n": n})
            Store.add_work(w, "wf", "some-execution", 0.0, {"op": "start"})
        now = time.time() + 1
        found = Store.due_work(db, now, 128, ("wf", "start"))
        assert [item.kind for item in found] == ["wf"]
        costs.append(_steps(db, partial(Store.due_work, db, now, 128, ("wf", "start"))))
        costs.append(_steps(db, partial(Store.is_due, db, now, ("wf", "start"))))
    assert costs[2] < 2 * costs[0] and costs[3] < 2 * costs[1], costs


def test_due_work_of_several_kinds_comes_oldest_first(bulk: Service, tmp_path: Path) -> None:
    engine = Engine(tmp_path / "e.db", [bulk])
    with engine.store.write() as db:
        for ready, kind in [(5.0, "task"), (1.0, "delivery"), (3.0, "task"), (2.0, "delivery"),
                            (9.0, "task"), (0.5, "wf")]:  # fmt: skip
            Store.add_work(db, kind, None, ready, {"at": ready})
    found = Store.due_work(engine.store.db, 6.0, 3, ("task", "delivery"))
    assert [(item.kind, item.body["at"]) for item in found] == [
        ("delivery", 1.0),
        ("delivery", 2.0),
        ("task", 3.0),
    ]


def test_an_older_store_gains_the_index_of_work_by_kind(bulk: Service, tmp_path: Path) -> None:
    engine = Engine(tmp_path / "e.db", [bulk])
    with engine.store.write() as db:
        db.execute("DROP INDEX work_by_kind")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    engine.close()
    engine = Engine(tmp_path / "e.db", [bulk])
    indexes = {row[0] for row in engine.store.db.execute("SELECT name FROM sqlite_master")}
    assert "work_by_kind" in indexes
    assert engine.store.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),
    )


def test_a_store_of_schema_5_keeps_its_history_and_goes_on(bulk: Service, tmp_path: Path) -> None:
    """Schema 5 kept a history row per entry (and indexed work by ``ready``); opening
    such a store moves every entry, and its executions go on where they were."""
    engine = Engine(tmp_path / "e.db", [bulk])
    done = engine.start("two", 1)
    engine.run(until=lambda: engine.finished(done))
    going = engine.start("two", 2)
    engine.run(until=lambda: len(engine.history(going)) > 0)
    before = {execution: engine.history(execution) for execution in (done, going)}
    assert not engine.finished(going) and before[going]
    with engine.store.write() as db:
        db.execute("DROP TABLE history")
        db.execute(
            "CREATE TABLE history (execution TEXT NOT NULL, seq INTEGER NOT NULL, "
            "entry TEXT NOT NULL, PRIMARY KEY (execution, seq)) WITHOUT ROWID"
        )
        db.executemany("INSERT INTO history VALUES (?, ?, ?)", [
            (execution, seq, json.dumps(entry))
            for execution, entries in before.items() for seq, entry in enumerate(entries)
        ])  # fmt: skip
        db.execute("CREATE INDEX work_by_ready ON work (ready)")
        db.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
    engine.close()
    engine = Engine(tmp_path / "e.db", [bulk])
    assert {execution: engine.history(execution) for execution in before} == before
    engine.run(until=lambda: engine.finished(going))
    after = engine.history(going)
    assert after[: len(before[going])] == before[going]
    assert [entry["type"] for entry in after] == [entry["type"] for entry in before[done]]
    tables = {row[0] for row in engine.store.db.execute("SELECT name FROM sqlite_master")}
    assert "work_by_ready" not in tables and "history_5" not in tables
    engine.close()


def _engine(bulk: Service, path: Path, threads: int = 2) -> Engine:
    for name in ("count", "picky"):
        importlib.import_module(f"{bulk.package}.handlers.{name}").SEEN.clear()
    return Engine(path, [bulk], threads=threads)


def _seen(bulk: Service, name: str) -> list[int]:
    seen: list[int] = importlib.import_module(f"{bulk.package}.handlers.{name}").SEEN
    return seen


def test_fast_deliveries_are_leased_and_recorded_in_groups(bulk: Service, tmp_path: Path) -> None:
    """Two threads, 300 fast deliveries: a worker holds more than twice its threads once
    it has seen its runs are fast, and waits for a group of them to report before it
    commits, so far fewer commits than 300 / 4 record them. Each is still delivered,
    and the failing ones retried once, then dead-lettered, one by one."""
    engine = _engine(bulk, tmp_path / "e.db")
    for n in range(150):
        engine.publish("Tick", {"n": n})
    commits = engine.store.commits
    engine.run(until=engine.idle)
    assert sorted(_seen(bulk, "count")) == list(range(150))
    failing = [n for n in range(150) if n % 10 == 3]
    assert sorted(_seen(bulk, "picky")) == sorted([*range(150), *failing])  # retried once
    assert sorted(d.payload["n"] for d in engine.dead_letters()) == failing
    assert {(d.subscription, d.attempts) for d in engine.dead_letters()} == {("picky", 2)}
    assert engine.store.commits - commits < 40, engine.store.commits - commits


def _lost_run(bulk: Service, n: int, lost: int) -> dict[str, Any]:
    body = {"service": bulk.name, "subscription": "count", "payload": {"n": n}, "attempt": 1,
            "event": {"id": f"e{n}", "name": "Tick", "source": bulk.name, "time": 0.0}}  # fmt: skip
    return {**body, "lost": lost} if lost else body


def test_a_run_lost_with_a_worker_before_is_not_held_ahead(bulk: Service, tmp_path: Path) -> None:
    """A worker whose runs are fast leases beyond twice its threads, but a run that was
    lost with a worker before only into that room: the oldest first, up to it."""
    engine = _engine(bulk, tmp_path / "e.db")
    with engine.store.write() as db:
        for n in range(40):
            Store.add_work(db, "delivery", None, float(n), _lost_run(bulk, n, 0))
        for n in range(40, 50):
            Store.add_work(db, "delivery", None, float(n), _lost_run(bulk, n, 1))
    worker = engine.worker()
    worker._run_seconds = 1e-5  # runs measured fast
    assert worker.round(claim=True)
    owned = engine.store.db.execute("SELECT body FROM work WHERE owner = ?", (worker.id,))
    assert sorted(json.loads(row[0])["payload"]["n"] for row in owned) == list(range(40))
    worker.run(until=engine.idle)
    assert sorted(_seen(bulk, "count")) == list(range(50))


def test_a_hung_handler_in_a_group_is_abandoned_and_the_group_goes_on(
    make_service: MakeService, tmp_path: Path
) -> None:
    spec = SPEC.replace("picky: {events: [Tick], retry: {attempts: 2, backoff: 1s}}",
                        "picky: {events: [Tick], timeout: 1s, retry: {attempts: 1}}")  # fmt: skip
    bulk = make_service(spec, noop=NOOP, count=COUNT, picky=PICKY.replace(
        "    if event.n % 10 == 3:", "    if event.n == 42:\n        time.sleep(30)\n    if False:"
    ).replace("import eventual\n", "import time\n\nimport eventual\n", 1))  # fmt: skip
    engine = _engine(bulk, tmp_path / "e.db")
    for n in range(100):
        engine.publish("Tick", {"n": n})
    began = time.monotonic()
    worker = engine.worker()
    worker.run(until=engine.idle)
    assert time.monotonic() - began < 15  # the hung run was abandoned at its timeout
    assert worker.abandoned == 1
    assert sorted(_seen(bulk, "count")) == list(range(100))
    assert sorted(_seen(bulk, "picky")) == list(range(100))
    [dead] = engine.dead_letters()
    assert (dead.subscription, dead.payload, dead.error["error"]) == ("picky", {"n": 42}, "Timeout")


def test_a_worker_does_not_spin_while_its_runs_wait_for_a_thread(
    bulk: Service, tmp_path: Path
) -> None:
    """Runs leased and waiting for a thread have no deadline yet: the worker waits for
    a report (or its next look), it does not look again and again at once."""
    engine = _engine(bulk, tmp_path / "e.db")
    engine.publish("Tick", {"n": 1})
    worker = engine.worker()
    worker._busy = worker.threads  # every thread taken: the runs stay waiting
    assert worker.round(claim=True)
    assert worker._working()
    worker._idle = 0.3
    began = time.monotonic()
    worker._wait()
    assert time.monotonic() - began >= 0.25


def test_a_worker_without_room_does_not_spin_on_the_runs_it_cannot_take(
    bulk: Service, tmp_path: Path
) -> None:
    """Runs due that a worker has no room for are not its business until a report
    frees some: it does not look at the store again and again because they are due."""
    engine = _engine(bulk, tmp_path / "e.db")
    for n in range(10):
        engine.publish("Tick", {"n": n})
    worker = engine.worker()
    worker._busy = worker.threads  # every thread taken: what it leases stays waiting
    assert worker.round(claim=True)
    assert worker._free() == 0
    unleased = engine.store.db.execute("SELECT count(*) FROM work WHERE owner IS NULL")
    assert unleased.fetchone()[0] > 0  # due, and not this worker's to take
    worker._idle = 0.3
    began = time.monotonic()
    worker._wait()
    assert time.monotonic() - began >= 0.25


def test_an_outcome_that_fails_to_record_keeps_its_run_and_the_others_settle(
    bulk: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs recorded in one round are settled together at its end: one whose record
    fails (an engine bug) keeps its work item, due again in a minute, unleased."""
    engine = _engine(bulk, tmp_path / "e.db", threads=4)
    executions = [engine.start("two", n) for n in range(4)]
    worker = engine.worker()
    recorded = worker.orchestrator.task_outcome

    def task_outcome(db: Any, item: Any, output: Any, error: Any) -> None:
        if item.execution == executions[1]:
            raise RuntimeError("a bug in recording")
        recorded(db, item, output, error)

    monkeypatch.setattr(worker.orchestrator, "task_outcome", task_outcome)
    worker.run(until=lambda: all(engine.finished(e) for e in executions if e != executions[1]))
    rows = engine.store.db.execute(
        "SELECT kind, owner, ready FROM work WHERE execution = ? AND kind = 'task'",
        (executions[1],),
    ).fetchall()
    assert [(kind, owner) for kind, owner, _ in rows] == [("task", None)]
    assert rows[0][2] >= time.time() + 50
    assert not engine.finished(executions[1])
    left = engine.store.db.execute("SELECT count(*) FROM work WHERE kind = 'task'").fetchone()
    assert left == (1,)


def test_stopping_gives_back_the_runs_no_thread_has_started(bulk: Service, tmp_path: Path) -> None:
    """A worker that stops waits for the runs in flight, not for the many it leased
    ahead: those go back to the queue, unleased, and the next worker runs them."""
    engine = _engine(bulk, tmp_path / "e.db")
    for n in range(20):
        engine.publish("Tick", {"n": n})
    worker = engine.worker()
    worker._run_seconds = 1e-5  # runs measured fast: it leases all 40
    worker._busy = worker.threads  # no thread takes them
    assert worker.round(claim=True)
    stop = threading.Event()
    stop.set()
    stopping = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    stopping.start()
    stopping.join(10)
    assert not stopping.is_alive()
    rows = engine.store.db.execute("SELECT owner FROM work WHERE kind = 'delivery'").fetchall()
    assert rows == [(None,)] * 40
    engine.run(until=engine.idle)
    assert sorted(_seen(bulk, "count")) == list(range(20))
