"""The TestEnvironment and the interpreter behind it, step kind by step kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from tests.parity import DOUBLE, NOTE, SPEC
from tests.support import MakeService

from eventual import ExecutionStatus, Service, TaskContext, TaskError, definition
from eventual.testing import TestEnvironment


def test_the_contract_example_runs_as_written() -> None:
    from generated.orders import service

    env = TestEnvironment(service)
    env.mock_task("processPayment").fail(RuntimeError("failed to process payment"))
    ship = env.mock_task("shipOrder").succeed("ship-1")
    execution = env.start_execution("processOrder", input="order-1")
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS
    env.tick()
    status = execution.get_status()
    assert status.status == ExecutionStatus.FAILED
    assert (status.error.error, status.error.message) == (
        "RuntimeError",
        "failed to process payment",
    )
    assert ship.calls == []


def test_the_order_workflow_succeeds_with_the_example_handlers() -> None:
    from generated.orders import service

    env = TestEnvironment(service)
    execution = env.start_execution("processOrder", input="order-7")
    env.tick()
    status = execution.get_status()
    assert status.status == ExecutionStatus.SUCCEEDED
    assert status.result["orderId"] == "order-7"
    assert status.result["shippingId"] == "ship-order-7"
    assert status.result["paymentId"].startswith("pay-order-7-")


def test_the_choreography_ping_pongs_events() -> None:
    from generated.orders import OrderCreated, service

    env = TestEnvironment(service)
    env.publish(OrderCreated(orderId="o-1"))
    env.tick()
    assert env.emitted == [
        ("OrderCreated", {"orderId": "o-1"}),
        ("PaymentProcessed", {"orderId": "o-1", "paymentId": "pay-o-1"}),
        ("OrderShipped", {"orderId": "o-1", "shipmentId": "ship-o-1"}),
    ]
    assert env.dead_letters == []


@pytest.fixture
def flows(make_service: MakeService) -> Service:
    return make_service(SPEC, double=DOUBLE, note=NOTE)


def test_for_each_keeps_input_order_and_respects_concurrency(flows: Service) -> None:
    env = TestEnvironment(flows)
    double = env.mock_task("double").invoke(lambda i, _c: i * 2)
    execution = env.start_execution("sum", input=[3, 4, 5])
    env.tick()
    assert execution.get_status().result == 14
    assert double.calls == [3, 4, 5]


def test_parallel_if_set_emit_and_return(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("branches", input=6)
    env.tick()
    status = execution.get_status()
    assert status.status == ExecutionStatus.SUCCEEDED, status.error
    assert status.result == {"size": "big", "both": {"a": 12, "b": 14}}
    assert env.emitted == [("Done", {"n": 14})]


def test_retries_follow_the_virtual_clock(flows: Service) -> None:
    env = TestEnvironment(flows)
    double = env.mock_task("double")
    double.fail_once(RuntimeError("one")).fail_once(RuntimeError("two")).succeed(8)
    execution = env.start_execution("parent", input=[1])
    env.tick(9)
    assert len(double.calls) == 1
    env.tick(1)  # the retry is due at failure time + 10s, and fires within this tick
    assert len(double.calls) == 2
    env.tick(29)
    assert len(double.calls) == 2
    env.tick(1)  # the second delay is 10s * 3
    assert len(double.calls) == 3
    assert execution.get_status().status == ExecutionStatus.FAILED  # sum of one item fails
    assert execution.get_status().error.error == "ExpressionError"


def test_retries_give_up_after_the_attempts(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.mock_task("double").fail(TaskError("Declined", "card declined"))
    execution = env.start_execution("sum", input=[1, 2])
    env.tick(3600)
    error = execution.get_status().error
    assert (error.error, error.message) == ("Declined", "card declined")


def test_compensation_runs_in_reverse_once_and_keeps_the_failure(flows: Service) -> None:
    env = TestEnvironment(flows)
    undo = env.mock_task("undo").succeed()
    execution = env.start_execution("saga", input=2)
    env.tick()
    env.send_signal(execution, "go", False)
    env.tick()
    status = execution.get_status()
    assert status.status == ExecutionStatus.FAILED
    assert (status.error.error, status.error.message) == ("Rejected", "no go for 2")
    assert undo.calls == ["two", "one 4"]


def test_signals_sent_early_are_kept_and_undeclared_ones_rejected(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("saga", input=1)
    env.send_signal(execution, "go", True)
    with pytest.raises(ValueError, match="declares no signal 'stop'"):
        env.send_signal(execution, "stop")
    env.tick()
    assert execution.get_status().status == ExecutionStatus.SUCCEEDED


def test_signal_timeout_fails_and_compensates(flows: Service) -> None:
    env = TestEnvironment(flows)
    undo = env.mock_task("undo").succeed()
    execution = env.start_execution("saga", input=1)
    env.tick(3599)
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS
    env.tick(1)
    assert execution.get_status().error.error == "Timeout"
    assert undo.calls == ["two", "one 2"]


def test_cancel_compensates(flows: Service) -> None:
    env = TestEnvironment(flows)
    undo = env.mock_task("undo").succeed()
    execution = env.start_execution("saga", input=1)
    env.tick()
    env.cancel(execution)
    env.tick()
    assert execution.get_status().status == ExecutionStatus.CANCELLED
    assert undo.calls == ["two", "one 2"]


def test_task_timeout_is_caught(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.mock_task("flaky").timeout()
    execution = env.start_execution("guarded", input=1)
    env.tick(59)
    assert env.emitted == []
    env.tick(1)
    assert env.emitted == [("Done", {"n": len("Timeout: task timed out")})]
    env.tick(3600)
    assert execution.get_status().result == "done"


def test_subscriptions_filter_retry_dead_letter_and_start_workflows(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.publish("Big", {"amount": 50})
    env.publish("Big", {"amount": 500})
    env.publish("Big", {"amount": 500})
    env.tick(10)
    # onBig is still a stub: NotImplementedError on both attempts of both big events
    assert [(d.subscription, d.event, d.payload, d.error.error) for d in env.dead_letters] == [
        ("onBig", "Big", {"amount": 500}, "NotImplementedError")
    ] * 2
    starts = [e for e in env._executions.values() if e.state.workflow == "sum"]
    assert len(starts) == 2  # names big-50 and big-500: the second big-500 is a no-op


def test_validation_errors(flows: Service) -> None:
    env = TestEnvironment(flows)
    with pytest.raises(Exception, match="Big"):
        env.publish("Big", {"amount": "lots"})
    with pytest.raises(ValueError, match=r"^input of sum: "):  # as the engine and AWS refuse it
        env.start_execution("sum", input="not a list")
    assert env.executions() == []


def test_same_inputs_give_the_same_history(flows: Service) -> None:
    def run() -> list[dict[str, object]]:
        env = TestEnvironment(flows)
        env.mock_task("double").fail_once(RuntimeError("x")).invoke(lambda i, _c: i + 1)
        execution = env.start_execution("branches", input=3)
        env.tick(100)
        return execution.history()

    assert run() == run()


def test_executions_are_pinned_to_their_definition(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("saga", input=1)
    env.tick()
    version = env._executions[execution.id].state.version
    assert version == flows.workflows["saga"].version


def test_a_task_without_heartbeats_times_out_at_its_heartbeat(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.mock_task("slow").timeout()
    execution = env.start_execution("beating", input=1)
    env.tick(9)
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS
    env.tick(1)
    error = execution.get_status().error
    assert (error.error, error.message) == ("Timeout", "no heartbeat in time")


def test_heartbeats_are_accepted_and_the_result_counts(flows: Service) -> None:
    env = TestEnvironment(flows)

    def beat(value: int, ctx: TaskContext) -> int:
        ctx.heartbeat()
        return value + 1

    env.mock_task("slow").invoke(beat)
    execution = env.start_execution("beating", input=1)
    env.tick(100)
    assert execution.get_status().status == ExecutionStatus.SUCCEEDED


def test_workflow_timeout_ends_timed_out(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("timed")
    env.tick(3599)
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS
    env.tick(1)
    assert execution.get_status().status == ExecutionStatus.TIMED_OUT


def test_sleep_until_follows_the_virtual_clock(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("until")
    env.tick(5399)
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS
    env.tick(1)
    assert execution.get_status().result == "1970-01-01T01:30:00Z"


def test_retry_filter_and_max_backoff(flows: Service) -> None:
    env = TestEnvironment(flows)
    double = env.mock_task("double")
    double.fail_once(TaskError("Busy")).fail_once(TaskError("Busy")).fail_once(TaskError("Busy"))
    double.succeed(2)
    execution = env.start_execution("picky", input=1)
    env.tick(10)  # first retry after 10s
    assert len(double.calls) == 2
    env.tick(60)  # then 100s, capped at 60s
    assert len(double.calls) == 3
    env.tick(60)
    assert execution.get_status().status == ExecutionStatus.SUCCEEDED
    other = TestEnvironment(flows)
    other.mock_task("double").fail(TaskError("Fatal", "no"))
    failed = other.start_execution("picky", input=1)
    other.tick()
    assert failed.get_status().error.error == "Fatal"  # not in `errors`: no retry


def test_a_failing_branch_cancels_the_others(flows: Service) -> None:
    env = TestEnvironment(flows)
    double = env.mock_task("double").fail(RuntimeError("fast fails"))
    execution = env.start_execution("racing", input=1)
    env.tick(7200)
    assert execution.get_status().error.message == "fast fails"
    assert double.calls == [1, 1, 1]  # three attempts; the slow branch never reached its task


def test_a_failing_iteration_stops_new_ones(flows: Service) -> None:
    env = TestEnvironment(flows)
    double = env.mock_task("double").invoke(_fail_on(2))
    execution = env.start_execution("looping")
    env.tick(100)
    assert execution.get_status().status == ExecutionStatus.FAILED
    assert double.calls == [1, 2, 2, 2]  # item 2 with its retries; 3 and 4 never start


def _fail_on(bad: int) -> Callable[[int, TaskContext], int]:
    def run(value: int, _ctx: TaskContext) -> int:
        if value == bad:
            raise RuntimeError(f"bad {value}")
        return value

    return run


def test_a_failing_compensation_is_recorded_and_the_rest_still_run(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.mock_task("double").succeed(0)
    undo = env.mock_task("undo").fail_once(RuntimeError("undo c failed")).succeed()
    execution = env.start_execution("undoing", input=1)
    env.tick()
    status = execution.get_status()
    assert (status.status, status.error.error) == (ExecutionStatus.FAILED, "Stop")
    assert undo.calls == ["c", "b", "a"]
    failed = [h for h in execution.history() if h["type"] == "CompensationFailed"]
    assert len(failed) == 1 and failed[0]["error"]["message"] == "undo c failed"


def test_undeclared_emits_fail_the_task(flows: Service) -> None:
    env = TestEnvironment(flows)

    def sneaky(value: int, ctx: TaskContext) -> int:
        ctx.emit("Big", {"amount": 1})
        return value

    env.mock_task("double").invoke(sneaky)
    execution = env.start_execution("sum", input=[1, 2])
    env.tick(100)
    assert execution.get_status().error.error == "UndeclaredEmit"


def test_invalid_task_output_is_a_validation_error(flows: Service) -> None:
    env = TestEnvironment(flows)
    env.mock_task("double").succeed("not a number")
    execution = env.start_execution("sum", input=[1, 2])
    env.tick()
    assert execution.get_status().error.error == "ValidationError"


def test_async_handlers_run(flows: Service) -> None:
    env = TestEnvironment(flows)

    async def double(value: int, _ctx: TaskContext) -> int:
        return value * 2

    env.mock_task("double").invoke(double)
    execution = env.start_execution("parent", input=[1, 2])
    env.tick()
    assert execution.get_status().result == 60  # the child `sum` returned 2 + 4


def test_a_new_definition_does_not_move_running_executions(flows: Service) -> None:
    env = TestEnvironment(flows)
    execution = env.start_execution("timed")
    env.tick()
    pinned = env._executions[execution.id].interpreter
    changed = dataclasses.replace(
        flows.workflows["timed"],
        version="v2",
        steps=(definition.Step("return", None, value="new"),),
    )
    flows.workflows = {**flows.workflows, "timed": changed}  # a redeploy with another definition
    newer = env.start_execution("timed")
    env.tick()
    assert env._executions[execution.id].interpreter is pinned
    assert newer.get_status().result == "new"
    assert execution.get_status().status == ExecutionStatus.IN_PROGRESS


def test_set_assigns_in_written_order_and_all_or_nothing(make_service: MakeService) -> None:
    service = make_service("""\
        service: setter
        workflows:
          ordered:
            steps:
              - set: {b: 1, a: "${{ vars.b + 1 }}"}
              - return: ${{ vars }}
          atomic:
            steps:
              - set: {a: 1}
              - try:
                  - set: {a: 5, b: "${{ 1 / (vars.a - 5) }}"}
                catch: [{steps: [{return: "${{ vars }}"}]}]
        """)
    env = TestEnvironment(service)
    ordered = env.start_execution("ordered")
    atomic = env.start_execution("atomic")
    env.tick()
    assert ordered.get_status().result == {"b": 1, "a": 2}
    assert atomic.get_status().result == {"a": 1}
