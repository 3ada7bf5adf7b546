"""The engine's promises under crashes, concurrent workers and graceful stops.

Real worker processes on a real SQLite file (``synchronous=FULL``), running the
``crashy`` service built by the real ``eventualc build`` (see ``workload``): one
worker SIGKILLed at seeded random moments while this process keeps queueing the
workload, then two workers at once on one file, then ``eventualc worker`` stopped by
SIGTERM with handlers in flight. ``harness.verify`` checks every promise afterwards.
``CRASH_SEED`` picks other kill moments.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runtime.engine.harness import (
    Project,
    Workers,
    chunks,
    feed,
    leases_of,
    reference_histories,
    verify,
    wait_for_worker,
)
from tests.runtime.engine.worker_process import done
from tests.runtime.engine.workload import SideChannel
from tests.support import wait_for

from eventual.engine import Engine

SEED = int(os.environ.get("CRASH_SEED", "20240605"))
INPUTS = range(200)  # pipeline executions
EVENTS = range(1000)  # published Pings, each reaching 2 or 3 subscriptions
KILLS = 24


@pytest.fixture(scope="module")
def reference(project: Project) -> dict[int, Counter[str]]:
    return reference_histories(project.service, INPUTS)


@pytest.fixture
def workers(project: Project, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(project, tmp_path / "engine.db", tmp_path / "side-channel.jsonl")
    yield running
    running.stop_all()


def test_a_worker_killed_again_and_again_loses_nothing_and_repeats_no_step(
    workers: Workers, reference: dict[int, Counter[str]]
) -> None:
    rng = random.Random(SEED)
    engine = Engine(workers.db, [workers.project.service])
    mid_work = 0
    for inputs, events in chunks(INPUTS, EVENTS, KILLS):
        worker = workers.start()
        feed(engine, inputs, events)  # while the worker starts: two writers on one file
        wait_for_worker(engine, worker.pid)
        time.sleep(rng.uniform(0.0, 0.6))
        mid_work += leases_of(engine, worker.pid) > 0
        workers.kill(worker)
    assert mid_work >= KILLS // 2, f"only {mid_work} of {KILLS} kills hit leased work"
    code, stderr = workers.finish(workers.start("--until-done"), timeout=120)
    assert code == 0, stderr
    counts = verify(engine, SideChannel.read(workers.log), INPUTS, EVENTS, reference)
    print(f"seed {SEED}: {KILLS} kills ({mid_work} with leases held), {counts}")
    assert counts.repeated_runs > 0, "no kill ever cut a task run short: kill later"


def test_two_workers_on_one_file_advance_each_execution_once(
    workers: Workers, reference: dict[int, Counter[str]]
) -> None:
    engine = Engine(workers.db, [workers.project.service])
    pair = [workers.start(), workers.start()]
    feed(engine, INPUTS, EVENTS)
    wait_for(lambda: done(engine), "the workload's end", timeout=120)
    for worker in pair:
        worker.terminate()
        code, stderr = workers.finish(worker, timeout=30)
        assert code == 0, stderr
    counts = verify(engine, SideChannel.read(workers.log), INPUTS, EVENTS, reference)
    print(f"two workers: {counts}")
    assert counts.worker_pids == 2, "one worker did all the work: nothing was concurrent"


def test_events_published_around_kills_are_neither_lost_nor_taken_twice(
    workers: Workers,
) -> None:
    """``wait_for_event``: each ``correlated`` execution waits twice for its key; its two
    events are published in separate slices while a worker is killed again and again,
    some before its waits start (kept), some while it waits."""
    rng = random.Random(SEED + 1)
    engine = Engine(workers.db, [workers.project.service])
    keys = range(40)
    ids = {k: engine.start("correlated", k, name=f"c-{k}") for k in keys}
    slices = [(k, n) for n in (0, 1) for k in keys]
    for i in range(8):
        worker = workers.start()
        for k, n in slices[i * len(slices) // 8 : (i + 1) * len(slices) // 8]:
            engine.publish("Ship", {"key": k, "n": n})
        wait_for_worker(engine, worker.pid)
        time.sleep(rng.uniform(0.0, 0.4))
        workers.kill(worker)
    code, stderr = workers.finish(workers.start("--until-done"), timeout=120)
    assert code == 0, stderr
    for k, execution in ids.items():
        view = engine.execution(execution)
        assert (view.status.value, view.result) == ("SUCCEEDED", [0, 1]), view
        steps = [h["step"] for h in engine.history(execution) if h["type"] == "StepCompleted"]
        assert len(steps) == len(set(map(str, steps))), f"c-{k}: a step completed twice"
    assert engine.store.db.execute("SELECT count(*) FROM work").fetchone()[0] == 0


def test_sigterm_finishes_the_handlers_in_flight_and_exits_0(workers: Workers) -> None:
    engine = Engine(workers.db, [workers.project.service])
    ids = {n: engine.start("patient", n) for n in range(4)}
    worker = workers.spawn([sys.executable, "-m", "eventualc", "worker", "--db", str(workers.db)])
    wait_for(lambda: _lines(workers.log, phase="start") == 4, "4 handlers starting")
    worker.terminate()
    code, stderr = workers.finish(worker, timeout=30)
    assert code == 0, stderr
    assert "worker stopped" in stderr
    runs = SideChannel.read(workers.log).runs
    assert len(runs) == 4 and all([r["phase"] for r in lines] == ["start", "end"]
                                  for lines in runs.values())  # fmt: skip
    for n, execution in ids.items():  # each outcome recorded, the next step queued, unleased
        history = engine.history(execution)
        assert [h["output"] for h in history if h["type"] == "TaskSucceeded"] == [n + 1]
    rows = engine.store.db.execute("SELECT kind, owner FROM work WHERE kind != 'wf'").fetchall()
    assert rows == [("task", None)] * 4  # (the rest: the new runs' timeout timers)
    assert engine.store.db.execute("SELECT count(*) FROM workers").fetchone()[0] == 0
    first = set(runs)
    code, stderr = workers.finish(workers.start("--until-done"), timeout=60)
    assert code == 0, stderr
    assert [engine.execution(e).result for e in ids.values()] == [n + 2 for n in ids]
    runs = SideChannel.read(workers.log).runs
    assert len(runs) == 8 and all(len(runs[key]) == 2 for key in first)  # none ran twice


def _lines(log: Path, phase: str) -> int:
    runs = SideChannel.read(log).runs.values()
    return sum(line["phase"] == phase for run in runs for line in run)
