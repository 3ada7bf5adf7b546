"""The embedded engine's throughput beside DBOS on SQLite and beside SQLite's own floor.

One run, on one disk (a temporary folder, or ``--dir``), every store in WAL mode with
``synchronous=FULL`` (a committed step survives power loss), best of ``--runs`` (3)
rounds, the three contenders interleaved in each round so that a noisy disk hurts them
alike:

- the floor: raw SQLite, a loop of tiny ``INSERT`` + ``COMMIT`` transactions;
- the engine: 200 executions of a workflow of 10 sequential steps, each a no-op task,
  started one by one (a commit each) and run to their end by ``Engine.run`` with its
  default 8 handler threads; steps/s and commits per step (``Store.commits``, starts
  included), then event fan-out: 1,000 events published one by one (a commit each),
  each delivered to 4 no-op subscriptions; deliveries/s from the first publish to the
  last delivery, and for the deliveries alone;
- DBOS 3.x with a SQLite system database: 200 ``@DBOS.workflow`` functions each calling
  10 ``@DBOS.step`` functions, run one after the other and started all at once
  (``DBOS.start_workflow``); the better of the two counts. DBOS opens SQLite through
  SQLAlchemy without setting the journal mode, so a ``connect`` listener on every
  SQLAlchemy engine sets WAL and ``synchronous=FULL``; the run reads both back from
  DBOS's own connection and prints them. Its commits count the transactions that wrote.

Then latency: 100 executions of the same workflow one at a time, each started from a
second connection while a worker already runs, p50/p90/p99 per execution and per step,
beside DBOS measured the same way and the raw commit latency of the same disk; the same
workload done by one and by two worker processes on one file; and scale: the workload
in an empty store, then in the same store grown to 10,000 executions (their history
included), with the time of one page of ``executions list``.

Targets (PASS/FAIL): >= 10,000 steps/s or >= 8x DBOS's, <= 1 commit per step, >= 10,000
deliveries/s once published, per-step p50 <= 2x the commit p50 + 0.5 ms and <= DBOS's,
two workers >= one, per-step cost in the large store <= 1.2x the empty one's. DBOS is not
a dependency of eventualc; install it to compare:

    pip install 'dbos>=3,<4'
    python bench/engine.py [--runs 3] [--workflows 200] [--events 1000] [--dir PATH]

Exit status: 2 when DBOS is missing, 1 when a workload did not end as it must, else 0
(figures, not a test: a missed target prints FAIL).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STEPS = 10
PRAGMAS = ("synchronous", "journal_mode")  # read back from each side's own connection
SUBSCRIBERS = ("first", "second", "third", "fourth")
SPEC = (
    "service: enginebench\n"
    "events:\n  Tick: {schema: {type: object, required: [n], properties: {n: {type: integer}}}}\n"
    "tasks:\n  noop: {input: integer, output: integer}\n"
    "subscriptions:\n" + "".join(f"  {s}: {{events: [Tick]}}\n" for s in SUBSCRIBERS) +
    "workflows:\n  tenSteps:\n    input: integer\n    steps:\n" +
    '      - {task: noop, input: "${{ input }}"}\n' * STEPS
)  # fmt: skip
TASK = (
    "import eventual\n\n\n"
    "def noop(input: int, ctx: eventual.TaskContext) -> int:\n    return input\n"
)
SUBSCRIBER = (
    "import eventual\nfrom ..models import Tick\n\nCALLS: list[int] = []\n\n\n"
    "def {name}(event: Tick, ctx: eventual.SubscriptionContext) -> None:\n"
    "    CALLS.append(event.n)\n"
)
DBOS_MISSING = (
    "bench/engine.py compares the engine with DBOS 3.x, which is not installed "
    "(it is not a dependency of eventualc). Install it with:\n    pip install 'dbos>=3,<4'"
)


@dataclass
class Best:
    """The best (highest) of several measurements of one figure."""

    values: list[float]

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def best(self) -> float:
        return max(self.values)


# -- the floor --------------------------------------------------------------------------


def raw_commit_rate(folder: Path, commits: int = 1000) -> float:
    """Commits/s of single-row transactions, WAL and synchronous=FULL, on ``folder``."""
    db = sqlite3.connect(fresh(folder / "raw.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT)")
    started = time.perf_counter()
    for _ in range(commits):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (value) VALUES ('x')")
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return commits / elapsed


def raw_commit_latencies(folder: Path, commits: int = 300) -> list[float]:
    """Seconds per single-row commit, one at a time (the latency floor of one step)."""
    db = sqlite3.connect(fresh(folder / "rawlat.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT)")
    took = []
    for _ in range(commits):
        began = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (value) VALUES ('x')")
        db.execute("COMMIT")
        took.append(time.perf_counter() - began)
    db.close()
    return took


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


# -- the engine -------------------------------------------------------------------------


def build_service(folder: Path) -> Any:
    """The bench service, built by ``eventualc build`` into ``folder`` and imported."""
    (folder / "pyproject.toml").write_text("[project]\nname = 'enginebench'\n")
    (folder / "spec.yaml").write_text(SPEC)
    subprocess.run(
        [sys.executable, "-m", "eventualc", "build", "spec.yaml", "--out", "benchgen"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    handlers = folder / "benchgen" / "enginebench" / "handlers"
    (handlers / "noop.py").write_text(TASK)
    for name in SUBSCRIBERS:
        (handlers / f"{name}.py").write_text(SUBSCRIBER.format(name=name))
    sys.path.insert(0, str(folder))
    return importlib.import_module("benchgen.enginebench").service


def engine_workflows(
    service: Any, folder: Path, workflows: int, store: Path | None = None
) -> tuple[float, float]:
    """(steps/s, commits per step) of ``workflows`` executions, from first start to end,
    in a fresh store (or in ``store`` as it is)."""
    from eventual.engine import Engine

    engine = Engine(store or fresh(folder / "engine.db"), [service], durability="full")
    pragmas = [engine.store.db.execute(f"PRAGMA {p}").fetchone()[0] for p in PRAGMAS]
    expect(pragmas == [2, "wal"], f"the engine's store ({pragmas})")
    commits = engine.store.commits
    started = time.perf_counter()
    for i in range(workflows):
        engine.start("tenSteps", i)
    engine.run(until=lambda: none_in_progress(engine))
    elapsed = time.perf_counter() - started
    commits = engine.store.commits - commits
    steps = workflows * STEPS
    ran = engine.store.db.execute(
        "SELECT count(*) FROM history, json_each(history.entries) WHERE json_extract(value, "
        "'$.type') = 'TaskSucceeded' AND execution IN (SELECT id FROM executions ORDER BY "
        "started DESC LIMIT ?)", (workflows,)
    ).fetchone()[0]  # fmt: skip
    engine.close()
    expect(none_in_progress_at(store or folder / "engine.db") and ran == steps, "engine workflows")
    return steps / elapsed, commits / steps


def none_in_progress_at(path: Path) -> bool:
    db = sqlite3.connect(path)
    row = db.execute("SELECT 1 FROM executions WHERE status = 'IN_PROGRESS' LIMIT 1").fetchone()
    db.close()
    return row is None


def grow(path: Path, executions: int) -> None:
    """Copies the store's finished executions (and their history) until it holds
    ``executions``: a store as large as months of use, made in a second."""
    db = sqlite3.connect(path, isolation_level=None)
    have = db.execute("SELECT count(*) FROM executions").fetchone()[0]
    copy = 0
    while have < executions:
        copy += 1
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO executions (id, service, workflow, name, version, status, input, "
            "result, error, state, parent, parent_handle, started, ended, history) "
            "SELECT id || ?1, service, workflow, name || ?1, version, status, input, result, "
            "error, state, parent, parent_handle, started - ?2, ended - ?2, history "
            "FROM executions WHERE id NOT LIKE '%~%' LIMIT ?3",
            (f"~{copy}", copy * 3600.0, executions - have),
        )  # fmt: skip
        db.execute(
            "INSERT INTO history (execution, seq, entries) SELECT h.execution || ?1, h.seq, "
            "h.entries FROM history h JOIN executions e ON e.id = h.execution || ?1",
            (f"~{copy}",),
        )
        db.execute("COMMIT")
        have = db.execute("SELECT count(*) FROM executions").fetchone()[0]
    db.close()


def engine_scale(
    service: Any, folder: Path, workflows: int, size: int, runs: int
) -> dict[str, float]:
    """Steps/s (best of ``runs``, alternating) in an empty store and in one grown to
    ``size`` executions, and the time of a page of ``executions list`` in each."""
    from eventual.engine import Engine

    large = fresh(folder / "scale.db")
    engine_workflows(service, folder, workflows, large)  # executions for ``grow`` to copy
    grow(large, size)
    stores = {"empty": folder / "scale-empty.db", "full": large}
    best = {label: Best([]) for label in stores}
    for _ in range(runs):
        for label, path in stores.items():
            store = fresh(path) if label == "empty" else path
            best[label].add(engine_workflows(service, folder, workflows, store)[0])
    figures: dict[str, float] = {}
    for label, path in stores.items():
        figures[f"steps/s, {label}"] = best[label].best
        engine = Engine(path, [service])
        began = time.perf_counter()
        for _ in range(20):
            page = engine.executions(limit=50)
            engine.executions(status="SUCCEEDED", limit=50, after=page[-1].id)
        figures[f"list page ms, {label}"] = (time.perf_counter() - began) / 40 * 1000
        figures[f"executions, {label}"] = len(engine.store.db.execute(
            "SELECT id FROM executions").fetchall())  # fmt: skip
        engine.close()
    return figures


def worker_child(path: str, folder: str, go: str) -> None:
    """``--worker-child``: a worker process that starts working once ``go`` exists."""
    from eventual.engine import Engine

    sys.path.insert(0, folder)
    service = importlib.import_module("benchgen.enginebench").service
    engine = Engine(path, [service], durability="full")
    Path(f"{go}.ready.{os.getpid()}").touch()
    while not Path(go).exists():
        time.sleep(0.001)
    engine.run(until=lambda: none_in_progress(engine))
    engine.close()


def engine_processes(service: Any, folder: Path, workflows: int, workers: int) -> float:
    """Steps/s of ``workflows`` executions (started first) done by ``workers`` worker
    processes on one file, from the moment they may begin to the last one's exit."""
    from eventual.engine import Engine

    path = fresh(folder / f"workers{workers}.db")
    engine = Engine(path, [service], durability="full")
    for i in range(workflows):
        engine.start("tenSteps", i)
    engine.close()
    go = folder / "go"
    go.unlink(missing_ok=True)
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker-child", str(path), str(folder), str(go)]
        )
        for _ in range(workers)
    ]
    while len(list(folder.glob("go.ready.*"))) < workers:  # imports done: time the work
        time.sleep(0.01)
    for ready in folder.glob("go.ready.*"):
        ready.unlink()
    began = time.perf_counter()
    go.touch()
    codes = [child.wait() for child in children]
    elapsed = time.perf_counter() - began
    expect(codes == [0] * workers and none_in_progress_at(path), f"{workers} worker processes")
    return workflows * STEPS / elapsed


