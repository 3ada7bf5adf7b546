"""Faults on the embedded engine: handlers that crash, exit or hang, and stores that are
locked, damaged, missing or on a full disk. Commands run as real processes in a fresh
project folder, as users run them; a few checks drive the library in this process.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support import build_project, eventualc, forget

from eventual import Service
from eventual.engine import Engine, EngineError, StoreError
from eventual.engine import store as store_module
from eventual.engine import worker as worker_module

SPEC = """\
service: faulty
events:
  Boom:
    schema: {type: object, required: [n], properties: {n: {type: integer}}}
tasks:
  segv: {input: integer, output: integer, retry: {attempts: 2, backoff: 10ms}}
  leave: {input: string, output: integer}
  hang: {input: integer, output: integer, timeout: 1s}
  quick: {input: string, output: string}
  nan: {input: number, output: number}
subscriptions:
  crash: {events: [Boom], retry: {attempts: 2, backoff: 10ms}}
workflows:
  crashing: {input: integer, steps: [{task: segv, input: "${{ input }}"}]}
  leaving: {input: string, steps: [{task: leave, input: "${{ input }}"}]}
  hanging: {input: integer, steps: [{task: hang, input: "${{ input }}"}]}
  quickly:
    input: string
    output: string
    steps:
      - {id: q, task: quick, input: "${{ input }}"}
      - return: ${{ steps.q.output }}
  measuring: {input: number, steps: [{task: nan, input: "${{ input }}"}]}
"""
HANDLERS = {
    "segv": """\
import os
import signal

import eventual


def segv(input: int, ctx: eventual.TaskContext) -> int:
    os.kill(os.getpid(), signal.SIGSEGV)
    return input
""",
    "leave": """\
import sys

import eventual


def leave(input: str, ctx: eventual.TaskContext) -> int:
    if input == "interrupt":
        raise KeyboardInterrupt
    sys.exit(3)
""",
    "hang": """\
import time

import eventual


def hang(input: int, ctx: eventual.TaskContext) -> int:
    time.sleep(30)
    return input
""",
    "quick": """\
import eventual


def quick(input: str, ctx: eventual.TaskContext) -> str:
    return input.upper()
""",
    "nan": """\
import eventual


def nan(input: float, ctx: eventual.TaskContext) -> float:
    return float("nan")
""",
    "crash": """\
import os
import signal
import sys

import eventual
from ..models import Boom


def crash(event: Boom, ctx: eventual.SubscriptionContext) -> None:
    if event.n == 1:
        os.kill(os.getpid(), signal.SIGSEGV)
    if event.n == 2:
        sys.exit("bye")
