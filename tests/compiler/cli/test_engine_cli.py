"""The engine commands as users run them: real processes in a fresh project folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support import build_project, eventualc, eventualc_process, shown_execution

SPEC = """\
service: shop
events:
  OrderPlaced:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
tasks:
  charge: {input: string, output: string}
subscriptions:
  audit: {events: [OrderPlaced], retry: {attempts: 2, backoff: 100ms}}
  fulfil:
    events: [OrderPlaced]
    workflow: checkout
    input: ${{ event.orderId }}
    execution_name: ${{ event.orderId }}
workflows:
  checkout:
    input: string
    output: string
    steps:
      - {id: paid, task: charge, input: "${{ input }}"}
      - return: ${{ steps.paid.output }}
  approval:
    input: string
    signals: {approve: boolean}
    steps:
      - {id: ok, wait_for_signal: approve}
      - if: ${{ steps.ok.output }}
        then: [{return: approved}]
        else: [{fail: {error: Rejected, message: "no"}}]
"""
CHARGE = """\
import eventual

def charge(input: str, ctx: eventual.TaskContext) -> str:
    if input.startswith("bad"):
        raise eventual.TaskError("Declined", "card declined")
    return f"paid-{input}"
"""
AUDIT = """\
import eventual
from ..models import OrderPlaced

def audit(event: OrderPlaced, ctx: eventual.SubscriptionContext) -> None:
    if event.orderId.startswith("bad"):
        raise RuntimeError(f"cannot audit {event.orderId}")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    build_project(root, "shop", SPEC, {"charge.py": CHARGE, "audit.py": AUDIT}, out="generated")
    return root


@pytest.fixture
def worker(project: Path) -> Iterator[subprocess.Popen[str]]:
    with eventualc_process(project, "worker") as process:
        yield process


def wait_for(project: Path, execution: str, status: str) -> dict[str, object]:
    return shown_execution(project, execution, lambda shown: shown["status"] == status)


def test_run_prints_progress_and_the_result(project: Path) -> None:
    result = eventualc(project, "run", "checkout", "--input", '"o-1"')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == "paid-o-1"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("▶ checkout-")
    assert "  · paid: task charge" in lines
    assert '  ✓ paid: "paid-o-1"' in lines
    assert lines[-1].startswith("■ SUCCEEDED in ")


def test_a_failed_run_exits_1_with_the_error(project: Path) -> None:
    result = eventualc(project, "run", "checkout", "--input", '"bad-1"', "--name", "bad-run")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "  ✗ paid: attempt 1 failed: Declined: card declined" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("■ FAILED in ")
    shown = json.loads(eventualc(project, "executions", "show", "bad-run", "--json").stdout)
    assert shown["error"] == {"error": "Declined", "message": "card declined"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "checkot"], 2, "no workflow 'checkot'"),
        (["run", "checkout", "--input", "{oops"], 2, "--input is not valid JSON"),
        (["run", "nowhere/", "checkout"], 2, "no such spec file or directory"),
        (["run", "checkout", "--input", "5"], 1, "input of checkout: "),
        (["publish", "OrderPlaced", "--payload", '{"id": 1}'], 1, "payload of OrderPlaced"),
        (["publish", "Nope"], 2, "no event 'Nope'"),
        (["executions", "show", "nope"], 1, "no execution 'nope'"),
        (["executions", "list", "--db", "specs/shop.yaml"], 1, "is not an eventual store"),
    ],
)
def test_mistakes_are_reported_without_a_traceback(
    project: Path, args: list[str], code: int, message: str
) -> None:
    result = eventualc(project, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr


def test_publish_delivers_dead_letters_and_redrives(project: Path) -> None:
    result = eventualc(project, "publish", "OrderPlaced", "--payload", '{"orderId": "bad-2"}')
    assert result.returncode == 0, result.stderr
    event_id = result.stdout.strip()
    assert len(event_id) == 32
    assert "1 delivery failed every attempt" in result.stderr
    assert "1 event published: shop.OrderPlaced" in result.stderr
    letters = json.loads(eventualc(project, "dlq", "list", "--json").stdout)
    mine = [d for d in letters if d["event_id"] == event_id]
    assert [(d["subscription"], d["event"], d["error"], d["attempts"]) for d in mine] == [
        ("audit", "OrderPlaced", {"error": "RuntimeError", "message": "cannot audit bad-2"}, 2)
    ]
    table = eventualc(project, "dlq", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "SUBSCRIPTION", "EVENT", "ERROR", "ATTEMPTS", "FAILED"]
    started = json.loads(eventualc(project, "executions", "show", "bad-2", "--json").stdout)
    assert started["workflow"] == "checkout" and started["status"] == "FAILED"
    redrive = eventualc(project, "dlq", "redrive", str(mine[0]["id"]))
    assert "1 dead letter queued again" in redrive.stderr
    assert all(d["event_id"] != event_id for d in json.loads(
        eventualc(project, "dlq", "list", "--json").stdout))  # fmt: skip
    again = eventualc(project, "publish", "OrderPlaced", "--payload", '{"orderId": "o-3"}')
    assert again.returncode == 0
    letters = json.loads(eventualc(project, "dlq", "list", "--json").stdout)
    assert [d["attempts"] for d in letters if d["event_id"] == event_id] == [2]  # failed again


def test_start_signal_cancel_with_a_worker_that_stops_cleanly(
    project: Path, worker: subprocess.Popen[str]
) -> None:
    approved = eventualc(project, "start", "approval", "--input", '"x"', "--name", "appr")
    assert approved.returncode == 0, approved.stderr
    execution = approved.stdout.strip()
    assert execution.startswith("approval-")
    bad = eventualc(project, "signal", "appr", "approve", "--payload", '"maybe"')
    assert bad.returncode == 1 and "signal 'approve'" in bad.stderr
    undeclared = eventualc(project, "signal", "appr", "go")
    assert undeclared.returncode == 1 and "declares no signal 'go'" in undeclared.stderr
    assert eventualc(project, "signal", "appr", "approve", "--payload", "true").returncode == 0
    assert wait_for(project, execution, "SUCCEEDED")["result"] == "approved"
    doomed = eventualc(project, "start", "approval", "--input", '"y"').stdout.strip()
    wait_for(project, doomed, "IN_PROGRESS")
    assert eventualc(project, "cancel", doomed).returncode == 0
    wait_for(project, doomed, "CANCELLED")
    ended = eventualc(project, "cancel", doomed)
    assert ended.returncode == 1 and "has ended (CANCELLED)" in ended.stderr
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "worker stopped" in stderr
    history = eventualc(project, "executions", "history", execution).stdout.splitlines()
    assert [line.split()[1] for line in history][:2] == ["ExecutionStarted", "StepStarted"]
    assert 'signal="approve"' in "\n".join(history)
    listed = json.loads(eventualc(project, "executions", "list", "--json").stdout)
    assert {e["id"] for e in listed} >= {execution, doomed}
    mine = eventualc(project, "executions", "list", "--workflow", "approval", "--status",
                     "cancelled").stdout.splitlines()  # fmt: skip
    assert mine[0].split() == ["ID", "NAME", "WORKFLOW", "STATUS", "STARTED"]
    assert [row.split()[0] for row in mine[1:]] == [doomed]


def test_the_store_lives_under_the_project_root(project: Path) -> None:
    sub = project / "specs"
    result = subprocess.run(
        [sys.executable, "-m", "eventualc", "executions", "list"], cwd=sub, capture_output=True,
        text=True, env={**os.environ}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (project / ".eventual" / "local.db").is_file()
    assert textwrap.dedent(result.stdout).startswith("ID")
