"""The embedded SQLite engine, behaviour by behaviour, against the TestEnvironment.

Each scenario runs twice: in the TestEnvironment and on a real SQLite file with a
virtual clock (``EngineClock``: the engine's clock is a parameter), driven by
``tick`` exactly as the TestEnvironment's. Both must end the same way and write the
same history, entry for entry, times included: one interpreter, two ports.
"""

from __future__ import annotations

import importlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.parity import DOUBLE, NOTE, SPEC, EngineClock, VirtualEngine, same
from tests.support import MakeService

from eventual import ExecutionStatus, Service
from eventual.engine import Engine, EngineError
from eventual.engine.store import Store, WorkItem
from eventual.testing import TestEnvironment

UNDO = """\
import eventual

CALLS: list[str] = []

def undo(input: str, ctx: eventual.TaskContext) -> None:
    CALLS.append(input)
"""
ON_BIG = """\
import eventual
from ..models import Big

SEEN: list[float] = []

def on_big(event: Big, ctx: eventual.SubscriptionContext) -> None:
    SEEN.append(event.amount)
    if event.amount > 1000:
        raise eventual.TaskError("TooBig", f"{event.amount} is too big")
"""
SLOW = """\
import eventual

KEYS: list[str] = []

def slow(input: int, ctx: eventual.TaskContext) -> int:
    KEYS.append(ctx.idempotency_key)
    ctx.heartbeat()
    return input + 1
"""


@pytest.fixture
def flows(make_service: MakeService) -> Service:
    return make_service(SPEC, double=DOUBLE, note=NOTE, undo=UNDO, on_big=ON_BIG, slow=SLOW)


def signal(runtime: Any, execution: str, name: str, payload: Any) -> None:
    if isinstance(runtime, TestEnvironment):
        runtime.send_signal(execution, name, payload)
    else:
        runtime.engine.signal(execution, name, payload)


def cancel(runtime: Any, execution: str) -> None:
    if isinstance(runtime, TestEnvironment):
        runtime.cancel(execution)
    else:
        runtime.engine.cancel(execution)


# -- the same behaviour as the TestEnvironment ------------------------------------------------


