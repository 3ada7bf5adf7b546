"""Workflows that would run away or hand the runtime a value it cannot keep end FAILED
with a named error, on the TestEnvironment and on the embedded engine alike: a workflow
that starts itself stops at the nesting limit; a sleep that is not a finite duration, or
a ``sleep_until`` without a time zone, is an ``ExpressionError``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support import MakeService

from eventual import ExecutionStatus, Service
from eventual.engine import Engine
from eventual.steps import MAX_CHILD_DEPTH
from eventual.testing import TestEnvironment

SPEC = """
service: runaway
workflows:
  itself:
    input: integer
    output: integer
    steps:
      - id: deeper
        workflow: itself
        input: ${{ input + 1 }}
      - return: ${{ steps.deeper.output }}
  caught:
    output: string
    steps:
      - try:
          - workflow: itself
            input: 0
        catch:
          - errors: [ChildDepthLimit]
            steps:
              - return: ${{ error.error }}
  nap:
    input: number
    steps:
      - sleep: ${{ input }}
  napFor:
    input: string
    steps:
      - sleep: ${{ double(input) }}
  costly:
    input: integer
    output: string
    steps:
      - try:
          - return: "${{ string([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(a, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(c, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(d, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(e, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(f, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(g, a + b + c + d + e + f + g > input)))))))) }}"
        catch:
          - errors: [ExpressionLimit]
            steps:
              - return: ${{ error.error }}
  napUntil:
    input: string
    steps:
      - sleep_until: ${{ input }}
"""


@pytest.fixture
def runaway(make_service: MakeService) -> Service:
    return make_service(SPEC)


def run(kind: str, service: Service, path: Path, workflow: str, value: Any) -> tuple[Any, ...]:
    """``(status, result, error)`` of one execution run until nothing is left to do."""
    if kind == "env":
        env = TestEnvironment(service)
        execution = env.start_execution(workflow, value)
        env.tick()
        status = execution.get_status()
        error = status.error and {"error": status.error.error, "message": status.error.message}
        return status.status, status.result, error
    engine = Engine(path, [service], clock=lambda: 0.0)
    id_ = engine.start(workflow, value)
    db = engine.store.db
    engine.run(
        until=lambda: db.execute("SELECT 1 FROM work WHERE ready <= 0 LIMIT 1").fetchone() is None
    )
    view = engine.execution(id_)
    return view.status, view.result, view.error


@pytest.mark.parametrize("kind", ["env", "engine"])
def test_a_workflow_that_starts_itself_stops_at_the_nesting_limit(
    runaway: Service, tmp_path: Path, kind: str
) -> None:
    status, _, error = run(kind, runaway, tmp_path / "e.db", "itself", 0)
    assert status is ExecutionStatus.FAILED
    assert error["error"] == "ChildDepthLimit"
    assert f"at most {MAX_CHILD_DEPTH} deep" in error["message"]
    status, result, _ = run(kind, runaway, tmp_path / "f.db", "caught", None)
    assert (status, result) == (ExecutionStatus.SUCCEEDED, "ChildDepthLimit")


@pytest.mark.parametrize("kind", ["env", "engine"])
@pytest.mark.parametrize(
    ("workflow", "value", "why"),
    [
        ("nap", 1e300, "too long"),
        ("napFor", "Infinity", "not a finite number"),
        ("napFor", "NaN", "not a finite number"),
        ("napUntil", "2030-01-01T00:00:00", "no time zone"),
    ],
)
def test_sleeps_the_runtime_cannot_keep_fail_with_expression_error(
    runaway: Service, tmp_path: Path, kind: str, workflow: str, value: Any, why: str
) -> None:
    status, _, error = run(kind, runaway, tmp_path / "e.db", workflow, value)
    assert status is ExecutionStatus.FAILED
    assert error["error"] == "ExpressionError"
    assert why in error["message"]


@pytest.mark.parametrize("kind", ["env", "engine"])
def test_an_expression_over_its_cost_budget_fails_with_a_catchable_expression_limit(
    runaway: Service, tmp_path: Path, kind: str
) -> None:
    status, result, _ = run(kind, runaway, tmp_path / "e.db", "costly", 0)
    assert (status, result) == (ExecutionStatus.SUCCEEDED, "ExpressionLimit")
