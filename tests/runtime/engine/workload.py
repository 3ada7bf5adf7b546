"""The crash suite's service and workload, and what must come of it, computed apart.

``SPEC`` is a service (``crashy``) whose ``pipeline`` workflow runs a task, sleeps 1 s
(so timers cross crashes), loops three turns of a ``while`` (a 200 ms sleep and a
task each), squares three numbers in a ``for_each``, runs two
``parallel`` branches (one with a retried task that fails by design for some inputs,
then caught), runs a retried task that fails by design for other inputs (uncaught:
the execution fails), emits ``Ping`` and returns a result built from the steps; three
subscriptions take every ``Ping``: ``tally`` (all), ``big`` (a filter) and ``flaky``
(fails by design for some payloads: two attempts, then the dead-letter store).
``correlated`` sleeps 1 s, then waits twice for a ``Ship`` event matching its input
(``wait_for_event``), and returns the two events' ``n``.

Every handler appends one JSON line per call to the file named by ``$CRASH_LOG``
(opened per call with ``O_APPEND``: a line written survives a SIGKILL a moment later;
without the variable nothing is written, as in a reference run). The ``expected_*``
functions say what each input must end as, from the input alone, not from any runtime.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC = """\
service: crashy
events:
  Ping:
    schema:
      type: object
      required: [n, origin]
      properties: {n: {type: integer}, origin: {type: string}}
  Ship:
    schema:
      type: object
      required: [key, n]
      properties: {key: {type: integer}, n: {type: integer}}
tasks:
  square: {input: integer, output: integer}
  risky: {input: integer, output: integer, retry: {attempts: 2, backoff: 100ms}}
  judge: {input: integer, retry: {attempts: 2, backoff: 100ms}}
  slow: {input: integer, output: integer}
subscriptions:
  tally: {events: [Ping]}
  big: {events: [Ping], filter: {n: [{numeric: [">=", 500]}]}}
  flaky: {events: [Ping], retry: {attempts: 2, backoff: 100ms}}
workflows:
  pipeline:
    input: integer
    steps:
      - {id: first, task: square, input: "${{ input }}"}
      - sleep: 1s
      - set: {turns: 0}
      - id: turns
        while: ${{ vars.turns < 3 }}
        steps:
          - set: {turns: "${{ vars.turns + 1 }}"}
          - sleep: 200ms
          - {task: square, input: "${{ input + vars.turns }}"}
      - id: each
        for_each: ${{ [input, input + 1, input + 2] }}
        steps:
          - {task: square, input: "${{ item }}"}
      - id: sides
        parallel:
          left:
            - task: risky
              input: ${{ input }}
              catch:
                - errors: [Wobbly]
                  steps: [{task: square, input: -1}]
          right:
            - {task: square, input: "${{ input + 10 }}"}
      - {task: judge, input: "${{ input }}"}
      - emit: Ping
        payload: {n: "${{ input + 1000 }}", origin: wf}
      - return:
          first: ${{ steps.first.output }}
          each: ${{ steps.each.output }}
          sides: ${{ steps.sides.output }}
          turns: ${{ [vars.turns, steps.turns.output] }}
          total: ${{ steps.first.output + steps.each.output[0] + steps.each.output[2] }}
  patient:
    input: integer
    steps:
      - {id: a, task: slow, input: "${{ input }}"}
      - {id: b, task: slow, input: "${{ steps.a.output }}"}
      - return: ${{ steps.b.output }}
  correlated:
    input: integer
    steps:
      - sleep: 1s
      - {id: a, wait_for_event: Ship, match: {key: "${{ input }}"}}
      - {id: b, wait_for_event: Ship, match: {key: "${{ input }}"}}
      - return: ["${{ steps.a.output.n }}", "${{ steps.b.output.n }}"]
"""

_RECORD = """\
import json
import os
import time


