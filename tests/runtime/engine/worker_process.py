"""A worker process on one engine file, as the crash suite starts (and kills) it.

``python worker_process.py DB PROJECT PACKAGE [--until-done]`` imports the built
service ``PACKAGE.crashy`` from the project folder ``PROJECT`` and runs
``Engine(DB, [service]).run``: until SIGTERM or SIGINT (in-flight work then finishes,
exit 0), or with ``--until-done`` until no execution is in progress and nothing is due
or waiting for a retry. It prints nothing; its handlers write the side channel.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading

from eventual.engine import Engine
from eventual.status import ExecutionStatus


def main(argv: list[str]) -> int:
    db, project, package = argv[:3]
    sys.path.insert(0, project)
    service = importlib.import_module(f"{package}.crashy").service
    engine = Engine(db, [service])
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    until = (lambda: done(engine)) if "--until-done" in argv else None
    engine.run(until=until, stop=stop)
    engine.close()
    return 0


def done(engine: Engine) -> bool:
    """Every execution has ended and no work is due, leased or waiting for a retry."""
    running = engine.store.db.execute(
        "SELECT 1 FROM executions WHERE status = ? LIMIT 1", (ExecutionStatus.IN_PROGRESS.value,)
    ).fetchone()
    return running is None and engine.idle()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
