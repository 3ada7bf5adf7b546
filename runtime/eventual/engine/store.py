"""The embedded engine's SQLite file: tables, transactions and the queries on them.

One file in WAL mode holds everything: service definitions by hash, executions with
their state (JSON, see ``eventual.state``), their history (append-only rows), one work
queue (workflow events, task runs, subscription deliveries; durable timers are work
items due later), the event log, dead letters and the live workers. Several threads
and processes may share the file: every change happens in a ``write()`` transaction
(``BEGIN IMMEDIATE``, so writers queue instead of failing), and a work item is owned by
one worker at a time through its lease (``ready`` moves to the lease's end).

Durability: ``synchronous=FULL`` by default (a committed step survives power loss);
``NORMAL`` survives a process crash. ``commits`` counts transactions, for benchmarks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventual.state import dumps, loads

SCHEMA_VERSION = 2  # 2: executions indexed by start time, for lists that page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS services (
    name TEXT PRIMARY KEY, package TEXT NOT NULL, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS definitions (version TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, service TEXT NOT NULL, workflow TEXT NOT NULL, name TEXT NOT NULL,
    version TEXT NOT NULL, status TEXT NOT NULL, input TEXT, result TEXT, error TEXT,
    state TEXT, parent TEXT, parent_handle INTEGER, started REAL NOT NULL, ended REAL,
    history INTEGER NOT NULL DEFAULT 0, UNIQUE (service, workflow, name));
CREATE INDEX IF NOT EXISTS executions_by_name ON executions (name);
CREATE INDEX IF NOT EXISTS executions_by_parent ON executions (parent, parent_handle);
CREATE INDEX IF NOT EXISTS executions_by_started ON executions (started, id);
CREATE INDEX IF NOT EXISTS executions_by_workflow ON executions (workflow, started, id);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, started, id);
CREATE TABLE IF NOT EXISTS history (
    execution TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL,
    PRIMARY KEY (execution, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, execution TEXT, ready REAL NOT NULL,
    owner TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS work_by_ready ON work (ready);
CREATE INDEX IF NOT EXISTS work_by_execution ON work (execution);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    name TEXT NOT NULL, time REAL NOT NULL, payload TEXT);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, service TEXT NOT NULL, subscription TEXT NOT NULL,
    event_id TEXT NOT NULL, event TEXT NOT NULL, source TEXT NOT NULL, time REAL NOT NULL,
    payload TEXT, error TEXT NOT NULL, attempts INTEGER NOT NULL, failed REAL NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, seen REAL NOT NULL);
"""


class StoreError(Exception):
    """The file is not an eventual store, or was written by a newer version."""


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: int
    kind: str  # wf | start (in a transaction) | task | delivery (leased, user code)
    execution: str | None
    body: dict[str, Any]


class Store:
    """One SQLite file; one connection per thread (``sqlite3`` connections are not shared)."""

    def __init__(self, path: str | Path, durability: str = "full") -> None:
        if durability not in ("full", "normal"):
            raise ValueError(f"durability must be 'full' or 'normal', not {durability!r}")
        self.path = Path(path)
        self.durability = durability
        self.commits = 0
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.durability.upper()}")
        db.execute("PRAGMA foreign_keys=OFF")
        return db

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _migrate(self) -> None:
        try:
            with self.write() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path} was written by a newer eventual (schema {row[0]})"
                    )
                elif int(row[0]) < SCHEMA_VERSION:  # what changed was added above
                    db.execute("UPDATE meta SET value = ? WHERE key = 'schema'",
                               (str(SCHEMA_VERSION),))  # fmt: skip
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not an eventual store: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together, or nothing does."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.commits += 1

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # work -------------------------------------------------------------------------------

    @staticmethod
    def add_work(
        db: sqlite3.Connection, kind: str, execution: str | None, ready: float,
        body: dict[str, Any], owner: str | None = None,
    ) -> int:  # fmt: skip
        cursor = db.execute(
            "INSERT INTO work (kind, execution, ready, owner, body) VALUES (?, ?, ?, ?, ?)",
            (kind, execution, ready, owner, dumps(body)),
        )
        return int(cursor.lastrowid or 0)

    @staticmethod
    def due_work(
        db: sqlite3.Connection, now: float, limit: int, kinds: Sequence[str]
    ) -> list[WorkItem]:
        """Up to ``limit`` items of ``kinds`` due at ``now``, oldest first."""
        marks = ", ".join("?" * len(kinds))
        rows = db.execute(
            f"SELECT id, kind, execution, body FROM work WHERE ready <= ? AND kind IN ({marks}) "
            "ORDER BY ready, id LIMIT ?",
            (now, *kinds, limit),
        ).fetchall()
        return [WorkItem(r[0], r[1], r[2], loads(r[3])) for r in rows]

    @staticmethod
    def lease(db: sqlite3.Connection, item: int, until: float, owner: str) -> None:
        db.execute("UPDATE work SET ready = ?, owner = ? WHERE id = ?", (until, owner, item))

    @staticmethod
    def extend(db: sqlite3.Connection, item: int, until: float, owner: str) -> None:
        """Extends a lease this owner still holds."""
        db.execute("UPDATE work SET ready = ? WHERE id = ? AND owner = ?", (until, item, owner))

    @staticmethod
    def done(db: sqlite3.Connection, item: int) -> bool:
        """Removes a work item; whether it was still there (not settled by another)."""
        return db.execute("DELETE FROM work WHERE id = ?", (item,)).rowcount > 0

    @staticmethod
    def is_due(db: sqlite3.Connection, now: float, kinds: Sequence[str]) -> bool:
        marks = ", ".join("?" * len(kinds))
        query = f"SELECT 1 FROM work WHERE ready <= ? AND kind IN ({marks}) LIMIT 1"
        return db.execute(query, (now, *kinds)).fetchone() is not None

    @staticmethod
    def next_due(db: sqlite3.Connection) -> float | None:
        row = db.execute("SELECT min(ready) FROM work").fetchone()
        return None if row[0] is None else float(row[0])

    # workers and leases -----------------------------------------------------------------

    @staticmethod
    def seen(db: sqlite3.Connection, worker: str, host: str, pid: int, now: float) -> None:
        db.execute(
            "INSERT INTO workers VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seen = ?",
            (worker, host, pid, now, now),
        )

    @staticmethod
    def release(db: sqlite3.Connection, workers: Sequence[str], now: float) -> int:
        """Makes the leased work of ``workers`` ready now, and forgets those workers."""
        released = 0
        for worker in workers:
            released += db.execute(
                "UPDATE work SET ready = ?, owner = NULL WHERE owner = ?", (now, worker)
            ).rowcount
            db.execute("DELETE FROM workers WHERE id = ?", (worker,))
        return released

    @staticmethod
    def workers(db: sqlite3.Connection) -> list[tuple[str, str, int, float]]:
        return [tuple(r) for r in db.execute("SELECT id, host, pid, seen FROM workers")]
