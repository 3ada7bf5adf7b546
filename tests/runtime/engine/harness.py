"""Running the crash suite's workload on worker processes, and checking what came of it.

``Project`` is a folder holding the ``crashy`` service built by the real
``eventualc build``. ``Workers`` starts worker processes on one engine file (each
writes the side channel), and ``feed`` queues part of the workload from this process
while they run. ``verify`` then checks, against the independent expectations of
``workload`` and a reference run of the same inputs in the ``TestEnvironment``, every
promise the engine makes: each execution's end, each step applied once, each workflow
event published once, each event delivered to each subscription it reaches at least
once, the dead-letter store holding exactly the designed failures, and each task run
done at least once. It returns counts for the tests to report.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.runtime.engine.workload import SideChannel, expected_end, subscriptions_reached
from tests.support import wait_for

from eventual import Service
from eventual.engine import Engine
from eventual.testing import TestEnvironment

WORKER = Path(__file__).with_name("worker_process.py")


@dataclass(frozen=True)
class Project:
    root: Path
    package: str  # the generated package: ``<package>.crashy``
    service: Service


@dataclass
class Workers:
    """Worker processes on ``db``, each writing the side channel ``log``."""

    project: Project
    db: Path
    log: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        """A ``worker_process`` (``extra``: ``--until-done``)."""
        args = [str(self.db), str(self.project.root), self.project.package, *extra]
        return self.spawn([sys.executable, str(WORKER), *args])

    def spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Any worker command, run in the project folder."""
        process = subprocess.Popen(
            command, cwd=self.project.root, env={**os.environ, "CRASH_LOG": str(self.log)},
            stderr=subprocess.PIPE,
        )  # fmt: skip
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL, then reap: a zombie's pid still looks alive to the next worker."""
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.running.remove(process)

    def finish(self, process: subprocess.Popen[bytes], timeout: float) -> tuple[int, str]:
        """Waits for ``process`` to exit; its exit code and stderr."""
        _, stderr = process.communicate(timeout=timeout)
        self.running.remove(process)
        return process.returncode, stderr.decode()

    def stop_all(self) -> None:
        for process in list(self.running):
            self.kill(process)


def wait_for_worker(engine: Engine, pid: int) -> None:
    """Until the worker process ``pid`` has done its first round (it is in the store)."""
    query = "SELECT 1 FROM workers WHERE pid = ?"
    wait_for(lambda: engine.store.db.execute(query, (pid,)).fetchone() is not None,
             f"worker {pid} starting")  # fmt: skip


def leases_of(engine: Engine, pid: int) -> int:
    """How many work items the worker process ``pid`` holds leases on."""
    row = engine.store.db.execute(
        "SELECT count(*) FROM work WHERE owner LIKE ?", (f"%/{pid}/%",)
    ).fetchone()
    return int(row[0])


