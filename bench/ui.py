"""The console's server time on a large store: 100,000 executions, 1,000,000 history entries.

A temporary project holds a small saga service (built with ``eventualc build``); the
engine runs a few real executions of it, then the bench copies their rows straight
into the store's tables with SQL (this bench alone writes rows that way) until it holds
``--executions`` executions with ``--history`` history entries in all. The console then
serves on a free port, and each page is fetched ``--runs`` times over loopback HTTP
(what a browser would wait for, server time and a local round trip):

- the executions list: its first page, a page deep in the store by cursor, the
  first page filtered by workflow and by status, and by name prefix;
- an execution's page (flowchart, timeline, history), for a typical execution and
  for the one with the longest history.

Target (PASS/FAIL): the median of each list page and execution page <= 200 ms.

    python bench/ui.py [--executions 100000] [--history 1000000] [--runs 20]
"""

from __future__ import annotations

import argparse
import importlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import uvicorn

from eventual.engine import Engine
from eventualc.pipeline import load
from eventualc.ui.pages import Console
from eventualc.ui.server import create_app

SPEC = """\
service: bench
tasks:
  double: {input: integer, output: integer}
  undo: {input: string}
workflows:
  saga:
    input: integer
    steps:
      - {id: one, task: double, input: "${{ input }}", compensate: [{task: undo, input: one}]}
      - {id: two, task: double, input: "${{ steps.one.output }}"}
      - if: ${{ steps.two.output > 100 }}
        then: [{fail: {error: TooBig, message: "${{ steps.two.output }}"}}]
      - return: ${{ steps.two.output }}
"""
HANDLERS = {
    "double": "import eventual\n\ndef double(input: int, ctx: eventual.TaskContext) -> int:\n"
    "    return input * 2\n",
    "undo": "import eventual\n\ndef undo(input: str, ctx: eventual.TaskContext) -> None:\n"
    "    pass\n",
}
TARGET_MS = 200.0


def make_project(root: Path) -> Any:
    """The bench service, built and imported from ``root``."""
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    (root / "spec.yaml").write_text(SPEC)
    subprocess.run([sys.executable, "-m", "eventualc", "build", "spec.yaml", "--out", "gen"],
                   cwd=root, check=True, capture_output=True)  # fmt: skip
    for name, code in HANDLERS.items():
        (root / "gen" / "bench" / "handlers" / f"{name}.py").write_text(code)
    sys.path.insert(0, str(root))
    return importlib.import_module("gen.bench").service


def fill(engine: Engine, executions: int, history: int) -> None:
    """Real executions first (one succeeds, one fails and compensates), then copies of
    their rows until the store holds ``executions`` executions and ``history`` history
    entries."""
    real = [engine.start("saga", 3), engine.start("saga", 60)]
    engine.run(until=lambda: all(engine.finished(e) for e in real))
    db = engine.store.db
    columns = "service, workflow, version, status, input, result, error, state, started, ended"
    templates = [db.execute(f"SELECT {columns} FROM executions WHERE id = ?", (e,)).fetchone()
                 for e in real]  # fmt: skip
    entries = [engine.history(e) for e in real]
    per = max(1, history // executions)
    started = time.time() - executions
    with engine.store.write() as w:
        for start in range(0, executions - len(real), 10_000):
            rows, lines = [], []
            for n in range(start, min(start + 10_000, executions - len(real))):
                row, entry = templates[n % 2], entries[n % 2]
                ident = f"saga-bench{n:08d}"
                at = started + n
                rows.append((ident, *row[:8], ident, at, at + 0.2, per))
                lines.append((ident, 0, json.dumps([entry[i % len(entry)] for i in range(per)])))
            w.executemany(
                f"INSERT INTO executions (id, {columns.replace('started, ended', 'name')}, "
                "started, ended, history) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            w.executemany("INSERT INTO history (execution, seq, entries) VALUES (?, ?, ?)", lines)
    db.execute("ANALYZE")


def serve(console: Console) -> tuple[str, uvicorn.Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(console), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def timed(url: str, runs: int) -> tuple[float, float, int]:
    """``(median ms, p90 ms, bytes)`` of ``runs`` fetches of ``url`` (after one warm-up)."""
    urllib.request.urlopen(url).read()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        body = urllib.request.urlopen(url).read()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        service = make_project(root)
        engine = Engine(root / "ui.db", [service], durability="normal")
        began = time.perf_counter()
        fill(engine, args.executions, args.history)
        db = engine.store.db
        executions = db.execute("SELECT count(*) FROM executions").fetchone()[0]
        entries = db.execute("SELECT sum(json_array_length(entries)) FROM history").fetchone()[0]
        print(f"store: {executions:,} executions, {entries:,} history entries "
              f"(filled in {time.perf_counter() - began:.0f} s)")  # fmt: skip
        console = Console.local(engine, load([root / "spec.yaml"], root).build)
        url, server = serve(console)
        middle = f"saga-bench{args.executions // 2:08d}"
        longest = engine.store.db.execute(
            "SELECT id FROM executions ORDER BY history DESC LIMIT 1").fetchone()[0]  # fmt: skip
        pages = {
            "list, first page": "/",
            "list, deep page (cursor)": f"/?after={middle}",
            "list, by workflow": "/?workflow=saga",
            "list, by status": "/?status=FAILED",
            "list, by name prefix": "/?prefix=saga-bench0005",
            "execution page": f"/executions/saga-bench{args.executions // 3:08d}",
            "execution page, longest": f"/executions/{longest}",
        }
        failed = False
        for label, path in pages.items():
            median, p90, size = timed(url + path, args.runs)
            verdict = "PASS" if median <= TARGET_MS else "FAIL"
            failed |= verdict == "FAIL"
            print(f"{label:<28} median {median:7.1f} ms  p90 {p90:7.1f} ms  "
                  f"{size / 1024:6.1f} KiB  {verdict} (<= {TARGET_MS:.0f} ms)")  # fmt: skip
        server.should_exit = True
        engine.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
