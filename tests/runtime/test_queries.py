"""Workflow ``queries`` (§2.8): typed templates over ``input`` and ``vars``, read on a
running or ended execution from the TestEnvironment, the engine and ``eventualc query``,
without a worker; type checks in the compiler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.parity import VirtualEngine
from tests.support import build_project, codes, eventualc

from eventual import Service
from eventual.engine import EngineError
from eventual.testing import TestEnvironment

SPEC = """\
service: counters
workflows:
  count:
    input:
      type: object
      required: [id, upTo]
      properties: {id: {type: string}, upTo: {type: integer}}
    signals: {stop: "null"}
    queries:
      progress: "${{ vars.n }}"
      label: "${{ input.id }}-${{ vars.phase }}"
      summary: {id: "${{ input.id }}", left: "${{ vars.n == null ? input.upTo : input.upTo - vars.n }}"}
    steps:
      - set: {n: 0, phase: counting}
      - sleep: 10s
      - set: {n: 1}
      - sleep: 10s
      - set: {n: 2}
      - wait_for_signal: stop
      - set: {phase: stopped}
"""


@pytest.fixture
def counters(make_service: Any) -> Service:
    service: Service = make_service(SPEC)
    return service


def test_queries_read_the_state_as_it_runs_and_after_it_ends(counters: Service) -> None:
    env = TestEnvironment(counters)
    execution = env.start_execution("count", {"id": "c", "upTo": 5})
    assert execution.query("progress") is None  # not started: no variable set yet
    assert execution.query("summary") == {"id": "c", "left": 5}
    env.tick(0)
    assert [execution.query("progress"), execution.query("label")] == [0, "c-counting"]
    env.tick(10)
    assert execution.query("summary") == {"id": "c", "left": 4}
    env.tick(10)
    env.send_signal(execution, "stop")
    env.tick(0)
    assert execution.get_status().status.value == "SUCCEEDED"
    assert [execution.query("progress"), execution.query("label")] == [2, "c-stopped"]


def test_an_undeclared_query_names_the_declared_ones(counters: Service) -> None:
    env = TestEnvironment(counters)
    execution = env.start_execution("count", {"id": "c", "upTo": 5})
    with pytest.raises(
        ValueError, match=r"no query 'progres' \(declared: label, progress, summary\)"
    ):
        execution.query("progres")


def test_the_engine_answers_queries_from_its_store(counters: Service, tmp_path: Path) -> None:
    engine = VirtualEngine(counters, tmp_path / "engine.db")
    execution = engine.engine.start("count", {"id": "e", "upTo": 3}, name="e1")
    assert engine.engine.query("e1", "summary") == {"id": "e", "left": 3}
    engine.tick(15)
    assert engine.engine.query(execution, "label") == "e-counting"
    assert engine.engine.query(execution, "progress") == 1
    with pytest.raises(EngineError, match="declares no query 'nope'"):
        engine.engine.query(execution, "nope")
    engine.tick(10)
    engine.engine.signal(execution, "stop")
    engine.tick(0)
    assert engine.engine.execution(execution).status.value == "SUCCEEDED"
    assert engine.engine.query(execution, "label") == "e-stopped"


def test_eventualc_query_prints_json_and_refuses_unknown_names(tmp_path: Path) -> None:
    build_project(tmp_path, "counters", SPEC, {}, out="generated")
    started = eventualc(tmp_path, "start", "count", "--input", '{"id": "q", "upTo": 2}',
                        "--name", "q1", check=True)  # fmt: skip
    execution = started.stdout.strip()
    # Queued, no worker has run it: the query answers from the stored input.
    done = eventualc(tmp_path, "query", execution, "summary", check=True)
    assert json.loads(done.stdout) == {"id": "q", "left": 2}
    by_name = eventualc(tmp_path, "query", "q1", "label", check=True)
    assert json.loads(by_name.stdout) == "q-null"  # not set yet: null, interpolated
    catalog = (tmp_path / "generated" / "counters" / "README.md").read_text()
    assert "- queries: `progress`, `label`, `summary`" in catalog
    unknown = eventualc(tmp_path, "query", "q1", "nope")
    assert unknown.returncode == 2
    assert "declares no query 'nope' (declared: label, progress, summary)" in unknown.stderr


def test_queries_are_type_checked(check_spec: Any) -> None:
    result = check_spec(
        """\
        service: bad
        workflows:
          w:
            input: {type: object, properties: {id: {type: string}}}
            queries:
              early: "${{ steps.first.output }}"
              field: "${{ input.nope }}"
              unset: "${{ vars.never }}"
              math: "${{ vars.n + 'x' }}"
            steps:
              - id: first
                set: {n: 1}
        """
    )
    assert codes(result) == ["E403", "E402", "E409", "E404"]
