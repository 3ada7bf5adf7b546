"""The pytest fixtures users get with eventualc: a user's test needs no boilerplate."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support import eventualc

SPEC = """\
service: greet
tasks:
  hello: {input: string, output: string}
workflows:
  greet:
    input: string
    steps: [{id: h, task: hello, input: "${{ input }}"}, {return: "${{ steps.h.output }}!"}]
"""
TEST = """\
from eventual import ExecutionStatus


def test_greets(eventual_env):
    eventual_env.mock_task("hello").invoke(lambda name, ctx: "hello " + name)
    execution = eventual_env.start_execution("greet", input="ada")
    eventual_env.tick()
    assert execution.get_status().status == ExecutionStatus.SUCCEEDED
    assert execution.get_status().result == "hello ada!"
"""


def test_eventual_env_fixture_in_a_fresh_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.eventualc]\nspecs = 'specs'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "greet.yaml").write_text(SPEC)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_greet.py").write_text(textwrap.dedent(TEST))
    eventualc(tmp_path, "build", check=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