def engine_latency(service: Any, folder: Path, executions: int, warm: int = 10) -> list[float]:
    """Seconds from ``start`` to the end of each of ``executions`` runs of ``tenSteps``,
    one at a time, started from a second connection while a worker already runs (the
    shape of ``eventualc start`` beside ``eventualc worker``, and of an API call)."""
    import threading

    from eventual.engine import Engine

    path = fresh(folder / "latency.db")
    worker = Engine(path, [service], durability="full")
    ended: dict[str, float] = {}
    done = threading.Event()

    def observe(execution: str, entries: list[dict[str, Any]]) -> None:
        if any(e["type"] == "ExecutionSucceeded" for e in entries):
            ended[execution] = time.perf_counter()
            done.set()

    stop = threading.Event()
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop, "observer": observe})
    thread.start()
    client = Engine(path, [service], durability="full")
    took = []
    for i in range(warm + executions):
        done.clear()
        began = time.perf_counter()
        execution = client.start("tenSteps", i)
        while execution not in ended:
            if not done.wait(5):
                expect(False, "an engine execution (latency)")
            done.clear()
        if i >= warm:
            took.append(ended[execution] - began)
    stop.set()
    thread.join()
    client.close()
    worker.close()
    return took


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p90 and p99 of ``values``."""
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return at(0.5), at(0.9), at(0.99)


def none_in_progress(engine: Any) -> bool:
    query = "SELECT 1 FROM executions WHERE status = 'IN_PROGRESS' LIMIT 1"
    return engine.store.db.execute(query).fetchone() is None


def engine_fanout(service: Any, folder: Path, events: int) -> tuple[float, float]:
    """(deliveries/s from the first publish, deliveries/s once published) of ``events``
    events, each reaching every subscriber."""
    from eventual.engine import Engine

    calls = [importlib.import_module(f"{service.package}.handlers.{s}").CALLS for s in SUBSCRIBERS]
    for seen in calls:
        seen.clear()
    engine = Engine(fresh(folder / "fanout.db"), [service], durability="full")
    started = time.perf_counter()
    for n in range(events):
        engine.publish("Tick", {"n": n})
    published = time.perf_counter()
    engine.run(until=engine.idle)
    ended = time.perf_counter()
    left = engine.store.db.execute("SELECT count(*) FROM work").fetchone()[0]
    engine.close()
    deliveries = events * len(SUBSCRIBERS)
    expect(all(sorted(set(seen)) == list(range(events)) for seen in calls) and left == 0,
           "engine fan-out")  # fmt: skip
    return deliveries / (ended - started), deliveries / (ended - published)


def expect(condition: bool, what: str) -> None:
    if not condition:
        print(f"bench/engine.py: {what} did not end as it must", file=sys.stderr)
        sys.exit(1)


# -- DBOS, in a process of its own ----------------------------------------------------------


def dbos_child(path: str, workflows: int, latency: int) -> None:
    """Runs in ``python bench/engine.py --dbos-child PATH``: prints a JSON result."""
    import sqlalchemy as sa
    from dbos import DBOS
    from dbos._dbos import _get_dbos_instance

    def wal_full(connection: Any, _record: Any) -> None:
        if isinstance(connection, sqlite3.Connection):
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")

    sa.event.listen(sa.Engine, "connect", wal_full)  # every engine, DBOS's included
    DBOS(config={"name": "enginebench", "system_database_url": f"sqlite:///{path}",
                 "log_level": "WARNING"})  # fmt: skip

    @DBOS.step()
    def noop(i: int) -> int:
        return i

    @DBOS.workflow()
    def ten_steps(i: int) -> int:
        for _ in range(STEPS):
            noop(i)
        return i

    DBOS.launch()
    engine = _get_dbos_instance()._sys_db.engine  # its system database's SQLAlchemy engine
    writes = count_write_commits(sa, engine)
    with engine.connect() as connection:
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    result: dict[str, Any] = {"synchronous": synchronous, "journal_mode": journal}
    for i in range(10 + latency):  # the same shape as the engine's: one at a time, warm
        began = time.perf_counter()
        DBOS.start_workflow(ten_steps, i).get_result()
        if i >= 10:
            result.setdefault("latency", []).append(time.perf_counter() - began)
    for mode, run in (("sequential", sequential), ("started", started_at_once)):
        writes[0] = 0
        began = time.perf_counter()
        run(DBOS, ten_steps, workflows)
        elapsed = time.perf_counter() - began
        result[mode] = workflows * STEPS / elapsed
        result[f"{mode}_commits"] = writes[0] / (workflows * STEPS)
    with engine.connect() as connection:
        outputs = connection.exec_driver_sql("SELECT count(*) FROM operation_outputs").scalar()
        ended = connection.exec_driver_sql(
            "SELECT count(*) FROM workflow_status WHERE status = 'SUCCESS'"
        ).scalar()
    DBOS.destroy()
    runs = 2 * workflows + 10 + latency
    expect(outputs == runs * STEPS and ended == runs, "DBOS workflows")
    print(json.dumps(result))


def sequential(dbos: Any, workflow: Callable[[int], int], count: int) -> None:
    for i in range(count):
        workflow(i)


def started_at_once(dbos: Any, workflow: Callable[[int], int], count: int) -> None:
    handles = [dbos.start_workflow(workflow, i) for i in range(count)]
    for handle in handles:
        handle.get_result()


def count_write_commits(sa: Any, engine: Any) -> list[int]:
    """A counter of committed transactions that wrote (reads commit too in SQLAlchemy)."""
    writes = [0]

    def statement(conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            conn.info["wrote"] = True

    def commit(conn: Any) -> None:
        writes[0] += bool(conn.info.pop("wrote", False))

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)
    sa.event.listen(engine, "rollback", lambda conn: conn.info.pop("wrote", None))
    return writes


def run_dbos(folder: Path, workflows: int, latency: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--dbos-child", str(fresh(folder / "dbos.db")),
         "--workflows", str(workflows), "--latency", str(latency)], capture_output=True,
        text=True,
    )  # fmt: skip
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr, end="")
        sys.exit(1)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the report -----------------------------------------------------------------------------


def report(figures: dict[str, Best], dbos: dict[str, Any], runs: int) -> None:
    """Every figure (best of the runs; for commits, the highest), then the targets and ratios."""
    engine, floor = figures["engine steps/s"].best, figures["raw commits/s"].best
    dbos_best = max(figures["dbos steps/s, sequential"].best, figures["dbos steps/s, started"].best)
    commits = max(figures["engine commits/step"].values)
    fanout = figures["fan-out deliveries/s"].best
    rows = [
        (name, max(b.values) if "commits" in name else b.best, "") for name, b in figures.items()
    ]
    once = figures["fan-out deliveries/s, once published"].best
    one = figures["engine steps/s, 1 worker process(es)"].best
    two = figures["engine steps/s, 2 worker process(es)"].best
    rows += [
        ("engine / DBOS steps/s", engine / dbos_best, ""),
        (
            "steps/s >= 10,000 or >= 8 x DBOS",
            engine,
            verdict(engine >= 10_000 or engine >= 8 * dbos_best),
        ),
        ("engine commits per step (target <= 1)", commits, verdict(commits <= 1)),
        ("fan-out once published (target >= 10,000)", once, verdict(once >= 10_000)),
        ("fan-out deliveries/s from the first publish", fanout, ""),
        ("two worker processes / one (target >= 1)", two / one, verdict(two >= one)),
        ("engine steps/s / raw commits/s", engine / floor, ""),
        ("DBOS steps/s / raw commits/s", dbos_best / floor, ""),
    ]
    print(
        f"best of {runs} runs; synchronous=2 (FULL) and journal_mode=wal on the engine's store; "
        f"on DBOS's: synchronous={dbos['synchronous']}, journal_mode={dbos['journal_mode']}"
    )
    for name, value, mark in rows:
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        print(f"{name:<48} {shown:>10}  {mark}")


def report_latency(samples: dict[str, list[float]]) -> None:
    """p50/p90/p99 per execution and per step (ms), the floor beside, then the targets."""
    print(f"\nlatency, one execution of {STEPS} sequential no-op steps at a time, warm worker "
          f"({len(samples['engine'])} executions per contender):")  # fmt: skip
    print(f"{'':<34} {'p50':>8} {'p90':>8} {'p99':>8}   ms")
    rows = [("raw SQLite commit (floor)", samples["commit"], 1)]
    rows += [(f"{who}, per execution", samples[who], 1) for who in ("engine", "dbos")]
    rows += [(f"{who}, per step", samples[who], STEPS) for who in ("engine", "dbos")]
    for name, values, per in rows:
        p50, p90, p99 = (1000 * v / per for v in percentiles(values))
        print(f"{name:<34} {p50:>8.2f} {p90:>8.2f} {p99:>8.2f}")
    commit = percentiles(samples["commit"])[0] * 1000
    step = percentiles(samples["engine"])[0] * 1000 / STEPS
    dbos = percentiles(samples["dbos"])[0] * 1000 / STEPS
    bound = 2 * commit + 0.5
    print(f"{'engine p50 per step <= 2 x commit + 0.5 ms':<48} {step:>7.2f} <= {bound:.2f}  "
          f"{verdict(step <= bound)}")  # fmt: skip
    print(f"{'engine p50 per step <= DBOS p50 per step':<48} {step:>7.2f} <= {dbos:.2f}  "
          f"{verdict(step <= dbos)}")  # fmt: skip


def report_scale(scale: dict[str, float]) -> None:
    empty, full = scale["steps/s, empty"], scale["steps/s, full"]
    print(f"\nat scale: {scale['executions, empty']:,.0f} then {scale['executions, full']:,.0f} "
          "executions in the store (best of the runs, alternating)")  # fmt: skip
    print(f"{'steps/s (the workload), empty store':<48} {empty:>10,.0f}")
    print(f"{'steps/s (the workload), large store':<48} {full:>10,.0f}")
    for label in ("empty", "full"):
        print(f"{f'executions list, one page of 50 (ms), {label}':<48} "
              f"{scale[f'list page ms, {label}']:>10.2f}")  # fmt: skip
    ratio = empty / full
    print(f"{'per-step cost, large / empty (target <= 1.2)':<48} {ratio:>10.2f}  "
          f"{verdict(ratio <= 1.2)}")  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--latency", type=int, default=100, help="executions timed one by one")
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--scale", type=int, default=10_000, help="executions in the large store")
    parser.add_argument("--dbos-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_child:
        worker_child(*args.worker_child)
        return
    if args.dbos_child:
        dbos_child(args.dbos_child, args.workflows, args.latency)
        return
    spec = importlib.util.find_spec("dbos")
    if spec is None or not importlib.metadata.version("dbos").startswith("3."):
        print(DBOS_MISSING, file=sys.stderr)
        sys.exit(2)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        service = build_service(folder)
        names = ["raw commits/s", "engine steps/s", "engine commits/step", "fan-out deliveries/s",
                 "fan-out deliveries/s, once published", "dbos steps/s, sequential",
                 "dbos steps/s, started", "dbos write commits/step",
                 "engine steps/s, 1 worker process(es)",
                 "engine steps/s, 2 worker process(es)"]  # fmt: skip
        figures = {name: Best([]) for name in names}
        samples: dict[str, list[float]] = {"commit": [], "engine": [], "dbos": []}
        for _ in range(args.runs):
            samples["commit"] += raw_commit_latencies(folder)
            samples["engine"] += engine_latency(service, folder, args.latency)
            figures["raw commits/s"].add(raw_commit_rate(folder))
            steps, commits = engine_workflows(service, folder, args.workflows)
            figures["engine steps/s"].add(steps)
            figures["engine commits/step"].add(commits)
            total, once = engine_fanout(service, folder, args.events)
            figures["fan-out deliveries/s"].add(total)
            figures["fan-out deliveries/s, once published"].add(once)
            dbos = run_dbos(folder, args.workflows, args.latency)
            samples["dbos"] += dbos["latency"]
            for workers in (1, 2):
                figures[f"engine steps/s, {workers} worker process(es)"].add(
                    engine_processes(service, folder, args.workflows, workers))  # fmt: skip
            figures["dbos steps/s, sequential"].add(dbos["sequential"])
            figures["dbos steps/s, started"].add(dbos["started"])
            figures["dbos write commits/step"].add(dbos["sequential_commits"])
        report(figures, dbos, args.runs)
        report_latency(samples)
        report_scale(engine_scale(service, folder, args.workflows, args.scale, args.runs))


if __name__ == "__main__":
    main()
