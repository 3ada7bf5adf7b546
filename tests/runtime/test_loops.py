"""``while`` loops with ``break`` and ``continue``: checked, run alike on the
TestEnvironment and the engine, and bounded in state whatever the iteration count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.parity import VirtualEngine, same
from tests.support import CheckSpec, MakeService, codes

from eventual import ExecutionStatus, Service
from eventual.testing import TestEnvironment

SPEC = """\
service: loopy
tasks:
  bump: {input: integer, output: integer}
workflows:
  count:
    input:
      type: object
      required: [limit, skip, stop, max]
      properties: {limit: integer, skip: integer, stop: integer, max: integer}
    output: {type: object}
    steps:
      - set: {n: 0, seen: []}
      - id: loop
        while: ${{ vars.n < input.limit }}
        max_iterations: 5
        steps:
          - id: next
            task: bump
            input: ${{ vars.n }}
          - set: {n: "${{ steps.next.output }}"}
          - if: ${{ vars.n == input.skip }}
            then:
              - continue: true
          - if: ${{ vars.n == input.stop }}
            then:
              - try:
                  - break: true
          - set: {seen: "${{ vars.seen + [vars.n] }}"}
          - id: last
            task: bump
            input: ${{ vars.n * 100 }}
        catch:
          - errors: [LoopLimit]
            as: error
            steps:
              - return: {n: "${{ vars.n }}", limited: "${{ error.message }}"}
      - return: {n: "${{ vars.n }}", seen: "${{ vars.seen }}", output: "${{ steps.loop.output }}"}
  spin:
    input: integer
    output: integer
    steps:
      - set: {i: 0}
      - while: ${{ vars.i < input }}
        steps:
          - set: {i: "${{ vars.i + 1 }}"}
          - sleep: 1s
      - return: ${{ vars.i }}
  odd:
    input: {type: object}
    steps:
      - while: ${{ input.flag }}
        steps: [{sleep: 1s}]
"""
BUMP = """
def bump(input, ctx):
    return input + 1
"""


@pytest.fixture
def loopy(make_service: MakeService) -> Service:
    return make_service(SPEC, bump=BUMP)


def _run(service: Service, workflow: str, input: Any) -> Any:
    env = TestEnvironment(service)
    execution = env.start_execution(workflow, input)
    env.tick(60)
    return execution.get_status()


def test_a_loop_runs_while_its_condition_holds(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 3, "skip": -1, "stop": -1, "max": 0})
    assert status.status is ExecutionStatus.SUCCEEDED
    assert status.result == {"n": 3, "seen": [1, 2, 3], "output": 301}


def test_no_iteration_gives_null(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 0, "skip": -1, "stop": -1, "max": 0})
    assert status.result == {"n": 0, "seen": [], "output": None}


def test_continue_skips_the_rest_of_an_iteration(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 3, "skip": 3, "stop": -1, "max": 0})
    # the last iteration was cut short: the output stays the one of iteration 2
    assert status.result == {"n": 3, "seen": [1, 2], "output": 201}


def test_break_ends_the_loop_from_inside_if_and_try(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 5, "skip": -1, "stop": 2, "max": 0})
    assert status.result == {"n": 2, "seen": [1], "output": 101}


def test_past_max_iterations_the_step_fails_with_loop_limit(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 9, "skip": -1, "stop": -1, "max": 0})
    assert status.status is ExecutionStatus.SUCCEEDED  # caught by name
    assert status.result == {
        "n": 5,
        "limited": "the while loop still held after 5 iterations (max_iterations)",
    }


def test_exactly_max_iterations_is_allowed(loopy: Service) -> None:
    status = _run(loopy, "count", {"limit": 5, "skip": -1, "stop": -1, "max": 0})
    assert status.result["n"] == 5 and "output" in status.result


def test_a_condition_that_is_not_a_boolean_fails_the_step(loopy: Service) -> None:
    status = _run(loopy, "odd", {"flag": 3})
    assert status.status is ExecutionStatus.FAILED
    assert status.error.error == "ExpressionError"
    assert "not a boolean" in status.error.message


def test_loops_run_alike_on_the_engine(loopy: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("count", {"limit": 4, "skip": 2, "stop": 4, "max": 0})
        start("count", {"limit": 9, "skip": -1, "stop": -1, "max": 0})
        start("spin", 3)
        runtime.tick(30)

    got = same(loopy, tmp_path, scenario)
    assert [g[0] for g in got] == ["SUCCEEDED"] * 3
    assert got[0][1] == {"n": 4, "seen": [1, 3], "output": 301}
    assert got[2][1] == 3


def _stored_state(virtual: VirtualEngine, execution: str) -> str:
    row = virtual.engine.store.db.execute(
        "SELECT state FROM executions WHERE id = ?", (execution,)
    ).fetchone()
    return str(row[0])


def test_the_stored_state_does_not_grow_with_the_iterations(loopy: Service, tmp_path: Path) -> None:
    virtual = VirtualEngine(loopy, tmp_path / "e.db")
    execution = virtual.engine.start("spin", 5000)
    virtual.tick(10.5)
    early = _stored_state(virtual, execution)
    virtual.tick(990)
    late = _stored_state(virtual, execution)
    assert '"i":11' in early and '"i":1001' in late
    # only numbers grow (tokens, the counter, the clock): a few digits, not a record per iteration
    assert len(late) - len(early) < 40, (early, late)
    virtual.tick(4000)
    view = virtual.engine.execution(execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, 5000)


def _loop(*body: str, around: str = "while") -> str:
    indent = " " * (16 if around == "parallel" else 14)
    inner = "\n".join(f"{indent}{line}" for line in body)
    head = {
        "while": "- while: ${{ input < 3 }}\n            steps:",
        "parallel": "- parallel:\n              a:",
        "for_each": "- for_each: ${{ [1] }}\n            steps:",
    }[around]
    return f"""\
