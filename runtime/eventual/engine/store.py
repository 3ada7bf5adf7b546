"""The embedded engine's SQLite file: tables, transactions and the queries on them.

One file in WAL mode holds everything: service definitions by hash, executions with
their state (JSON, see ``eventual.state``), their history (append-only rows, one per
step), one work queue (workflow events, task runs, subscription deliveries; durable
timers are work items due later), the event log, dead letters and the live workers.
Several threads and processes may share the file: every change happens in a
``write()`` transaction (``BEGIN IMMEDIATE``, so writers queue instead of failing), and
a work item is owned by one worker at a time through its lease (``ready`` moves to the
lease's end).

Durability: ``synchronous=FULL`` by default (a committed step survives power loss);
``NORMAL`` survives a process crash. ``commits`` counts transactions, for benchmarks.

Opening a current store writes nothing (readers never wait for the write lock); only
``create`` makes a missing one. After an unclean stop (a worker whose pid is gone)
opening runs SQLite's ``quick_check``. Every SQLite failure comes out as a
``StoreError`` whose message names the file, SQLite's words and what to do
(``describe``). ``check``, ``backup`` and ``live_workers`` serve ``eventualc store``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventual.state import dumps, loads

try:
    import fcntl
except ImportError:  # Windows: writers queue on SQLite's lock alone
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 6  # 2: executions indexed by start time, for lists that page
# 3: running executions by workflow, to hand a published event to those that wait for it
# 4: event_executions, what each event did to executions (for consoles)
# 5: work by kind, so that finding due work of one kind does not read all that is due
# 6: history in rows appended in order (one per step, ``entries`` a JSON list); work no
#    longer indexed by ``ready`` alone (``work_by_kind`` serves): fewer pages per commit
APPLIED = ("wf", "start")  # kinds of work applied in a transaction (no user code)
LEASED = ("task", "delivery")  # kinds of work leased to a worker, run by a handler thread
KINDS = APPLIED + LEASED

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
CREATE INDEX IF NOT EXISTS executions_waiting ON executions (service, workflow, status);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, execution TEXT NOT NULL, seq INTEGER NOT NULL,
    entries TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS history_by_execution ON history (execution, seq);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, execution TEXT, ready REAL NOT NULL,
    owner TEXT, body TEXT NOT NULL);
DROP INDEX IF EXISTS work_by_ready;
CREATE INDEX IF NOT EXISTS work_by_kind ON work (kind, ready);
CREATE INDEX IF NOT EXISTS work_by_execution ON work (execution);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    name TEXT NOT NULL, time REAL NOT NULL, payload TEXT);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, service TEXT NOT NULL, subscription TEXT NOT NULL,
    event_id TEXT NOT NULL, event TEXT NOT NULL, source TEXT NOT NULL, time REAL NOT NULL,
    payload TEXT, error TEXT NOT NULL, attempts INTEGER NOT NULL, failed REAL NOT NULL);
CREATE TABLE IF NOT EXISTS event_executions (
    event_id TEXT NOT NULL, execution TEXT NOT NULL, how TEXT NOT NULL, service TEXT NOT NULL,
    subscription TEXT NOT NULL, PRIMARY KEY (event_id, execution, how)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_executions_by_execution ON event_executions (execution);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, seen REAL NOT NULL);
"""


class StoreError(Exception):
    """The store cannot be used: missing, damaged, locked, on a full disk, or written by
    a newer version. The message names the file, SQLite's words and what to do."""


BUSY_SECONDS = 60.0  # how long a writer waits for another's write lock before giving up