def test_for_each_parallel_if_set_emit_return(flows: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("sum", [3, 4, 5])
        start("branches", 6)
        start("looping")
        runtime.tick()

    got = same(flows, tmp_path, scenario)
    assert [g[:2] for g in got] == [
        ["SUCCEEDED", 14], ["SUCCEEDED", {"size": "big", "both": {"a": 12, "b": 14}}],
        ["SUCCEEDED", None],
    ]  # fmt: skip


def test_child_workflows(flows: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("parent", [1, 2])
        runtime.tick()

    assert same(flows, tmp_path, scenario)[0][:2] == ["SUCCEEDED", 60]


def test_a_rejected_saga_compensates_in_reverse(flows: Service, tmp_path: Path) -> None:
    undo = importlib.import_module(f"{flows.package}.handlers.undo")

    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        execution = start("saga", 2)
        runtime.tick()
        signal(runtime, execution, "go", False)
        runtime.tick()

    got = same(flows, tmp_path, scenario)
    assert got[0][:3] == ["FAILED", None, {"error": "Rejected", "message": "no go for 2"}]
    assert undo.CALLS == ["two", "one 4"] * 2  # once per runtime


def test_early_signals_cancel_and_signal_timeouts(flows: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        early = start("saga", 1)
        signal(runtime, early, "go", True)
        cancelled = start("saga", 1)
        runtime.tick()
        cancel(runtime, cancelled)
        start("saga", 3)  # never signalled: times out after 1h
        runtime.tick(3600)

    got = same(flows, tmp_path, scenario)
    assert [g[0] for g in got] == ["SUCCEEDED", "CANCELLED", "FAILED"]
    assert got[2][2]["error"] == "Timeout"


def test_timers_workflow_timeout_and_sleep_until(flows: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("timed")
        start("until")
        runtime.tick(3599)
        runtime.tick(1)
        runtime.tick(1800)

    got = same(flows, tmp_path, scenario)
    assert [g[:2] for g in got] == [["TIMED_OUT", None], ["SUCCEEDED", "1970-01-01T01:30:00Z"]]


def test_retries_and_heartbeats(flows: Service, tmp_path: Path) -> None:
    slow = importlib.import_module(f"{flows.package}.handlers.slow")

    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("beating", 5)
        start("picky", 3)
        runtime.tick(100)

    got = same(flows, tmp_path, scenario)
    assert [g[0] for g in got] == ["SUCCEEDED", "SUCCEEDED"]
    assert [h["output"] for h in got[0][3] if h["type"] == "TaskSucceeded"] == [6]
    engine_key = slow.KEYS[-1]
    assert engine_key.startswith("beating-") and engine_key.endswith("/1")


def test_subscriptions_dead_letters_and_declarative_starts(flows: Service, tmp_path: Path) -> None:
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    engine = virtual.engine
    for amount in (50, 500, 5000, 500):
        engine.publish("Big", {"amount": amount})
    virtual.tick(10)
    letters = engine.dead_letters()
    assert [(d.subscription, d.event, d.payload, d.error, d.attempts) for d in letters] == [
        ("onBig", "Big", {"amount": 5000}, {"error": "TooBig", "message": "5000.0 is too big"}, 2)
    ]
    sums = engine.executions(workflow="sum")
    assert sorted(e.name for e in sums) == [
        "big-50",
        "big-500",
        "big-5000",
    ]  # the payload as published
    assert all(e.status is ExecutionStatus.SUCCEEDED for e in sums)
    on_big = importlib.import_module(f"{flows.package}.handlers.on_big")
    assert sorted(on_big.SEEN) == [500, 500, 5000, 5000]  # filter > 100; 5000 tried twice
    assert engine.redrive() == 1
    assert engine.dead_letters() == []
    virtual.tick(10)
    assert [d.payload for d in engine.dead_letters()] == [{"amount": 5000}]
    with pytest.raises(EngineError, match="no dead letter 99"):
        engine.redrive([99])


def test_requests_are_checked_when_made(flows: Service, tmp_path: Path) -> None:
    engine = VirtualEngine(flows, tmp_path / "e.db").engine
    with pytest.raises(EngineError, match="input of sum"):
        engine.start("sum", "not a list")
    with pytest.raises(EngineError, match="no workflow 'summ'"):
        engine.start("summ", [1])
    with pytest.raises(EngineError, match="payload of Big"):
        engine.publish("Big", {"amount": "lots"})
    execution = engine.start("saga", 1, name="s")
    with pytest.raises(EngineError, match="declares no signal 'stop'"):
        engine.signal("s", "stop")
    with pytest.raises(EngineError, match="signal 'go'"):
        engine.signal(execution, "go", "maybe")
    assert engine.start("saga", 1, name="s") == execution  # a name twice: the same execution
    with pytest.raises(EngineError, match="no execution 'nope'"):
        engine.execution("nope")


# -- durability -------------------------------------------------------------------------------


def test_executions_keep_their_definition_across_a_rebuild(flows: Service, tmp_path: Path) -> None:
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    execution = virtual.engine.start("saga", 1)
    virtual.tick()
    changed = flows.definition.to_json()
    changed["version"] = "changed"
    saga = changed["workflows"]["saga"]
    saga["steps"] = [{"kind": "return", "id": None, "value": "new"}]
    saga["version"] = "changed-saga"
    reopened = Engine(tmp_path / "e.db", [Service(changed, flows.package)], clock=virtual.clock)
    newer = reopened.start("saga", 1)
    reopened.signal(execution, "go", True)
    reopened.run(until=lambda: reopened.finished(execution) and reopened.finished(newer))
    assert reopened.execution(execution).result is None  # the old steps: no return value
    assert reopened.execution(newer).result == "new"


def test_late_timers_fire_at_once_after_a_restart(flows: Service, tmp_path: Path) -> None:
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    execution = virtual.engine.start("until")
    virtual.tick()
    virtual.engine.close()
    clock = EngineClock()
    clock.now = 10 * 3600  # the machine was off for hours
    engine = Engine(tmp_path / "e.db", [flows], clock=clock)
    engine.run(until=lambda: engine.finished(execution))
    assert engine.execution(execution).result == "1970-01-01T10:00:00Z"  # fired on restart


def _vanished_worker_with_a_lease(engine: Engine, execution: str, host: str, pid: int) -> int:
    """A worker that leased the first task run of ``execution``, then vanished; the
    task run's handle."""
    with engine.store.write() as db:
        Store.seen(db, "gone", host, pid, 0.0)
        db.execute("DELETE FROM work")
        engine.orchestrator.apply(db, execution, {"op": "start"})
        db.execute("UPDATE work SET owner = 'gone', ready = 999 WHERE kind = 'task'")
        body = db.execute("SELECT body FROM work WHERE kind = 'task'").fetchone()[0]
    handle: int = json.loads(body)["handle"]
    return handle


def test_a_crashed_workers_leases_are_taken_over_at_once_with_the_same_key(
    flows: Service, tmp_path: Path
) -> None:
    slow = importlib.import_module(f"{flows.package}.handlers.slow")
    clock = EngineClock()
    engine = Engine(tmp_path / "e.db", [flows], clock=clock)
    execution = engine.start("beating", 1)
    no_such_pid = 2**22 + 12345  # above Linux's pid limit: surely not running
    handle = _vanished_worker_with_a_lease(engine, execution, socket.gethostname(), no_such_pid)
    clock.now = 5.0  # long before the lease ends (999 s), within the heartbeat deadline
    engine.run(until=lambda: engine.finished(execution))
    assert engine.execution(execution).status is ExecutionStatus.SUCCEEDED
    assert [f"{execution}/{handle}/1"] == slow.KEYS  # the lost run ran again, same key


def test_a_silent_workers_leases_are_taken_over_once_it_is_stale(
    flows: Service, tmp_path: Path
) -> None:
    clock = EngineClock()
    engine = Engine(tmp_path / "e.db", [flows], clock=clock)
    execution = engine.start("sum", [1, 2])
    _vanished_worker_with_a_lease(engine, execution, "another-host", 1)
    clock.now = 10.0  # seen 10 s ago: may still be working
    engine.run(until=lambda: not engine.store.db.execute(
        "SELECT 1 FROM work WHERE ready <= ? AND owner IS NULL", (clock.now,)).fetchone())  # fmt: skip
    assert not engine.finished(execution)
    clock.now = 16.0  # silent for longer than STALE (15 s): its leases are taken over
    engine.run(until=lambda: engine.finished(execution))
    assert engine.execution(execution).result == 6


def test_a_bad_work_item_waits_and_the_rest_goes_on(
    flows: Service, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    engine = virtual.engine
    with engine.store.write() as db:
        Store.add_work(db, "wf", "ghost", 0.0, {"op": "start"})  # no such execution: dropped
    waiting = engine.start("saga", 1)
    with engine.store.write() as db:
        Store.add_work(db, "wf", waiting, 0.0, {"op": "explode"})
    execution = engine.start("sum", [1, 2])
    virtual.engine.run(until=lambda: engine.finished(execution))
    assert engine.execution(execution).result == 6
    assert "failed; retrying in 60 s" in caplog.text
    row = engine.store.db.execute("SELECT ready FROM work WHERE body LIKE '%explode%'")
    assert row.fetchone()[0] >= 60


def test_two_engines_in_threads_advance_each_execution_once(flows: Service, tmp_path: Path) -> None:
    first = Engine(tmp_path / "e.db", [flows], threads=4)
    second = Engine(tmp_path / "e.db", [flows], threads=4)
    ids = [first.start("sum", [i, i + 1, i + 2]) for i in range(40)]
    ids += [first.start("branches", i) for i in range(40)]
    done = threading.Event()

    def work(engine: Engine) -> None:
        engine.run(until=lambda: all(first.finished(i) for i in ids) or done.is_set())

    threads = [threading.Thread(target=work, args=(e,)) for e in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    reference = TestEnvironment(flows)
    for execution in ids:
        view = first.execution(execution)
        assert view.status is ExecutionStatus.SUCCEEDED, view
        expected = reference.start_execution(view.workflow, first.history(execution)[0]["input"])
        reference.tick()
        assert view.result == expected.get_status().result
        # every step applied once: the same entries as a run on one thread, in any order
        assert Counter(_kinds(first.history(execution))) == Counter(_kinds(expected.history()))


def _kinds(history: list[dict[str, Any]]) -> list[str]:
    return [json.dumps([h["type"], h.get("step")]) for h in history]


def test_executions_page_by_cursor_newest_first(flows: Service, tmp_path: Path) -> None:
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    engine = virtual.engine
    ids = []
    for i in range(7):
        virtual.clock.now = float(i // 2)  # pairs share a start time: the id breaks the tie
        ids.append(engine.start("sum", [i]))
    everything = [e.id for e in engine.executions()]
    pages, after = [], None
    while True:
        page = engine.executions(limit=3, after=after)
        if not page:
            break
        pages.append([e.id for e in page])
        after = page[-1].id
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == everything
    assert sorted(everything) == sorted(ids)
    plan = engine.store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM executions WHERE status = 'IN_PROGRESS' "
        "ORDER BY started DESC, id DESC LIMIT 3"
    ).fetchall()
    assert "executions_by_status" in str(plan) and "TEMP B-TREE" not in str(plan)


def test_a_rolled_back_step_is_applied_again_from_the_stored_state(
    flows: Service, tmp_path: Path
) -> None:
    """The orchestrator keeps the states it wrote parsed in memory; a step whose
    transaction rolls back must not leave its changes there."""
    virtual = VirtualEngine(flows, tmp_path / "e.db")
    engine = virtual.engine
    execution = engine.start("saga", 2)
    virtual.tick(1)  # both tasks done, waiting for the signal
    waiting = engine.store.db.execute(
        "SELECT state FROM executions WHERE id = ?", (execution,)
    ).fetchone()[0]
    with pytest.raises(RuntimeError), engine.store.write() as db:
        engine.orchestrator.apply(db, execution, {"op": "signal", "name": "go", "payload": False})
        raise RuntimeError("the commit never happens")
    stored = engine.store.db.execute(
        "SELECT state FROM executions WHERE id = ?", (execution,)
    ).fetchone()[0]
    assert stored == waiting
    engine.signal(execution, "go", True)
    virtual.tick(1)
    view = engine.execution(execution)
    assert (view.status, view.error) == (ExecutionStatus.SUCCEEDED, None)
    assert [h["type"] for h in engine.history(execution)].count("SignalReceived") == 1


def test_a_step_leases_the_task_it_schedules_to_its_worker_up_to_half_its_room(
    flows: Service, tmp_path: Path
) -> None:
    """The task run a step schedules is leased to the worker applying the step in the
    same insert, for at most half the runs the worker has room for (two threads: room
    for four); the rest of its room goes to the queue, oldest first."""
    engine = Engine(tmp_path / "e.db", [flows], threads=2)
    worker = engine.worker()
    with engine.store.write() as db:  # four older runs queued (of an execution long gone)
        for handle in range(4):
            Store.add_work(db, "task", "gone", 0.0, _double_run(flows, handle))
    ids = [engine.start("saga", i) for i in range(3)]
    assert worker.round(claim=True)  # applies the three starts: three more task runs
    rows = engine.store.db.execute("SELECT execution, owner FROM work WHERE kind = 'task'")
    owned = Counter(execution for execution, owner in rows if owner == worker.id)
    assert owned == {ids[0]: 1, ids[1]: 1, "gone": 2}, owned
    for execution in ids:
        engine.signal(execution, "go", True)
    worker.run(until=lambda: all(engine.finished(i) for i in ids) and engine.idle())
    assert {engine.execution(i).status for i in ids} == {ExecutionStatus.SUCCEEDED}


def _double_run(flows: Service, handle: int) -> dict[str, Any]:
    """The body of a run of task ``double``, as a step schedules it."""
    return {"service": flows.name, "handle": handle, "name": "double", "input": 1,
            "attempt": 1, "timeout": 5}  # fmt: skip


def test_a_step_that_fails_leaves_no_claimed_task_run(flows: Service, tmp_path: Path) -> None:
    """A work item whose step fails is rolled back to its savepoint: a task run it had
    leased to the worker is neither stored nor handed to a thread."""
    engine = Engine(tmp_path / "e.db", [flows], threads=2)
    worker = engine.worker()
    orchestrator = engine.orchestrator
    item = WorkItem(0, "wf", "some-execution", {"op": "start"})
    body = _double_run(flows, 1)

    def schedule_then_fail(db: Any, _: Any) -> None:
        orchestrator.schedule_task(db, "some-execution", body)
        assert len(orchestrator.claimed) == 1
        raise RuntimeError("a bug after the task was scheduled")

    worker._claims = 4
    orchestrator.claim = worker._claim
    with engine.store.write() as db:
        worker._guarded(db, item, schedule_then_fail, None)
    orchestrator.claim = None
    assert orchestrator.claimed == []
    assert engine.store.db.execute("SELECT count(*) FROM work").fetchone()[0] == 0


def test_a_writer_holds_the_stores_turn_lock_while_its_transaction_runs(
    flows: Service, tmp_path: Path
) -> None:
    """Writers take turns on ``<store>-lock`` (flock) around SQLite's write lock, so a
    waiting writer has it as soon as it is free; it is free outside transactions."""
    import fcntl
    import os

    engine = Engine(tmp_path / "e.db", [flows])
    other = os.open(tmp_path / "e.db-lock", os.O_RDWR)
    try:
        with engine.store.write(), pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)


def test_a_waiting_worker_is_woken_by_a_start_from_another_connection(
    flows: Service, tmp_path: Path
) -> None:
    """A worker idle in a long wait sees a start committed elsewhere at once: the start
    wakes it (see ``eventual.engine.wake``), it does not wait for its next look."""
    from eventual.engine.worker import Worker

    worker_side = Engine(tmp_path / "e.db", [flows])
    worker = Worker(worker_side.store, worker_side.orchestrator, threads=2, poll=30.0)
    worker._idle = 30.0  # already idle for long: the next look is 30 s away
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop})
    thread.start()
    try:
        client = Engine(tmp_path / "e.db", [flows])
        deadline = threading.Event()
        while not client.store.db.execute("SELECT 1 FROM workers").fetchone():
            deadline.wait(0.01)  # the worker has registered (its first round)
        deadline.wait(0.2)  # and is waiting
        execution = client.start("sum", [1, 2])
        for _ in range(200):  # 10 s at most, a third of the worker's idle wait
            if client.finished(execution):
                break
            deadline.wait(0.05)
        assert client.execution(execution).status is ExecutionStatus.SUCCEEDED
    finally:
        stop.set()
        thread.join()


def test_the_store_names_the_packages_of_its_services(flows: Service, tmp_path: Path) -> None:
    Engine(tmp_path / "e.db", [flows]).close()
    renamed = json.loads(json.dumps(flows.definition.to_json()))
    renamed["service"] = "other"
    Engine(tmp_path / "e.db", [Service(renamed, "elsewhere")]).close()
    alone = Engine(tmp_path / "e.db")  # no services given: the store still knows them
    assert alone.packages() == [flows.package, "elsewhere"]
    assert Engine(tmp_path / "empty.db").packages() == []


NESTED = """\
service: nested
tasks:
  double: {input: integer, output: integer}
  flaky: {input: integer, output: integer}
workflows:
  after:
    input: integer
    output: {type: array, items: {type: integer}}
    steps:
      - try:
          - {id: tried, task: double, input: "${{ input }}"}
          - if: ${{ input > 0 }}
            then: [{id: inner, task: double, input: "${{ input + 1 }}"}]
            else: [{fail: {error: Negative, message: negative}}]
      - if: ${{ input > 1 }}
        then: [{id: big, task: double, input: 10}]
        else: [{return: "${{ [steps.tried.output, steps.inner.output] }}"}]
      - parallel:
          a: [{id: left, task: double, input: 1}]
          b: [{id: right, task: double, input: 2}]
      - try:
          - {task: flaky, input: 3}
          - {fail: {error: Unreachable, message: flaky always fails}}
        catch: [{steps: [{id: rescued, task: double, input: 4}]}]
      - return: >-
          ${{ [steps.tried.output, steps.inner.output, steps.big.output,
               steps.left.output, steps.right.output, steps.rescued.output] }}
"""
FLAKY = """\
import eventual

def flaky(input: int, ctx: eventual.TaskContext) -> int:
    raise eventual.TaskError("Flaky", "no")
"""


def test_steps_completed_inside_blocks_are_read_after_them(
    make_service: MakeService, tmp_path: Path
) -> None:
    service = make_service(NESTED, double=DOUBLE, flaky=FLAKY)

    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        for value in (5, 1, -1):
            start("after", value)
        runtime.tick()

    got = same(service, tmp_path, scenario)
    assert [g[:3] for g in got] == [
        ["SUCCEEDED", [10, 12, 20, 2, 4, 8], None],
        ["SUCCEEDED", [2, 4], None],
        ["FAILED", None, {"error": "Negative", "message": "negative"}],
    ]
