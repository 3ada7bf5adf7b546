"""Outcomes that come back after their lease was taken over.

A handler may outlive its lease: its worker was silent for longer than ``STALE`` (a
stopped process, a machine that slept) or the handler ran past its timeout and grace.
The next worker then runs the same delivery again, which at-least-once allows; but
when both runs report, the delivery must still be settled once: one retry, one dead
letter. The clock is real time plus a shift the test moves, so the first worker can
look stale without the test waiting 15 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runtime.engine.harness import Project
from tests.runtime.engine.workload import SideChannel
from tests.support import wait_for

from eventual.engine import Engine


class ShiftedClock:
    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def engines(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, Engine, ShiftedClock]]:
    """Two engines on one file, one clock; the handlers write ``tmp_path/log``."""
    monkeypatch.setenv("CRASH_LOG", str(tmp_path / "log"))
    clock = ShiftedClock()
    first = Engine(tmp_path / "e.db", [project.service], clock=clock, threads=2)
    second = Engine(tmp_path / "e.db", [project.service], clock=clock, threads=2)
    yield first, second, clock
    first.close()
    second.close()


def test_a_late_outcome_of_a_taken_over_delivery_is_not_settled_twice(
    engines: tuple[Engine, Engine, ShiftedClock], tmp_path: Path
) -> None:
    first, second, clock = engines
    first.publish("Ping", {"n": 7, "origin": "test"})  # tally succeeds, flaky fails by design
    late = first.worker()
    assert late.round(claim=True)  # leases both deliveries; its threads run them at once
    wait_for(lambda: len(SideChannel.read(tmp_path / "log").deliveries) == 2, "both runs")
    clock.shift = 120.0  # the first worker now looks stale: its leases are taken over
    second.run(until=second.idle)
    assert [(d.subscription, d.attempts) for d in second.dead_letters()] == [("flaky", 2)]
    stopped = threading.Event()
    stopped.set()
    late.run(stopped)  # the first worker wakes up, records its handlers' outcomes, stops
    second.run(until=second.idle)
    assert [(d.subscription, d.attempts) for d in second.dead_letters()] == [("flaky", 2)]
