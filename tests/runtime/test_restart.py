"""Restarting a failed execution from its failed step: the steps that succeeded are not
run again (their outputs are reused), the rest runs; in the TestEnvironment, on the
engine, and from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support import MakeService, imports_apart

from eventual import ExecutionStatus, Service
from eventual.engine import Engine, EngineError
from eventual.restart import reusable_outputs
from eventual.testing import TestEnvironment
from eventualc.cli import cli

SPEC = """\
service: again
tasks:
  count: {input: integer, output: integer}
  shaky: {input: integer, output: integer}
workflows:
  pipeline:
    input: integer
    steps:
      - {id: first, task: count, input: "${{ input }}"}
      - for_each: ${{ [1, 2] }}
        steps: [{task: count, input: "${{ item }}"}]
      - {id: second, task: shaky, input: "${{ steps.first.output }}"}
      - return: ${{ steps.first.output + steps.second.output }}
"""
COUNT = """\
import eventual

CALLS: list[int] = []

def count(input: int, ctx: eventual.TaskContext) -> int:
    CALLS.append(input)
    return input + 1
"""
SHAKY = """\
from pathlib import Path

import eventual

def shaky(input: int, ctx: eventual.TaskContext) -> int:
    if not Path("up").exists():
        raise eventual.TaskError("Down", "the service is down")
    return input * 10
"""


@pytest.fixture
def again(make_service: MakeService) -> Service:
    return make_service(SPEC, count=COUNT, shaky=SHAKY)


def _calls(service: Service) -> list[int]:
    import importlib

    module = importlib.import_module(f"{service.package}.handlers.count")
    calls: list[int] = module.CALLS
    return calls


def test_only_completed_task_steps_outside_loops_are_reused() -> None:
    history = [
        {"type": "StepStarted", "step": ["steps", 0], "kind": "task"},
        {"type": "StepCompleted", "step": ["steps", 0], "output": 2},
        {"type": "StepStarted", "step": ["steps", 1, "steps", 0], "kind": "task"},
        {"type": "StepCompleted", "step": ["steps", 1, "steps", 0], "output": 5},
        {"type": "StepStarted", "step": ["steps", 2], "kind": "set"},
        {"type": "StepCompleted", "step": ["steps", 2], "output": None},
        {"type": "StepStarted", "step": ["steps", 3], "kind": "task"},
        {"type": "StepFailed", "step": ["steps", 3], "error": {"error": "Down"}},
    ]
    assert reusable_outputs(history) == {json.dumps(["steps", 0]): 2}


def test_the_test_environment_restarts_from_the_failed_step(again: Service, tmp_path: Path) -> None:
    env = TestEnvironment(again)
    failed = env.start_execution("pipeline", 4)
    env.tick(60)
    assert failed.get_status().status is ExecutionStatus.FAILED
    assert _calls(again) == [4, 1, 2]
    (tmp_path / "up").write_text("")
    restarted = env.restart_execution(failed)
    env.tick(60)
    assert restarted.get_status().status is ExecutionStatus.SUCCEEDED
    assert restarted.get_status().result == 5 + 50
    assert _calls(again) == [4, 1, 2, 1, 2]  # `first` reused; the loop ran again


def test_the_engine_restarts_from_the_failed_step(again: Service, tmp_path: Path) -> None:
    engine = Engine(tmp_path / "e.db", [again], threads=1)
    failed = engine.start("pipeline", 4)
    engine.run(until=lambda: engine.finished(failed))
    with pytest.raises(EngineError, match="in progress"):
        engine.restart(engine.start("pipeline", 7))
    (tmp_path / "up").write_text("")
    restarted = engine.restart(failed)
    engine.run(until=lambda: engine.finished(restarted))
    view = engine.execution(restarted)
    assert view.status is ExecutionStatus.SUCCEEDED and view.result == 55
    assert _calls(again)[:3] == [4, 1, 2]
    assert _calls(again).count(4) == 1  # `first` ran once, in the failed run
    assert _calls(again).count(1) == 3  # the loop ran in each of the three executions
    engine.close()


def test_executions_redrive_on_the_command_line(again: Service, tmp_path: Path) -> None:
    engine = Engine(tmp_path / "e.db", [again], threads=1)
    failed = engine.start("pipeline", 4)
    engine.run(until=lambda: engine.finished(failed))
    engine.close()
    (tmp_path / "up").write_text("")
    with imports_apart("generated"):  # the command imports this project's build
        result = CliRunner().invoke(
            cli, ["executions", "redrive", failed, "spec.yaml", "--db", str(tmp_path / "e.db")]
        )
    assert result.exit_code == 0, result.output
    restarted = result.stdout.strip()
    engine = Engine(tmp_path / "e.db", [again], threads=1)
    engine.run(until=lambda: engine.finished(restarted))
    assert engine.execution(restarted).result == 55
    engine.close()
