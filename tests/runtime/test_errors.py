"""Errors as Step Functions and Temporal users handle them: retry policy lists (first
match wins, each policy counting its own attempts, ``except`` deny-lists; on a
subscription, counting the delivery's attempts), ``fail``
rethrowing a caught error or computing its name, and ``compensate_on_failure``; the
compiler's checks of policy lists. Runtime scenarios run on both local runtimes.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.parity import same
from tests.support import CheckSpec, MakeService, codes

from eventual import Service
from eventual.definition import Step, Task
from eventual.retry import RetryPolicy, first_match

SPEC = """\
service: errs
events:
  Ping: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}
subscriptions:
  onPing:
    events: [Ping]
    retry:
      - {errors: [Throttled], attempts: 4, backoff: 2s, multiplier: 1}
      - {except: [InvalidAccount], attempts: 2, backoff: 10s}
tasks:
  flaky:
    input: string
    output: string
    retry:
      - {errors: [Throttled], attempts: 4, backoff: 2s, multiplier: 1}
      - {except: [InvalidAccount], attempts: 2, backoff: 10s}
  undo: {input: string}
workflows:
  retrying:
    input: string
    output: string
    steps:
      - return: ${{ input }}
  call:
    input: string
    output: string
    steps:
      - id: call
        task: flaky
        input: ${{ input }}
      - return: ${{ steps.call.output }}
  rethrow:
    input: string
    steps:
      - task: flaky
        input: ${{ input }}
        retry: {attempts: 1}
        catch:
          - steps:
              - fail: ${{ error }}
  computed:
    input: string
    steps:
      - fail: {error: "${{ input }}", message: "computed ${{ input }}"}
  undoing:
    input: string
    steps:
      - id: first
        task: undo
        input: first
        compensate: [{task: undo, input: "undo first"}]
      - id: second
        task: flaky
        input: ${{ input }}
        retry: {attempts: 1}
        compensate_on_failure: true
        compensate: [{task: undo, input: "undo second"}]
      - task: undo
        input: never
  caughtUndo:
    input: string
    steps:
      - task: flaky
        input: ${{ input }}
        retry: {attempts: 1}
        compensate_on_failure: true
        compensate: [{task: undo, input: "undo flaky"}]
        catch:
          - steps: [{fail: {error: Gave.Up, message: "${{ error.error }}"}}]
"""

FLAKY = """\
import eventual

CALLS: list[str] = []
SCRIPT: list[str] = []  # error names to raise, one per call, then succeed


def flaky(input: str, ctx: eventual.TaskContext) -> str:
    CALLS.append(input)
    if SCRIPT:
        raise eventual.TaskError(SCRIPT.pop(0), f"{input} failed")
    return input.upper()
"""

ON_PING = """\
import eventual

CALLS: list[int] = []
SCRIPT: list[str] = []  # error names to raise, one per call, then succeed


def on_ping(event, ctx: eventual.SubscriptionContext) -> None:
    CALLS.append(event.n)
    if SCRIPT:
        raise eventual.TaskError(SCRIPT.pop(0), f"ping {event.n} failed")
"""

UNDO = """\
import eventual

CALLS: list[str] = []


def undo(input: str, ctx: eventual.TaskContext) -> None:
    CALLS.append(input)
"""


@pytest.fixture
def errs(make_service: MakeService) -> Service:
    return make_service(SPEC, flaky=FLAKY, undo=UNDO, on_ping=ON_PING)


def handler(service: Service, name: str) -> Any:
    return importlib.import_module(f"{service.package}.handlers.{name}")


def run(
    service: Service, tmp_path: Path, workflow: str, script: list[str], seconds: float = 600
) -> tuple[list[Any], list[str]]:
    """``workflow`` on both runtimes, ``flaky`` raising ``script``'s errors in turn; the
    engine's outcome and the calls ``flaky`` got on one runtime."""
    flaky = handler(service, "flaky")
    calls: list[str] = []

    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        flaky.SCRIPT[:] = script
        flaky.CALLS.clear()
        start(workflow, "x")
        runtime.tick(seconds)
        calls[:] = flaky.CALLS

    got = same(service, tmp_path, scenario)
    return got[0], calls


def retry_times(history: list[dict[str, Any]]) -> list[str]:
    return [str(e["time"]) for e in history if e["type"] == "TaskScheduled"]


def test_the_first_matching_policy_decides_and_counts_its_own_attempts(
    errs: Service, tmp_path: Path
) -> None:
    # Throttled is retried by policy 1 (4 attempts), the others by policy 2 (2 attempts):
    # two Throttled failures do not use up policy 2's attempt.
    outcome, calls = run(errs, tmp_path, "call", ["Throttled", "Boom", "Throttled"])
    assert outcome[:2] == ["SUCCEEDED", "X"]
    assert len(calls) == 4
    times = retry_times(outcome[3])
    assert [t[11:19] for t in times] == ["00:00:00", "00:00:02", "00:00:12", "00:00:14"]


