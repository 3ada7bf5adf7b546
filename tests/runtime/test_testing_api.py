"""Finding executions in a TestEnvironment (CONTRACT §5.1): those a subscription started
too, by workflow, status, id or name; and the pytest fixture's message when nothing is
built yet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support import MakeService

from eventual import ExecutionStatus
from eventual.testing import TestEnvironment

SPEC = """\
service: orders
events:
  OrderPlaced:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
tasks:
  charge: {input: string, output: string}
workflows:
  checkout:
    input: string
    output: string
    steps:
      - {id: paid, task: charge, input: "${{ input }}"}
      - return: ${{ steps.paid.output }}
  audit:
    input: string
    steps: [{sleep: 1h}]
subscriptions:
  startCheckout:
    events: [OrderPlaced]
    workflow: checkout
    input: ${{ event.orderId }}
    execution_name: ${{ 'order-' + event.orderId }}
"""


@pytest.fixture
def env(make_service: MakeService) -> TestEnvironment:
    environment = TestEnvironment(make_service(SPEC))
    environment.mock_task("charge").invoke(lambda order, ctx: f"paid-{order}")
    return environment


def test_executions_started_by_a_subscription_are_found(env: TestEnvironment) -> None:
    audit = env.start_execution("audit", input="a")
    env.publish("OrderPlaced", {"orderId": "1"})
    env.publish("OrderPlaced", {"orderId": "2"})
    env.tick()
    found = env.executions(workflow="checkout")
    assert [e.id for e in found] == [env.execution("order-1").id, env.execution("order-2").id]
    assert [e.get_status().result for e in found] == ["paid-1", "paid-2"]
    assert [e.id for e in env.executions()] == [audit.id, *(e.id for e in found)]
    assert [e.id for e in env.executions(status=ExecutionStatus.IN_PROGRESS)] == [audit.id]
    assert [e.id for e in env.executions(workflow="checkout", status="SUCCEEDED")] == [
        e.id for e in found
    ]
    assert env.executions(workflow="audit", status="FAILED") == []
    assert env.execution(audit.id).get_status().status == ExecutionStatus.IN_PROGRESS


def test_unknown_names_are_errors(env: TestEnvironment) -> None:
    with pytest.raises(ValueError, match="no execution 'order-9'"):
        env.execution("order-9")
    with pytest.raises(ValueError, match="has no workflow 'checkot'"):
        env.executions(workflow="checkot")
    with pytest.raises(ValueError, match="'DONE' is not a valid ExecutionStatus"):
        env.executions(status="DONE")


def test_the_fixture_says_to_build_when_nothing_is_built(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.eventualc]\nspecs = 'specs'\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_x(eventual_env):\n    pass\n")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert run.returncode == 1
    assert "nothing is built in" in run.stdout
    assert "run `eventualc build` in the project first" in run.stdout