def record(**line: object) -> None:
    path = os.environ.get("CRASH_LOG")
    if path:
        data = (json.dumps({**line, "pid": os.getpid(), "at": time.time()}) + "\\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        time.sleep(0.01)  # handlers take time (I/O), so kills find runs in flight
"""
_TASK = """\
import eventual
from ._record import record


def {name}(input: int, ctx: eventual.TaskContext) -> {output}:
{body}
"""
_SUBSCRIPTION = """\
import eventual
from ..models import Ping
from ._record import record


def {name}(event: Ping, ctx: eventual.SubscriptionContext) -> None:
    failing = {failing}
    record(sub="{name}", event=ctx.event_id, n=event.n, ok=not failing)
    if failing:
        raise eventual.TaskError("Refused", f"refused {{event.n}}")
"""
_BODIES = {
    "square": "    record(task='square', key=ctx.idempotency_key, input=input)\n"
    "    return input * input",
    "risky": "    record(task='risky', key=ctx.idempotency_key, input=input)\n"
    "    if input % 5 == 1:\n"
    "        raise eventual.TaskError('Wobbly', f'wobbly {input}')\n"
    "    return input * 3",
    "judge": "    record(task='judge', key=ctx.idempotency_key, input=input)\n"
    "    if input % 7 == 3:\n"
    "        raise eventual.TaskError('Unlucky', f'unlucky {input}')",
    "slow": "    import time\n"
    "    record(task='slow', key=ctx.idempotency_key, input=input, phase='start')\n"
    "    time.sleep(1.5)\n"
    "    record(task='slow', key=ctx.idempotency_key, input=input, phase='end')\n"
    "    return input + 1",
}


def handler_files() -> dict[str, str]:
    """``{file name under handlers/: source}`` replacing the generated stubs."""
    files = {"_record.py": _RECORD}
    for name, body in _BODIES.items():
        output = "None" if name == "judge" else "int"
        files[f"{name}.py"] = _TASK.format(name=name, body=body, output=output)
    files["tally.py"] = _SUBSCRIPTION.format(name="tally", failing="False")
    files["big.py"] = _SUBSCRIPTION.format(name="big", failing="False")
    files["flaky.py"] = _SUBSCRIPTION.format(name="flaky", failing="event.n % 10 == 7")
    return files


# -- what must happen, from the input alone ----------------------------------------------


def expected_end(n: int) -> tuple[str, Any, dict[str, str] | None]:
    """``(status, result, error)`` of ``pipeline`` on input ``n``."""
    if n % 7 == 3:
        return "FAILED", None, {"error": "Unlucky", "message": f"unlucky {n}"}
    each = [n * n, (n + 1) ** 2, (n + 2) ** 2]
    left = 1 if n % 5 == 1 else n * 3  # Wobbly is caught: square(-1)
    result = {
        "first": n * n, "each": each, "sides": {"left": left, "right": (n + 10) ** 2},
        "total": n * n + each[0] + each[2],
        "turns": [3, (n + 3) ** 2],  # the while loop: three turns, the last one's square
    }  # fmt: skip
    return "SUCCEEDED", result, None


def subscriptions_reached(n: int) -> dict[str, bool]:
    """``{subscription: succeeds}`` for a ``Ping`` with ``n``: the ones it reaches."""
    reached = {"tally": True, "flaky": n % 10 != 7}
    if n >= 500:
        reached["big"] = True
    return reached


# -- what did happen, from the side channel -----------------------------------------------


@dataclass
class SideChannel:
    """The handlers' lines, grouped: task runs by idempotency key, deliveries by
    ``(subscription, event id)`` with the outcome of each attempt."""

    runs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    deliveries: dict[tuple[str, str], list[bool]] = field(default_factory=lambda: defaultdict(list))
    pids: set[int] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> SideChannel:
        channel = cls()
        text = path.read_text() if path.exists() else ""
        for line in text.splitlines():
            entry = json.loads(line)
            channel.pids.add(entry["pid"])
            if "task" in entry:
                channel.runs[entry["key"]].append(entry)
            else:
                channel.deliveries[entry["sub"], entry["event"]].append(entry["ok"])
        return channel

    def repeated_runs(self) -> int:
        """Task runs done more than once (same key): the price of at-least-once."""
        return sum(len(lines) > 1 for lines in self.runs.values())