def test_a_spent_policy_does_not_fall_through_to_the_next(errs: Service, tmp_path: Path) -> None:
    outcome, calls = run(errs, tmp_path, "call", ["Boom", "Boom", "Throttled"])
    assert outcome[2] == {"error": "Boom", "message": "x failed"}
    assert len(calls) == 2  # policy 2 allows two attempts, policy 1 is not consulted


def test_an_excepted_error_is_not_retried(errs: Service, tmp_path: Path) -> None:
    outcome, calls = run(errs, tmp_path, "call", ["InvalidAccount"])
    assert outcome[:3] == ["FAILED", None, {"error": "InvalidAccount", "message": "x failed"}]
    assert len(calls) == 1


def test_fail_rethrows_the_caught_error_as_it_was(errs: Service, tmp_path: Path) -> None:
    outcome, _ = run(errs, tmp_path, "rethrow", ["Lambda.ServiceException"])
    assert outcome[2] == {"error": "Lambda.ServiceException", "message": "x failed"}


def test_a_computed_error_name_must_be_a_name(errs: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("computed", "Out.Of.Stock")
        start("computed", "not a name")
        runtime.tick()

    named, bad = same(errs, tmp_path, scenario)
    assert named[2] == {"error": "Out.Of.Stock", "message": "computed Out.Of.Stock"}
    assert bad[2]["error"] == "ExpressionError"
    assert "'not a name' is not a valid error name" in bad[2]["message"]


def test_a_failed_step_with_compensate_on_failure_is_undone_with_the_completed_ones(
    errs: Service, tmp_path: Path
) -> None:
    undo = handler(errs, "undo")
    undo.CALLS.clear()
    outcome, _ = run(errs, tmp_path, "undoing", ["Boom"])
    assert outcome[0] == "FAILED"
    # reverse order: the failed step's own undo first, per runtime
    assert undo.CALLS == ["first", "undo second", "undo first"] * 2


def test_a_caught_failure_registers_the_undo_once(errs: Service, tmp_path: Path) -> None:
    undo = handler(errs, "undo")
    undo.CALLS.clear()
    outcome, _ = run(errs, tmp_path, "caughtUndo", ["Boom"])
    assert outcome[2] == {"error": "Gave.Up", "message": "Boom"}
    assert undo.CALLS == ["undo flaky"] * 2


def test_a_successful_step_with_compensate_on_failure_is_undone_as_usual(
    errs: Service, tmp_path: Path
) -> None:
    undo = handler(errs, "undo")
    undo.CALLS.clear()
    outcome, _ = run(errs, tmp_path, "undoing", [])
    assert outcome[0] == "SUCCEEDED"
    assert undo.CALLS == ["first", "never"] * 2


def deliveries(service: Service, folder: Path, script: list[str]) -> list[Any]:
    """A ``Ping`` published to ``onPing`` raising ``script``'s errors in turn, on both
    local runtimes: per runtime, the attempts' times and the dead letters."""
    from tests.parity import VirtualEngine

    from eventual.testing import TestEnvironment

    on_ping = handler(service, "on_ping")
    outcomes: list[Any] = []
    for runtime in ("env", "engine"):
        on_ping.SCRIPT[:] = script
        on_ping.CALLS.clear()
        times: list[float] = []
        if runtime == "env":
            env = TestEnvironment(service)
            env.publish("Ping", {"n": 1})
            for step in [0, *[1] * 120]:
                before = len(on_ping.CALLS)
                env.tick(step)
                times += [env.now.timestamp()] * (len(on_ping.CALLS) - before)
            letters = [(d.subscription, d.error.error) for d in env.dead_letters]
        else:
            engine = VirtualEngine(service, folder / f"{len(list(folder.iterdir()))}.db")
            engine.engine.publish("Ping", {"n": 1})
            for step in [0, *[1] * 120]:
                before = len(on_ping.CALLS)
                engine.tick(step)
                times += [engine.clock.now] * (len(on_ping.CALLS) - before)
            letters = [(d.subscription, d.error["error"]) for d in engine.engine.dead_letters()]
        outcomes.append(([t - times[0] for t in times], letters))
    assert outcomes[0] == outcomes[1]
    return list(outcomes[0])


def test_a_subscription_takes_a_policy_list_counting_the_deliverys_attempts(
    errs: Service, tmp_path: Path
) -> None:
    # Throttled: the first policy, every 2s, up to 4 attempts of the delivery.
    assert deliveries(errs, tmp_path, ["Throttled"] * 3) == [[0, 2, 4, 6], []]
    assert deliveries(errs, tmp_path, ["Throttled"] * 4) == [
        [0, 2, 4, 6],
        [("onPing", "Throttled")],
    ]
    # Another error: the second policy, 10s, 2 attempts of the delivery in all.
    assert deliveries(errs, tmp_path, ["Boom"]) == [[0, 10], []]
    assert deliveries(errs, tmp_path, ["Throttled", "Boom"]) == [[0, 2], [("onPing", "Boom")]]
    # Excepted by the only policy that would match it: dead-lettered at once.
    assert deliveries(errs, tmp_path, ["InvalidAccount"]) == [[0], [("onPing", "InvalidAccount")]]


def test_subscription_retries_decide_with_the_first_match() -> None:
    from eventual.retry import retry_after

    policies = (RetryPolicy(4, 2.0, 1.0, errors=("Throttled",)), RetryPolicy(2, 10.0))
    rng = random.Random(0)
    assert retry_after(policies, {"error": "Throttled"}, 3, rng) == 2.0
    assert retry_after(policies, {"error": "Throttled"}, 4, rng) is None
    assert retry_after(policies, {"error": "Boom"}, 1, rng) == 10.0
    assert retry_after(policies, {"error": "Boom"}, 2, rng) is None  # spent: no fall-through
    assert retry_after(policies, {"error": "ValidationError"}, 1, rng) is None


def test_policies_match_as_documented() -> None:
    policies = (
        RetryPolicy(3, errors=("Throttled",)),
        RetryPolicy(3, except_=("InvalidAccount",)),
    )
    assert first_match(policies, "Throttled") == 0
    assert first_match(policies, "Boom") == 1
    assert first_match(policies, "InvalidAccount") is None
    assert first_match(policies, "ValidationError") is None
    assert first_match((RetryPolicy(2, errors=("*",)),), "ValidationError") == 0


def test_definitions_keep_lists_and_read_a_single_policy_as_one() -> None:
    task = Task("t", None, None, 5.0, None, (RetryPolicy(2, 1.0, except_=("X",)),), (), 128)
    data = task.to_json()
    assert data["retry"][0]["except"] == ["X"]
    assert Task.from_json(data) == task
    data["retry"] = data["retry"][0]
    assert Task.from_json(data) == task
    step = Step("task", "s", target="t", compensate=(Step("return", None),),
                compensate_on_failure=True)  # fmt: skip
    assert Step.from_json(step.to_json()) == step
    assert "compensate_on_failure" not in Step("task", "s").to_json()


RETRY_SPEC = """\
service: shop
tasks:
  charge:
    input: string
    retry:
{policies}
"""


@pytest.mark.parametrize(
    ("policies", "found"),
    [
        (["{errors: [Throttled], attempts: 6, backoff: 2s}", "{except: [Invalid], attempts: 3}"],
         []),
        (["{errors: ['*'], attempts: 2}", "{errors: [Throttled], attempts: 6}"], ["W610"]),
        (["{attempts: 2}", "{errors: [Throttled], attempts: 6}"], ["W610"]),
        (["{attempts: 2}", "{errors: [ValidationError], attempts: 6}"], []),
        (["{except: [A, B], attempts: 2}", "{except: [A], attempts: 6}"], []),
        (["{except: [A], attempts: 2}", "{except: [A, B], attempts: 6}"], ["W610"]),
        (["{errors: [A], attempts: 2}", "{except: [A], attempts: 2}", "{attempts: 6}"],
         ["W610"]),
        (["{errors: [A], except: [B], attempts: 2}"], ["E110"]),
        (["{errors: [Lambda.ServiceException], attempts: 2}"], []),
        (["{errors: [States.Timeout], attempts: 2}"], ["E104"]),
    ],
)  # fmt: skip
def test_policy_lists_are_checked(
    check_spec: CheckSpec, policies: list[str], found: list[str]
) -> None:
    lines = "\n".join(f"      - {p}" for p in policies)
    assert codes(check_spec(RETRY_SPEC.format(policies=lines))) == found


@pytest.mark.parametrize(
    ("fail", "found"),
    [
        ("fail: ${{ error }}", []),
        ('fail: {error: "${{ error.error }}", message: "${{ error.message }}"}', []),
        ("fail: ${{ error.message }}", ["E405"]),
        ('fail: {error: "${{ 1 }}"}', ["E405"]),
        ("fail: just words", ["E104"]),
    ],
)
def test_computed_fails_are_type_checked(
    check_spec: CheckSpec, fail: str, found: list[str]
) -> None:
    spec = f"""\
service: shop
tasks:
  charge: {{input: string}}
workflows:
  pay:
    steps:
      - task: charge
        input: x
        catch:
          - steps:
              - {fail}
"""
    assert codes(check_spec(spec)) == found


def test_compensate_on_failure_needs_a_compensate(check_spec: CheckSpec) -> None:
    spec = """\
service: shop
tasks:
  charge: {input: string}
workflows:
  pay:
    steps:
      - {task: charge, input: x, compensate_on_failure: true}
"""
    assert codes(check_spec(spec)) == ["E106"]
