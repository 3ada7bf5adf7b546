"""Declarative signals under crashes: each is delivered once, none is lost.

A service whose ``order`` executions each wait for one ``paid`` signal, sent by a
subscription's ``signal:`` for each published ``Paid`` event; half of the events are
published before their execution starts (the delivery is retried until it exists). A
worker process is SIGKILLed at seeded random moments while executions start and events
arrive. Afterwards every execution has received its signal exactly once: a second
``paid`` would satisfy the second wait, which must time out instead.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runtime.engine.harness import Project, Workers, wait_for_worker
from tests.support import build_project, forget

from eventual.engine import Engine

SEED = int(os.environ.get("CRASH_SEED", "20240605"))
ORDERS = range(60)
KILLS = 8

SPEC = """\
service: crashy
events:
  Paid: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}
subscriptions:
  paid:
    events: [Paid]
    retry: {attempts: 100, backoff: 200ms, multiplier: 1}
    signal: {workflow: order, execution_name: "${{ event.n }}", name: paid, payload: "${{ event.n }}"}
workflows:
  order:
    input: integer
    signals: {paid: integer}
    steps:
      - id: got
        wait_for_signal: paid
        timeout: 1h
      - wait_for_signal: paid
        timeout: 1s
        catch:
          - errors: [Timeout]
            steps: [{return: "${{ steps.got.output }}"}]
      - return: -1
"""


@pytest.fixture(scope="module")
def signalled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("signalled")
    package = build_project(root, "crashy", SPEC, {})
    sys.path.insert(0, str(root))
    try:
        yield Project(root, package, importlib.import_module(f"{package}.crashy").service)
    finally:
        sys.path.remove(str(root))
        forget(package)


def test_declarative_signals_are_delivered_once_across_worker_kills(
    signalled: Project, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    workers = Workers(signalled, tmp_path / "engine.db", tmp_path / "side-channel.jsonl")
    try:
        engine = Engine(workers.db, [signalled.service])
        per_kill = len(ORDERS) // KILLS + 1
        for part in range(KILLS):
            worker = workers.start()
            for n in ORDERS[part * per_kill : (part + 1) * per_kill]:
                if n % 2:  # the signal first: delivered once the execution exists
                    engine.publish("Paid", {"n": n})
                    engine.start("order", n, str(n))
                else:
                    engine.start("order", n, str(n))
                    engine.publish("Paid", {"n": n})
            wait_for_worker(engine, worker.pid)
            time.sleep(rng.uniform(0.0, 0.4))
            workers.kill(worker)
        code, stderr = workers.finish(workers.start("--until-done"), timeout=180)
        assert code == 0, stderr
        views = {view.name: view for view in engine.executions(workflow="order")}
        assert {name: (v.status.value, v.result) for name, v in views.items()} == {
            str(n): ("SUCCEEDED", n) for n in ORDERS
        }
        for view in views.values():
            received = [h for h in engine.history(view.id) if h["type"] == "SignalReceived"]
            assert len(received) == 1, (view.name, received)
        assert engine.dead_letters() == []
    finally:
        workers.stop_all()