""",
}


@dataclass(frozen=True)
class Project:
    root: Path
    service: Service


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("faulty")
    package = build_project(root, "faulty", SPEC, {f"{n}.py": s for n, s in HANDLERS.items()})
    sys.path.insert(0, str(root))
    try:
        yield Project(root, importlib.import_module(f"{package}.faulty").service)
    finally:
        sys.path.remove(str(root))
        forget(package)


# -- handlers that crash, exit or hang ----------------------------------------------------


def test_a_segfaulting_task_ends_failed_after_its_retry_policy(project: Project) -> None:
    """Each `run` crashes with the handler; a lost run is run again at the same attempt
    twice, then fails that attempt (WorkerLost): two attempts, six crashes, then FAILED."""
    db = str(project.root / "segv.db")
    crashes = 0
    while True:
        result = eventualc(project.root, "run", "crashing", "--input", "1", "--name", "seg",
                           "--db", db)  # fmt: skip
        if result.returncode != -signal.SIGSEGV:
            break
        crashes += 1
        assert crashes <= 6, "the crash loop did not end"
    assert crashes == 6
    assert result.returncode == 1, result.stderr
    assert "WorkerLost: attempt 2 was lost 3 times" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("■ FAILED in ")
    shown = json.loads(eventualc(project.root, "executions", "show", "seg", "--json",
                                 "--db", db).stdout)  # fmt: skip
    assert shown["status"] == "FAILED" and shown["error"]["error"] == "WorkerLost"


def test_a_segfaulting_subscription_is_dead_lettered(project: Project) -> None:
    db = str(project.root / "boom.db")
    first = eventualc(project.root, "publish", "Boom", "--payload", '{"n": 1}', "--db", db)
    assert first.returncode == -signal.SIGSEGV
    crashes = 1
    while not json.loads(eventualc(project.root, "dlq", "list", "--json", "--db", db).stdout):
        worker = subprocess.Popen(
            [sys.executable, "-m", "eventualc", "worker", "--db", db], cwd=project.root,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            code = worker.wait(timeout=15)
        except subprocess.TimeoutExpired:  # it did not crash: the delivery is settled
            worker.terminate()
            assert worker.wait(timeout=30) == 0
            continue
        assert code == -signal.SIGSEGV
        crashes += 1
        assert crashes <= 6, "the crash loop did not end"
    assert crashes == 6
    letters = json.loads(eventualc(project.root, "dlq", "list", "--json", "--db", db).stdout)
    assert [(d["subscription"], d["error"]["error"], d["attempts"]) for d in letters] == [
        ("crash", "WorkerLost", 2)
    ]


@pytest.mark.parametrize(
    ("how", "error"), [("exit", "SystemExit"), ("interrupt", "KeyboardInterrupt")]
)
def test_a_handler_that_exits_fails_its_step_and_run_exits(
    project: Project, how: str, error: str
) -> None:
    result = eventualc(project.root, "run", "leaving", "--input", json.dumps(how), "--db",
                       str(project.root / f"{how}.db"), timeout=60)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"attempt 1 failed: {error}: the handler raised {error}" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("■ FAILED in ")


def test_a_subscription_that_exits_is_dead_lettered_and_publish_returns(project: Project) -> None:
    db = str(project.root / "exit-sub.db")
    result = eventualc(project.root, "publish", "Boom", "--payload", '{"n": 2}', "--db", db,
                       timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1 delivery failed every attempt" in result.stderr
    letters = json.loads(eventualc(project.root, "dlq", "list", "--json", "--db", db).stdout)
    assert [d["error"] for d in letters] == [
        {"error": "SystemExit", "message": "the handler raised SystemExit: bye"}
    ]


def test_run_exits_when_its_execution_ends_though_a_handler_hangs(project: Project) -> None:
    began = time.monotonic()
    result = eventualc(project.root, "run", "hanging", "--input", "1", "--db",
                       str(project.root / "hang.db"), timeout=60)  # fmt: skip
    took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "Timeout" in result.stderr
    assert took < 15, f"run took {took:.1f} s: it waited for the hung handler (30 s)"


def test_hung_handlers_do_not_starve_the_worker(project: Project, tmp_path: Path) -> None:
    """One thread, two handlers hanging for 30 s past their 1 s timeout: the next
    execution still runs within seconds."""
    engine = Engine(tmp_path / "e.db", [project.service], threads=1)
    hung = [engine.start("hanging", n) for n in range(2)]
    quick = engine.start("quickly", "go")
    began = time.monotonic()
    engine.run(until=lambda: all(engine.finished(e) for e in [*hung, quick]))
    assert time.monotonic() - began < 15
    assert engine.execution(quick).result == "GO"
    for execution in hung:
        view = engine.execution(execution)
        assert view.status.value == "FAILED" and view.error is not None
        assert view.error["error"] == "Timeout"
    engine.close()


# -- strict JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"n": NaN}'])
def test_non_json_numbers_are_usage_errors(project: Project, text: str) -> None:
    result = eventualc(project.root, "start", "measuring", "--input", text, "--db",
                       str(project.root / "nan.db"))  # fmt: skip
    assert result.returncode == 2
    assert "--input is not valid JSON" in result.stderr
    assert "JSON has no NaN or Infinity" in result.stderr


def test_nan_never_reaches_the_store(project: Project, tmp_path: Path) -> None:
    engine = Engine(tmp_path / "e.db", [project.service])
    with pytest.raises(EngineError, match="not JSON"):
        engine.start("measuring", float("inf"))
    execution = engine.start("measuring", 1.5)
    engine.run(until=lambda: engine.finished(execution))
    error = engine.execution(execution).error
    assert error is not None and error["error"] == "ValidationError"
    assert "not JSON" in error["message"]
    rows = engine.store.db.execute("SELECT entries FROM history").fetchall()
    assert not any("NaN" in row[0] or "Infinity" in row[0] for row in rows)
    engine.close()


# -- stores: locked, missing, damaged, full -------------------------------------------------


def test_read_only_commands_do_not_wait_for_the_write_lock(project: Project) -> None:
    db = project.root / "locked.db"
    assert eventualc(project.root, "start", "quickly", "--input", '"a"', "--db",
                     str(db)).returncode == 0  # fmt: skip
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a worker in a long transaction
    try:
        began = time.monotonic()
        for command in (["executions", "list"], ["dlq", "list"], ["executions", "show", "a"]):
            result = eventualc(project.root, *command, "--db", str(db), timeout=30)
            assert result.returncode in (0, 1), result.stderr
            assert "locked" not in result.stderr
        assert time.monotonic() - began < 20
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_locked_store_is_reported_as_locked(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.1)
    engine = Engine(tmp_path / "e.db", [project.service])
    holder = sqlite3.connect(tmp_path / "e.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(
            StoreError,
            match=r"e\.db is locked: another process has held its "
            r"write lock for more than 0\.1 s \(SQLite: database is locked\)",
        ):
            engine.start("quickly", "x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.close()


def test_a_round_commits_after_its_time_budget(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workflow steps do not hold the write lock for a whole batch: one round applies
    steps for ``ROUND_SECONDS``, then commits."""
    monkeypatch.setattr(worker_module, "ROUND_SECONDS", 0.0)
    engine = Engine(tmp_path / "e.db", [project.service])
    for n in range(3):
        engine.start("quickly", str(n))
    engine.worker().round(claim=True)
    started = engine.store.db.execute("SELECT count(*) FROM executions WHERE history > 0")
    assert started.fetchone()[0] == 1
    engine.close()


