"""``wait_for_signal`` on a list and ``timeout: ${{ }}`` (§2.8): any of several signals,
``{name, payload}`` out, the earliest queued one taken, and timeouts computed when the
step starts; the same on the TestEnvironment and the engine (``tests.parity.same``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.parity import same

from eventual import Service
from eventual.testing import TestEnvironment

SPEC = """\
service: decisions
tasks:
  work: {input: integer, output: integer, timeout: 10m}
workflows:
  decide:
    input:
      type: object
      required: [deadline]
      properties:
        deadline: {}
        work: {}
    signals:
      approve: {type: object, required: [by], properties: {by: {type: string}}}
      reject: {type: object, required: [reason], properties: {reason: {type: string}}}
      note: "null"
    steps:
      - id: decision
        wait_for_signal: [approve, reject]
        timeout: ${{ input.deadline }}
        catch:
          - errors: [Timeout]
            steps: [{return: timed out}]
          - errors: [ExpressionError]
            as: problem
            steps: [{return: "bad: ${{ problem.message }}"}]
      - wait_for_signal: note
        timeout: 10s
      - return: ${{ steps.decision.output }}
  slowWork:
    input: string
    steps:
      - task: work
        input: 1
        timeout: ${{ input }}
        catch: [{errors: ["*"], as: e, steps: [{return: "${{ e.error }}"}]}]
      - return: done
"""
WORK = "def handler(input, ctx):\n    return input\n"


@pytest.fixture
def decisions(make_service: Any) -> Service:
    service: Service = make_service(SPEC, work=WORK)
    return service


def outcome(runtime: Any, execution: str) -> list[Any]:
    if isinstance(runtime, TestEnvironment):
        status = runtime.execution(execution).get_status()
        return [status.status.value, status.result]
    view = runtime.engine.execution(execution)
    return [view.status.value, view.result]


def signal(runtime: Any, execution: str, name: str, payload: Any = None) -> None:
    sender = runtime if isinstance(runtime, TestEnvironment) else runtime.engine
    sender.signal(execution, name, payload)


def test_any_listed_signal_ends_the_wait_with_its_name(decisions: Service, tmp_path: Path) -> None:
    seen: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        execution = start("decide", {"deadline": 60})
        runtime.tick(5)
        signal(runtime, execution, "reject", {"reason": "too dear"})
        signal(runtime, execution, "note")
        runtime.tick(1)
        seen.append(outcome(runtime, execution))

    same(decisions, tmp_path, scenario)
    assert seen == [["SUCCEEDED", {"name": "reject", "payload": {"reason": "too dear"}}]] * 2


def test_the_earliest_queued_signal_of_the_list_is_taken(
    decisions: Service, tmp_path: Path
) -> None:
    seen: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        execution = start("decide", {"deadline": 60})
        # All queued before the workflow starts: note first (not listed), then approve.
        signal(runtime, execution, "note")
        signal(runtime, execution, "approve", {"by": "ann"})
        signal(runtime, execution, "reject", {"reason": "late"})
        runtime.tick(1)
        seen.append(outcome(runtime, execution))

    same(decisions, tmp_path, scenario)
    assert seen == [["SUCCEEDED", {"name": "approve", "payload": {"by": "ann"}}]] * 2


@pytest.mark.parametrize(("deadline", "ends_at"), [(30, 30), ("1m30s", 90), ("2m", 120), (0, 0)])
def test_a_timeout_expression_gives_seconds_or_a_duration(
    decisions: Service, tmp_path: Path, deadline: Any, ends_at: int
) -> None:
    ended: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        execution = start("decide", {"deadline": deadline})
        runtime.tick(0)
        if ends_at:
            runtime.tick(ends_at - 1)
            assert outcome(runtime, execution) == ["IN_PROGRESS", None]
        runtime.tick(1)
        ended.append(outcome(runtime, execution))

    same(decisions, tmp_path, scenario)
    assert ended == [["SUCCEEDED", "timed out"]] * 2


@pytest.mark.parametrize("deadline", ["soon", -5, True, None])
def test_a_bad_timeout_value_fails_the_step_with_expression_error(
    decisions: Service, tmp_path: Path, deadline: Any
) -> None:
    ended: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        execution = start("decide", {"deadline": deadline})
        runtime.tick(1)
        ended.append(outcome(runtime, execution))

    same(decisions, tmp_path, scenario)
    assert [status for status, _ in ended] == ["SUCCEEDED"] * 2
    assert all(result.startswith("bad: timeout: ") for _, result in ended), ended


def test_a_task_timeout_expression_times_the_task_out(decisions: Service) -> None:
    env = TestEnvironment(decisions)
    env.mock_task("work").timeout()
    execution = env.start_execution("slowWork", "45s")
    env.tick(44)
    assert execution.get_status().status.value == "IN_PROGRESS"
    env.tick(1)
    assert execution.get_status().result == "Timeout"


def test_the_order_of_queued_signals_is_durable() -> None:
    from datetime import UTC, datetime

    from eventual.interpreter import ExecutionState
    from eventual.state import dump_state, load_state

    state = ExecutionState("x-1", "x-1", "decide", "v", None, datetime(2026, 1, 1, tzinfo=UTC))
    state.signals = {"reject": [{"reason": "r"}], "approve": [{"by": "a"}]}
    state.signal_order = ["reject", "approve"]
    assert load_state(dump_state(state)).signal_order == ["reject", "approve"]
    older = dump_state(state).replace('"signal_order":["reject","approve"],', "")
    assert '"signal_order"' not in older  # a state saved before the order was kept
    assert load_state(older).signal_order == []