service: s
workflows:
  w:
    input: integer
    steps:
      - while: ${{{{ input < 3 }}}}
        steps:
          {head}
{inner}
"""


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("service: s\nworkflows:\n  w:\n    steps:\n      - break: true\n", "outside any"),
        (_loop("- continue: true", around="parallel"), "inside a 'parallel' branch"),
        (_loop("- break: true", around="for_each"), "inside a 'for_each' body"),
        (
            "service: s\ntasks: {t: {}}\nworkflows:\n  w:\n    steps:\n"
            "      - while: ${{ true }}\n        steps:\n"
            "          - task: t\n            compensate: [{break: true}]\n",
            "inside a 'compensate' block",
        ),
    ],
)
def test_break_and_continue_outside_a_loop_are_located_errors(
    check_spec: CheckSpec, spec: str, error: str
) -> None:
    result = check_spec(spec)
    assert codes(result) == ["E420"]
    assert error in result.diagnostics[0].message


def test_exits_in_nested_whiles_and_in_a_catch_are_fine(check_spec: CheckSpec) -> None:
    result = check_spec(_loop("- break: true", "- continue: true"))
    assert codes(result) == []


def test_body_steps_are_typed_inside_and_out_of_scope_after(check_spec: CheckSpec) -> None:
    spec = """\
service: s
tasks:
  t: {input: integer, output: integer}
workflows:
  w:
    input: integer
    output: integer
    steps:
      - id: loop
        while: ${{ input < 3 }}
        steps:
          - id: a
            task: t
            input: ${{ input }}
          - task: t
            input: ${{ steps.a.output + 1 }}
      - return: ${{ steps.a.output }}
"""
    assert codes(check_spec(spec)) == ["E403"]
    typed = spec.replace("steps.a.output }}\n", "steps.loop.output }}\n")
    assert codes(check_spec(typed)) == ["E405"]  # int | null does not fit integer
    wrong = spec.replace("${{ input < 3 }}", "${{ input }}")
    assert codes(check_spec(wrong))[0] == "E405"


def test_break_needs_true(check_spec: CheckSpec) -> None:
    result = check_spec(
        "service: s\nworkflows:\n  w:\n    steps:\n      - while: ${{ true }}\n"
        "        steps: [{break: 1}]\n"
    )
    assert codes(result) == ["E104"] or codes(result) == ["E103"]