def test_read_only_commands_create_nothing(project: Project, tmp_path: Path) -> None:
    for command in (["executions", "list"], ["dlq", "list"], ["store", "check"],
                    ["executions", "show", "x"], ["cancel", "x"]):  # fmt: skip
        result = eventualc(project.root, *command, "--db", str(tmp_path / "new" / "dir" / "x.db"))
        assert result.returncode == 1, (command, result.stderr)
        assert "no engine store at" in result.stderr
    assert not (tmp_path / "new").exists()


def _filled_store(project: Project, path: Path, executions: int = 300) -> None:
    engine = Engine(path, [project.service])
    for n in range(executions):
        engine.start("quickly", f"{n}-" + "x" * 2000)
    engine.close()  # the last connection: the journal is folded into the file


def _flip_pages(path: Path, pages: int = 3) -> None:
    """Overwrites ``pages`` pages in the middle of the file with 0xFF bytes."""
    size = 4096
    count = path.stat().st_size // size
    with path.open("r+b") as file:
        file.seek(size * (count // 2))
        file.write(b"\xff" * size * pages)


def test_a_damaged_store_is_reported_and_checked(project: Project, tmp_path: Path) -> None:
    db = tmp_path / "damaged.db"
    _filled_store(project, db)
    assert eventualc(project.root, "store", "check", "--db", str(db)).stdout.endswith(": ok\n")
    _flip_pages(db)
    listed = eventualc(project.root, "executions", "list", "--db", str(db))
    assert listed.returncode == 1
    assert f"{db} is damaged (SQLite: database disk image is malformed)" in listed.stderr
    assert "eventualc store restore BACKUP" in listed.stderr
    checked = eventualc(project.root, "store", "check", "--db", str(db))
    assert checked.returncode == 1
    assert checked.stdout.strip(), "the problems SQLite found are listed"
    assert "is damaged: go back to a backup" in checked.stderr


def test_quick_check_runs_on_open_after_a_worker_died(project: Project, tmp_path: Path) -> None:
    db = tmp_path / "unclean.db"
    _filled_store(project, db)
    _flip_pages(db)  # the executions pages: `dlq list` never reads them
    assert eventualc(project.root, "dlq", "list", "--db", str(db)).returncode == 0
    dead = subprocess.run(["true"], check=True)
    assert dead.returncode == 0
    with sqlite3.connect(db) as raw:  # a worker that died without leaving
        import socket

        raw.execute("INSERT INTO workers VALUES ('w', ?, ?, 0)", (socket.gethostname(), 999_999))
    listed = eventualc(project.root, "dlq", "list", "--db", str(db))
    assert listed.returncode == 1
    assert f"{db} is damaged" in listed.stderr


def test_a_full_disk_is_reported_without_a_traceback(project: Project, tmp_path: Path) -> None:
    db = tmp_path / "full.db"
    assert eventualc(project.root, "start", "quickly", "--input", '"a"', "--db",
                     str(db)).returncode == 0  # fmt: skip
    limit = db.stat().st_size + 16 * 1024

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    big = json.dumps("y" * 100_000)
    result = eventualc(project.root, "start", "quickly", "--input", big, "--db", str(db),
                       preexec_fn=small_disk)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"eventualc: {db}")
    assert "SQLite:" in result.stderr
    assert eventualc(project.root, "store", "check", "--db", str(db)).returncode == 0


def test_backup_while_a_worker_runs_and_restore_once_it_stopped(project: Project) -> None:
    db, copy = project.root / "live.db", project.root / "copy.db"
    ids = [eventualc(project.root, "start", "quickly", "--input", f'"{n}"', "--db",
                     str(db)).stdout.strip() for n in range(3)]  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "eventualc", "worker", "--db", str(db)], cwd=project.root,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not db.exists() or not _workers(db):
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        backed = eventualc(project.root, "store", "backup", str(copy), "--db", str(db))
        assert backed.returncode == 0, backed.stderr
        assert f"backed up to {copy}" in backed.stderr
        again = eventualc(project.root, "store", "backup", str(copy), "--db", str(db))
        assert again.returncode == 1 and "exists: give a new file name" in again.stderr
        refused = eventualc(project.root, "store", "restore", str(copy), "--db", str(db))
        assert refused.returncode == 1
        assert "worker(s) use" in refused.stderr and "stop them first" in refused.stderr
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert eventualc(project.root, "store", "check", "--db", str(copy)).returncode == 0
    later = eventualc(project.root, "start", "quickly", "--input", '"later"', "--db", str(db))
    restored = eventualc(project.root, "store", "restore", str(copy), "--db", str(db))
    assert restored.returncode == 0, restored.stderr
    listed = json.loads(eventualc(project.root, "executions", "list", "--json", "--db",
                                  str(db)).stdout)  # fmt: skip
    assert {e["id"] for e in listed} == set(ids)  # as at the backup: `later` is gone
    assert later.stdout.strip() not in {e["id"] for e in listed}


def _workers(db: Path) -> list[object]:
    with sqlite3.connect(db) as raw:
        try:
            return raw.execute("SELECT id FROM workers").fetchall()
        except sqlite3.OperationalError:
            return []


def test_every_engine_command_reports_a_file_that_is_not_a_store(project: Project) -> None:
    garbage = project.root / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    for command in (["executions", "list"], ["dlq", "list"], ["store", "check"],
                    ["run", "quickly", "--input", '"a"'], ["publish", "Boom", "--payload",
                    '{"n": 3}'], ["store", "backup", "x.db"]):  # fmt: skip
        result = eventualc(project.root, *command, "--db", str(garbage))
        assert result.returncode == 1, (command, result.stderr)
        assert f"{garbage} is not an eventual store (SQLite: file is not a database)" in \
            result.stderr  # fmt: skip
