"""One scenario through ``eventual.operations.Operations`` on each runtime: the same
calls, the same answers, whether the service runs in memory or on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eventual import ExecutionStatus, Service
from eventual.engine import Engine
from eventual.operations import Operations
from eventual.testing import TestEnvironment

SPEC = """\
service: ops
events:
  Ping: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}
tasks:
  double: {input: integer, output: integer}
subscriptions:
  onPing: {events: [Ping], workflow: approval, input: "${{ event.n }}", execution_name: "ping-${{ event.n }}"}
workflows:
  approval:
    input: integer
    output: integer
    signals: {approve: integer}
    steps:
      - {id: doubled, task: double, input: "${{ input }}"}
      - {id: answer, wait_for_signal: approve}
      - return: ${{ steps.doubled.output + steps.answer.output }}
"""
DOUBLE = """\
import eventual

def double(input: int, ctx: eventual.TaskContext) -> int:
    return input * 2
"""

Runtime = tuple[Operations, Callable[[], None]]  # the operations, and "run until idle"


@pytest.fixture(params=["TestEnvironment", "Engine"])
def runtime(request: pytest.FixtureRequest, make_service: Callable[..., Service],
            tmp_path: Path) -> Iterator[Runtime]:  # fmt: skip
    service = make_service(SPEC, double=DOUBLE)
    if request.param == "TestEnvironment":
        env = TestEnvironment(service)
        yield env, env.tick
        return
    engine = Engine(tmp_path / "ops.db", [service], threads=2)
    yield engine, lambda: engine.run(until=engine.idle)
    engine.close()


def test_the_same_scenario_on_every_runtime(runtime: Runtime) -> None:
    ops, settle = runtime
    first = ops.start("approval", 2, "first")
    assert ops.start("approval", 9, "first") == first  # a name used before: that one
    second = ops.start("approval", 5)
    settle()
    assert ops.get("first").status is ExecutionStatus.IN_PROGRESS
    with pytest.raises(Exception, match="declares no signal 'nope' \\(declared: approve\\)"):
        ops.signal(first, "nope")
    with pytest.raises(Exception, match="signal 'approve'"):
        ops.signal(first, "approve", "not a number")
    with pytest.raises(
        Exception, match=r"^input of approval: ApprovalInput: Input should be a valid integer$"
    ):
        ops.start("approval", "two", "refused")  # nothing is started
    ops.signal("first", "approve", 3)
    ops.cancel(second)
    assert isinstance(ops.publish("Ping", {"n": 4}), str)
    settle()

    done = ops.get(first)
    assert (done.id, done.name, done.workflow) == (first, "first", "approval")
    assert (done.status, done.result, done.error) == (ExecutionStatus.SUCCEEDED, 7, None)
    assert done.ended is not None and done.ended >= done.started
    assert ops.get(second).status is ExecutionStatus.CANCELLED
    assert ops.get(second).error == {"error": "Cancelled", "message": "the execution was cancelled"}
    assert ops.get("ping-4").status is ExecutionStatus.IN_PROGRESS
    assert [view.id for view in ops.list("approval", "SUCCEEDED")] == [first]
    assert {view.id for view in ops.list()} == {first, second, ops.get("ping-4").id}
    with pytest.raises(Exception, match=r"no execution|refused"):
        ops.get("refused")
    types = [entry["type"] for entry in ops.history(first)]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert types.count("SignalReceived") == 1 and "SignalRejected" not in types


def test_a_signal_sent_unchecked_is_refused_where_it_is_applied(
    make_service: Callable[..., Service], tmp_path: Path
) -> None:
    """An engine without the service's code checks only the signal's name; the worker's
    interpreter refuses a payload that does not fit, in the history, and waits on."""
    engine = Engine(tmp_path / "ops.db", [make_service(SPEC, double=DOUBLE)], threads=2)
    execution = engine.start("approval", 1)
    engine.run(until=engine.idle)
    bare = Engine(tmp_path / "ops.db")  # no services loaded: the payload goes unchecked
    bare.signal(execution, "approve", "not a number")
    engine.run(until=engine.idle)
    rejected = [e for e in engine.history(execution) if e["type"] == "SignalRejected"]
    assert [e["signal"] for e in rejected] == ["approve"]
    assert rejected[0]["reason"].startswith("signal 'approve': ")
    assert engine.get(execution).status is ExecutionStatus.IN_PROGRESS
    bare.signal(execution, "approve", 5)
    engine.run(until=engine.idle)
    assert engine.get(execution).result == 7
    bare.close()
    engine.close()
