"""Running one scenario on both local runtimes, and the ``flows`` service most scenarios use.

``same(service, tmp_path, scenario)`` runs ``scenario(runtime, start)`` in the
TestEnvironment and on the embedded engine over a real SQLite file with a virtual clock
(``VirtualEngine``, whose ``EngineClock`` the test moves), driven by ``tick`` alike;
asserts both ended every execution the same way with the same history, times included;
returns the engine's ``(status, result, error, history)`` per execution. ``SPEC`` with
the handlers ``DOUBLE`` and ``NOTE`` is the ``flows`` service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventual import Service
from eventual.engine import Engine
from eventual.engine.store import Store
from eventual.testing import TestEnvironment

SPEC = """\
service: flows
events:
  Done: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}
  Big: {schema: {type: object, required: [amount], properties: {amount: {type: number}}}}
tasks:
  double: {input: integer, output: integer, retry: {attempts: 3, backoff: 10s, multiplier: 3}}
  flaky: {input: integer, output: integer, timeout: 1m}
  slow: {input: integer, output: integer, timeout: 1m, heartbeat: 10s}
  undo: {input: string}
  note: {input: string, emits: [Done]}
subscriptions:
  onBig: {events: [Big], filter: {amount: [{numeric: [">", 100]}]}, retry: {attempts: 2, backoff: 5s}}
  startOnBig: {events: [Big], workflow: sum, input: [1, 2], execution_name: "big-${{ event.amount }}"}
workflows:
  sum:
    input: {type: array, items: {type: integer}}
    output: integer
    steps:
      - id: doubled
        for_each: ${{ input }}
        concurrency: 2
        steps: [{task: double, input: "${{ item }}"}]
      - return: ${{ steps.doubled.output[0] + steps.doubled.output[1] }}
  branches:
    input: integer
    steps:
      - id: both
        parallel:
          a: [{task: double, input: "${{ input }}"}]
          b: [{task: double, input: "${{ input + 1 }}"}]
      - if: ${{ steps.both.output.a > 10 }}
        then: [{set: {size: big}}]
        else: [{set: {size: small}}]
      - emit: Done
        payload: {n: "${{ steps.both.output.b }}"}
      - return: {size: "${{ vars.size }}", both: "${{ steps.both.output }}"}
  saga:
    input: integer
    signals: {go: boolean}
    steps:
      - id: one
        task: double
        input: ${{ input }}
        compensate: [{task: undo, input: "one ${{ steps.one.output }}"}]
      - id: two
        task: double
        input: ${{ input }}
        compensate: [{task: undo, input: "two"}]
      - id: ok
        wait_for_signal: go
        timeout: 1h
      - if: ${{ !steps.ok.output }}
        then: [{fail: {error: Rejected, message: "no go for ${{ input }}"}}]
  guarded:
    input: integer
    steps:
      - id: try
        try: [{task: flaky, input: "${{ input }}"}]
        catch:
          - errors: [Timeout]
            as: problem
            steps: [{task: note, input: "${{ problem.error }}: ${{ problem.message }}"}]
      - sleep: 1h
      - return: done
  timed:
    timeout: 1h
    steps: [{sleep: 2h}, {return: late}]
  until:
    steps:
      - sleep_until: ${{ now + duration("90m") }}
      - return: ${{ string(now) }}
  picky:
    input: integer
    steps:
      - task: double
        input: ${{ input }}
        retry: {attempts: 4, backoff: 10s, multiplier: 10, max_backoff: 60s, errors: [Busy]}
  racing:
    input: integer
    steps:
      - parallel:
          fast: [{task: double, input: "${{ input }}"}]
          slow: [{sleep: 1h}, {task: double, input: 99}]
  looping:
    steps:
      - for_each: ${{ [1, 2, 3, 4] }}
        concurrency: 1
        steps: [{task: double, input: "${{ item }}"}]
  undoing:
    input: integer
    steps:
      - {id: a, task: double, input: 1, compensate: [{task: undo, input: a}]}
      - {id: b, task: double, input: 2, compensate: [{task: undo, input: b}]}
      - {id: c, task: double, input: 3, compensate: [{task: undo, input: c}]}
      - fail: {error: Stop, message: stop}
  beating:
    input: integer
    steps: [{task: slow, input: "${{ input }}"}]
  parent:
    input: {type: array, items: {type: integer}}
    steps:
      - {id: child, workflow: sum, input: "${{ input }}"}
      - return: ${{ steps.child.output * 10 }}
"""
DOUBLE = """\
import eventual

def double(input: int, ctx: eventual.TaskContext) -> int:
    return input * 2
"""
NOTE = """\
import eventual

def note(input: str, ctx: eventual.TaskContext) -> None:
    ctx.emit("Done", {"n": len(input)})
"""


class EngineClock:
    """A clock the test moves: seconds since the epoch, from 0 like the TestEnvironment."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class VirtualEngine:
    """The engine on a real file, driven like the TestEnvironment: ``tick`` runs what is
    due, then moves the clock through each due item to ``now + seconds``."""

    def __init__(self, service: Service, path: Path) -> None:
        self.clock = EngineClock()
        self.engine = Engine(path, [service], clock=self.clock, threads=1)

    def busy(self) -> bool:
        row = self.engine.store.db.execute(
            "SELECT 1 FROM work WHERE ready <= ? OR owner IS NOT NULL LIMIT 1", (self.clock(),)
        ).fetchone()
        return row is not None

    def tick(self, seconds: float = 1) -> None:
        target = self.clock.now + seconds
        while True:
            self.engine.run(until=lambda: not self.busy())
            due = Store.next_due(self.engine.store.db)
            if due is None or due > target:
                break
            self.clock.now = max(self.clock.now, due)
        self.clock.now = target


def both(
    service: Service, tmp_path: Path, scenario: Callable[[Any, Callable[..., str]], None]
) -> tuple[list[Any], list[Any]]:
    """Runs ``scenario(runtime, start)`` on both runtimes; returns each one's
    ``(status, result, error, history)`` for every execution started, in order."""
    env = TestEnvironment(service)
    env_ids: list[str] = []

    def env_start(workflow: str, input: Any = None, name: str | None = None) -> str:
        env_ids.append(env.start_execution(workflow, input, name).id)
        return env_ids[-1]

    scenario(env, env_start)
    engine = VirtualEngine(service, tmp_path / "engine.db")
    engine_ids: list[str] = []

    def engine_start(workflow: str, input: Any = None, name: str | None = None) -> str:
        engine_ids.append(engine.engine.start(workflow, input, name))
        return engine_ids[-1]

    scenario(engine, engine_start)

    def env_view(i: str) -> Any:
        status = env._executions[i].state
        return [status.status.value, status.result, status.error, env._executions[i].state.history]

    def engine_view(i: str) -> Any:
        view = engine.engine.execution(i)
        return [view.status.value, view.result, view.error, engine.engine.history(i)]

    return [env_view(i) for i in env_ids], [engine_view(i) for i in engine_ids]


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def same(service: Service, tmp_path: Path, scenario: Callable[..., None]) -> list[Any]:
    expected, got = both(service, tmp_path, scenario)
    assert _json(got) == _json(expected)
    return got