def describe(path: Path, exc: sqlite3.Error) -> str:
    """What a SQLite failure on ``path`` means for the user, and what to do about it."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    said = f"SQLite: {exc}"
    if code.startswith("SQLITE_FULL") or "full" in str(exc):
        return f"{path}: the disk is full ({said}); the failed step was not recorded: " \
               "free some space and run the command again"  # fmt: skip
    if code.startswith("SQLITE_NOTADB") or "not a database" in str(exc):
        return f"{path} is not an eventual store ({said}): give the store's file with --db"
    if code.startswith("SQLITE_CORRUPT") or "malformed" in str(exc):
        return damaged(path, said)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc):
        return f"{path} is locked: another process has held its write lock for more than " \
               f"{BUSY_SECONDS:g} s ({said}); try again, or stop that process"  # fmt: skip
    if code.startswith("SQLITE_READONLY"):
        return f"cannot write {path} ({said}): check the permissions of the file and its folder"
    if code.startswith("SQLITE_CANTOPEN"):
        return f"cannot open {path} ({said}): check that it and its folder are readable"
    if code.startswith("SQLITE_IOERR"):
        return f"{path}: the disk failed to read or write ({said}): check the disk"
    return f"{path}: {said}"


def damaged(path: Path, problem: str) -> str:
    return f"{path} is damaged ({problem}): see `eventualc store check`, and " \
           "`eventualc store restore BACKUP` to go back to a backup"  # fmt: skip


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: int
    kind: str  # wf | start (in a transaction) | task | delivery (leased, user code)
    execution: str | None
    body: dict[str, Any]


class Store:
    """One SQLite file; one connection per thread (``sqlite3`` connections are not shared)."""

    def __init__(self, path: str | Path, durability: str = "full", create: bool = True) -> None:
        """Opens the store at ``path``; creates it (and its folder) only when ``create``.
        A current store is opened without writing; after an unclean stop (a worker
        that died without leaving) SQLite's ``quick_check`` runs first."""
        if durability not in ("full", "normal"):
            raise ValueError(f"durability must be 'full' or 'normal', not {durability!r}")
        self.path = Path(path)
        self.durability = durability
        self.commits = 0
        self._local = threading.local()
        if not self.path.exists():
            if not create:
                raise StoreError(f"no engine store at {self.path}")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        with self.errors():
            self._open()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
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

    def errors(self) -> AbstractContextManager[None]:
        """SQLite failures inside become ``StoreError``s that say what to do."""
        return Store.errors_of(self.path)

    @staticmethod
    @contextmanager
    def errors_of(path: Path) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(describe(path, exc)) from exc

    def _open(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        if not tables:
            self._migrate()
        elif "meta" not in tables:
            raise StoreError(f"{self.path} is not an eventual store (it has other tables)")
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            raise StoreError(f"{self.path} is not an eventual store (no schema version)")
        if int(row[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer eventual (schema {row[0]})")
        if int(row[0]) < SCHEMA_VERSION:  # an older store: what is new is added
            self._migrate()
        if self.unclean():
            problems = self.check(quick=True)
            if problems:
                raise StoreError(damaged(self.path, problems[0]))

    def _migrate(self) -> None:
        with self.write() as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(history)")]
            if "entry" in columns:  # before schema 6: a row per entry, moved as lists of one
                db.execute("ALTER TABLE history RENAME TO history_5")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if "entry" in columns:
                db.execute(
                    "INSERT INTO history (execution, seq, entries) SELECT execution, seq, "
                    "'[' || entry || ']' FROM history_5 ORDER BY execution, seq"
                )
                db.execute("DROP TABLE history_5")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def unclean(self) -> bool:
        """Whether a worker on this host died without leaving (its pid is gone)."""
        host = socket.gethostname()
        rows = self.db.execute("SELECT pid FROM workers WHERE host = ?", (host,)).fetchall()
        return any(not alive(pid) for (pid,) in rows)

    def check(self, quick: bool = False) -> list[str]:
        """SQLite's ``integrity_check`` (or the faster ``quick_check``): its problems."""
        with self.errors():
            return integrity(self.db, quick)

    def live_workers(self, stale: float, now: float) -> list[str]:
        """Workers that may be running: alive on this host, or seen lately elsewhere."""
        host = socket.gethostname()
        with self.errors():
            rows = self.db.execute("SELECT id, host, pid, seen FROM workers").fetchall()
        return [
            worker for worker, on, pid, seen in rows
            if (alive(pid) if on == host else seen >= now - stale)
        ]  # fmt: skip

    def backup(self, target: Path, replacing: bool = False) -> None:
        """A consistent copy of the store at ``target`` (SQLite's online backup: safe
        while workers write), written beside it and renamed into place. ``replacing``:
        ``target`` is a store nobody uses, whose journal files go first."""
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            with self.errors():
                copy = sqlite3.connect(partial)
                try:
                    self.db.backup(copy)
                finally:
                    copy.close()
            if replacing:
                for journal in ("-wal", "-shm"):
                    target.with_name(target.name + journal).unlink(missing_ok=True)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together, or nothing does.
        SQLite failures come out as ``StoreError``. Writers of this library take turns
        on ``<store>-lock`` first (``_turn``)."""
        with self._turn():
            yield from self._transaction()

    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        with self.errors():
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            with self.errors():
                db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                with suppress(sqlite3.Error):  # the failure to report is the first one
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(describe(self.path, exc)) from exc
            raise
        self.commits += 1

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Holds this thread's ``flock`` on ``<store>-lock`` (when the file can be had).

        SQLite's busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, so a
        writer that finds the write lock taken waits several milliseconds past its
        release, and the holder, free again first, often takes it back: two workers on
        one file did less than one. The ``flock`` is tried with waits of 0.1 ms doubling
        to 2 ms instead; after ``BUSY_SECONDS`` the transaction goes ahead and SQLite's
        own lock decides (and reports). Other programs that write the file are not
        queued here, only by SQLite."""
        fd = self._lock_file()
        if fd is None:
            yield
            return
        pause, ends = 0.0001, time.monotonic() + BUSY_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= ends:
                    break
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_file(self) -> int | None:
        """This thread's descriptor of ``<store>-lock`` (each thread its own, as
        ``flock`` excludes by open file); ``None`` without ``flock`` or the file."""
        fd: int | None = getattr(self._local, "lock", None)
        if fd is None and fcntl is not None:
            try:
                fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # a folder this process may not write: SQLite's lock alone
                fd = -1
            self._local.lock = fd
        return None if fd is None or fd < 0 else fd

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        fd = getattr(self._local, "lock", None)
        if fd is not None and fd >= 0:
            os.close(fd)
        self._local.lock = None

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
        """Up to ``limit`` unleased items of ``kinds`` due at ``now``, oldest first.
        Through ``work_by_kind``, SQLite reads no more than ``limit`` rows of each kind
        (by ``ready`` alone it would read every due item of the other kinds)."""
        marks = ", ".join("?" * len(kinds))
        rows = db.execute(
            f"SELECT id, kind, execution, body FROM work INDEXED BY work_by_kind WHERE "
            f"kind IN ({marks}) AND ready <= ? AND owner IS NULL ORDER BY ready, id LIMIT ?",
            (*kinds, now, limit),
        ).fetchall()
        return [WorkItem(r[0], r[1], r[2], loads(r[3])) for r in rows]

    @staticmethod
    def lease(db: sqlite3.Connection, items: Sequence[int], until: float, owner: str) -> None:
        """Leases ``items`` to ``owner`` until ``until`` (one statement per ``CHUNK``)."""
        _by_chunks(db, "UPDATE work SET ready = ?, owner = ? WHERE id IN ({ids})", items,
                   until, owner)  # fmt: skip

    @staticmethod
    def extend(db: sqlite3.Connection, item: int, until: float, owner: str) -> None:
        """Extends a lease this owner still holds."""
        db.execute("UPDATE work SET ready = ? WHERE id = ? AND owner = ?", (until, item, owner))

    @staticmethod
    def done(db: sqlite3.Connection, item: int) -> bool:
        """Removes a work item; whether it was still there (not settled by another)."""
        return db.execute("DELETE FROM work WHERE id = ?", (item,)).rowcount > 0

    @staticmethod
    def present(db: sqlite3.Connection, items: Sequence[int]) -> set[int]:
        """Those of ``items`` still there (one statement per ``CHUNK``)."""
        rows = _by_chunks(db, "SELECT id FROM work WHERE id IN ({ids})", items)
        return {row[0] for row in rows}

    @staticmethod
    def done_all(db: sqlite3.Connection, items: Sequence[int]) -> None:
        """Removes work items, those still there (one statement per ``CHUNK``)."""
        _by_chunks(db, "DELETE FROM work WHERE id IN ({ids})", items)

    @staticmethod
    def is_due(db: sqlite3.Connection, now: float, kinds: Sequence[str]) -> bool:
        marks = ", ".join("?" * len(kinds))
        query = (
            f"SELECT 1 FROM work INDEXED BY work_by_kind WHERE kind IN ({marks}) AND ready <= ? "
            "AND owner IS NULL LIMIT 1"
        )
        return db.execute(query, (*kinds, now)).fetchone() is not None

    @staticmethod
    def next_due(db: sqlite3.Connection, kinds: Sequence[str] = KINDS) -> float | None:
        """When the soonest unleased item of ``kinds`` is due: the least of each kind's,
        each read from the start of ``work_by_kind``."""
        each = "SELECT * FROM (SELECT ready FROM work INDEXED BY work_by_kind WHERE kind = ? " \
               "AND owner IS NULL ORDER BY ready LIMIT 1)"  # fmt: skip
        row = db.execute(f"SELECT min(ready) FROM ({' UNION ALL '.join([each] * len(kinds))})",
                         tuple(kinds)).fetchone()  # fmt: skip
        return None if row[0] is None else float(row[0])

    @staticmethod
    def link_event(
        db: sqlite3.Connection, event_id: str, execution: str, how: str, service: str,
        subscription: str,
    ) -> None:  # fmt: skip
        """Records that event ``event_id``, through ``service.subscription``, ``how``
        (``started``; ``found``: its execution name was taken; ``signalled``) touched
        ``execution``. Read by consoles only."""
        db.execute(
            "INSERT OR IGNORE INTO event_executions VALUES (?, ?, ?, ?, ?)",
            (event_id, execution, how, service, subscription),
        )

    # workers and leases -----------------------------------------------------------------

    @staticmethod
    def seen(db: sqlite3.Connection, worker: str, host: str, pid: int, now: float) -> None:
        db.execute(
            "INSERT INTO workers VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET seen = ?",
            (worker, host, pid, now, now),
        )

    @staticmethod
    def leased_by(db: sqlite3.Connection, worker: str) -> list[WorkItem]:
        rows = db.execute("SELECT id, kind, execution, body FROM work WHERE owner = ?", (worker,))
        return [WorkItem(r[0], r[1], r[2], loads(r[3])) for r in rows]

    @staticmethod
    def expired(db: sqlite3.Connection, now: float, owner: str) -> list[WorkItem]:
        """Leased items whose lease ran out, but those of ``owner`` (it knows its own)."""
        rows = db.execute(
            "SELECT id, kind, execution, body FROM work INDEXED BY work_by_kind WHERE kind IN "
            "(?, ?) AND ready <= ? AND owner IS NOT NULL AND owner != ?",
            (*LEASED, now, owner),
        )
        return [WorkItem(r[0], r[1], r[2], loads(r[3])) for r in rows]

    @staticmethod
    def requeue(db: sqlite3.Connection, item: int, ready: float, body: dict[str, Any]) -> None:
        """Makes a leased item due again at ``ready``, unleased, with a new ``body``."""
        db.execute(
            "UPDATE work SET ready = ?, owner = NULL, body = ? WHERE id = ?",
            (ready, dumps(body), item),
        )

    @staticmethod
    def release(db: sqlite3.Connection, items: Sequence[int], ready: float, owner: str) -> None:
        """Unleases ``items`` that ``owner`` still holds, due at ``ready``."""
        _by_chunks(db, "UPDATE work SET ready = ?, owner = NULL WHERE owner = ? AND id IN ({ids})",
                   items, ready, owner)  # fmt: skip

    @staticmethod
    def forget(db: sqlite3.Connection, worker: str) -> None:
        db.execute("DELETE FROM workers WHERE id = ?", (worker,))

    @staticmethod
    def workers(db: sqlite3.Connection) -> list[tuple[str, str, int, float]]:
        return [tuple(r) for r in db.execute("SELECT id, host, pid, seen FROM workers")]


CHUNK = 500  # ids bound to one statement (SQLite allows 32,766 variables, older ones 999)


def _by_chunks(
    db: sqlite3.Connection, statement: str, items: Sequence[int], *params: Any
) -> list[Any]:
    """Runs ``statement`` once per ``CHUNK`` of ``items``: its ``{ids}`` is that many
    placeholders, bound after ``params``; the rows it gave."""
    rows: list[Any] = []
    for start in range(0, len(items), CHUNK):
        ids = items[start : start + CHUNK]
        rows += db.execute(statement.format(ids=", ".join("?" * len(ids))), (*params, *ids))
    return rows


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def integrity(db: sqlite3.Connection, quick: bool = False) -> list[str]:
    """The problems SQLite's ``integrity_check`` (or ``quick_check``) finds; damage
    too deep for it to list is one problem, SQLite's message."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [str(row[0]) for row in db.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "").startswith("SQLITE_CORRUPT"):
            return [f"SQLite: {exc}"]
        raise
    return [] if rows == ["ok"] else rows


def check_file(path: Path, quick: bool = False) -> list[str]:
    """``integrity`` of the SQLite file ``path`` (which exists), without opening it as a
    store: a store too damaged to open can still be checked."""
    db = sqlite3.connect(path, timeout=BUSY_SECONDS)
    try:
        with Store.errors_of(path):
            return integrity(db, quick)
    finally:
        db.close()