def chunks(inputs: range, events: range, parts: int) -> Iterator[tuple[range, range]]:
    """The workload in ``parts`` slices of executions and events."""
    for i in range(parts):
        yield (
            inputs[i * len(inputs) // parts : (i + 1) * len(inputs) // parts],
            events[i * len(events) // parts : (i + 1) * len(events) // parts],
        )


def feed(engine: Engine, inputs: Iterable[int], events: Iterable[int]) -> None:
    """Starts ``pipeline`` for each input (named ``p-<n>``) and publishes a ``Ping`` per
    event number, interleaved, one transaction each."""
    for n, e in itertools.zip_longest(inputs, events):
        if n is not None:
            engine.start("pipeline", n, name=f"p-{n}")
        if e is not None:
            engine.publish("Ping", {"n": e, "origin": "cli"})


# -- the checks -----------------------------------------------------------------------


def reference_histories(service: Service, inputs: Iterable[int]) -> dict[int, Counter[str]]:
    """Each input's ``pipeline`` history in the TestEnvironment, as a multiset of
    entries without their times (branches may interleave differently)."""
    env = TestEnvironment(service)
    started = {n: env.start_execution("pipeline", n, name=f"p-{n}") for n in inputs}
    env.tick(10)
    return {n: _entries(execution.history()) for n, execution in started.items()}


def _completions(entries: Counter[str]) -> Counter[str]:
    """How often each ``[step, output]`` completed, in entries made by ``_entries``."""
    counts: Counter[str] = Counter()
    for text, count in entries.items():
        entry = json.loads(text)
        if entry["type"] == "StepCompleted":
            counts[json.dumps([entry["step"], entry["output"]])] += count
    return counts


def _entries(history: list[dict[str, Any]]) -> Counter[str]:
    return Counter(
        json.dumps({k: v for k, v in entry.items() if k != "time"}, sort_keys=True)
        for entry in history
    )


@dataclass(frozen=True)
class Counts:
    """What a verified run did, for the tests to report."""

    executions: int
    events: int
    deliveries: int
    dead_letters: int
    task_runs: int
    repeated_runs: int
    worker_pids: int


def verify(
    engine: Engine, channel: SideChannel, inputs: range, events: range,
    reference: dict[int, Counter[str]],
) -> Counts:  # fmt: skip
    """Asserts every promise on the finished store and the side channel."""
    ids = _check_executions(engine, inputs, reference)
    published = _check_events(engine, inputs, events)
    deliveries = _check_deliveries(engine, channel, published)
    runs = _check_task_runs(engine, channel, ids)
    assert engine.store.db.execute("SELECT count(*) FROM work").fetchone()[0] == 0
    letters = sum(1 for _, n in published.values() if not subscriptions_reached(n)["flaky"])
    return Counts(
        len(ids), len(published), deliveries, letters, runs, channel.repeated_runs(),
        len(channel.pids),
    )  # fmt: skip


def _check_executions(
    engine: Engine, inputs: range, reference: dict[int, Counter[str]]
) -> dict[int, str]:
    """Each execution ended as expected, with each step applied once: no step path
    completed with the same output more often than in the reference run (once, but
    for the steps of a loop's body), and the same history entries as the reference
    run, no more, no fewer."""
    views = {view.name: view for view in engine.executions(workflow="pipeline")}
    assert sorted(views) == sorted(f"p-{n}" for n in inputs)
    for n in inputs:
        view = views[f"p-{n}"]
        assert (view.status.value, view.result, view.error) == expected_end(n), view
        history = engine.history(view.id)
        completed = Counter(
            json.dumps([h["step"], h["output"]]) for h in history if h["type"] == "StepCompleted"
        )
        allowed = _completions(reference[n])
        twice = [step for step, count in completed.items() if count > allowed[step]]
        assert not twice, f"{view.id}: steps completed twice: {twice}"
        got = _entries(history)
        assert got == reference[n], (
            f"{view.id}: extra {got - reference[n]}, missing {reference[n] - got}"
        )
    return {n: views[f"p-{n}"].id for n in inputs}


def _check_events(engine: Engine, inputs: range, events: range) -> dict[str, tuple[str, int]]:
    """Each published event logged once, and each workflow's ``emit`` exactly once per
    succeeded execution; ``{event id: (origin, n)}``."""
    rows = engine.store.db.execute("SELECT id, payload FROM events WHERE name = 'Ping'").fetchall()
    published = {}
    for event_id, payload in rows:
        body = json.loads(payload)
        published[event_id] = (body["origin"], body["n"])
    logged = Counter(published.values())
    expected = Counter(("cli", n) for n in events)
    expected.update(("wf", n + 1000) for n in inputs if expected_end(n)[0] == "SUCCEEDED")
    assert logged == expected, f"extra {logged - expected}, missing {expected - logged}"
    return published


def _check_deliveries(
    engine: Engine, channel: SideChannel, published: dict[str, tuple[str, int]]
) -> int:
    """Every event reached every matching subscription at least once (a success, or
    every attempt of a designed failure), reached no other, and the dead letters are
    exactly the designed failures, once each; how many deliveries succeeded."""
    designed: set[tuple[str, str]] = set()
    succeeded = 0
    for event_id, (_, n) in published.items():
        reached = subscriptions_reached(n)
        for subscription in ("tally", "big", "flaky"):
            outcomes = channel.deliveries.get((subscription, event_id), [])
            if subscription not in reached:
                assert not outcomes, f"{subscription} got event {n}, which it does not match"
            elif reached[subscription]:
                assert True in outcomes, f"{subscription} never handled event {n}"
                succeeded += 1
            else:
                assert outcomes.count(False) >= 2, f"{subscription} tried event {n} {outcomes}"
                designed.add((subscription, event_id))
    letters = engine.dead_letters()
    pairs = [(d.subscription, d.event_id) for d in letters]
    assert len(pairs) == len(set(pairs)), "a delivery was dead-lettered twice"
    assert set(pairs) == designed
    for letter in letters:
        n = published[letter.event_id][1]
        assert letter.error == {"error": "Refused", "message": f"refused {n}"}
        assert letter.attempts == 2
    return succeeded


def _check_task_runs(engine: Engine, channel: SideChannel, ids: dict[int, str]) -> int:
    """Each task run the history scheduled ran at least once, under its own key
    (``<execution>/<wait>/<attempt>``); how many distinct runs there were."""
    total = 0
    for execution in ids.values():
        history = engine.history(execution)
        scheduled = sum(h["type"] == "TaskScheduled" for h in history)
        answered = sum(h["type"] in ("TaskSucceeded", "TaskFailed") for h in history)
        keys = {key for key in channel.runs if key.startswith(execution + "/")}
        assert answered <= len(keys) <= scheduled, (execution, answered, len(keys), scheduled)
        if history[-1]["type"] == "ExecutionSucceeded":
            assert len(keys) == scheduled, f"{execution}: a scheduled task never ran"
        total += len(keys)
    return total
