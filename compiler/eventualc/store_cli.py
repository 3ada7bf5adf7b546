"""The engine store's own commands (``eventualc store check|backup|restore``), and its
failures reported alike by every engine command.

``COMMANDS``: the engine commands of ``engine_cli`` and the ``store`` group, each
reporting a ``StoreError`` (a missing, damaged, locked or full store; see
``eventual.engine.store.describe``) as one line naming the file, SQLite's words and
what to do, exit 1, instead of a traceback.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from eventualc.engine_cli import COMMANDS as ENGINE_COMMANDS
from eventualc.engine_cli import _db_option, _fail, store_path

__all__ = ["COMMANDS", "guarded", "store"]

PROBLEMS_SHOWN = 20


def guarded(command: click.Command) -> click.Command:
    """``command`` (and a group's subcommands) reporting store failures cleanly."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guarded(sub)
    elif command.callback is not None:
        command.callback = _reporting(command.callback)
    return command


def _reporting(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def call(*args: Any, **kwargs: Any) -> Any:
        from eventual.engine.store import StoreError, describe

        try:
            return callback(*args, **kwargs)
        except StoreError as exc:
            _fail(str(exc))
        except sqlite3.Error as exc:  # a query outside the engine's own: the same words
            where = kwargs.get("where")
            _fail(describe(store_path(kwargs.get("db") or getattr(where, "db", None)), exc))

    return call


@click.group()
def store() -> None:
    """Check, back up and restore the engine's SQLite store."""


@store.command("check")
@_db_option
def check_store(db: str | None) -> None:
    """Run SQLite's integrity check on the store; exit 1 if it finds damage."""
    from eventual.engine.store import check_file

    path = store_path(db)
    if not path.is_file():
        _fail(f"no engine store at {path}")
    problems = check_file(path)
    if problems:
        for problem in problems[:PROBLEMS_SHOWN]:
            click.echo(problem)
        more = len(problems) - PROBLEMS_SHOWN
        if more > 0:
            click.echo(f"… and {more} more")
        _fail(f"{path} is damaged: go back to a backup with `eventualc store restore BACKUP`")
    click.echo(f"{path}: ok")


@store.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@_db_option
def backup_store(target: str, db: str | None) -> None:
    """Copy the store to TARGET, a new file: a consistent copy even while workers run."""
    from eventual.engine.store import Store

    path, copy = store_path(db), Path(target)
    if copy.exists():
        _fail(f"{copy} exists: give a new file name")
    if not copy.parent.is_dir():
        _fail(f"no folder {copy.parent}")
    Store(path, create=False).backup(copy)
    problems = Store(copy, create=False).check(quick=True)
    if problems:
        _fail(f"the copy {copy} fails SQLite's quick check ({problems[0]}): check {path}")
    click.echo(f"eventualc: {path} backed up to {copy} ({copy.stat().st_size} bytes)", err=True)


@store.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False))
@_db_option
def restore_store(backup: str, db: str | None) -> None:
    """Replace the store with BACKUP (a store `store backup` wrote); refused while a
    worker runs on the store. The store's current content is lost."""
    from eventual.engine.store import Store, StoreError
    from eventual.engine.worker import STALE

    path, source = store_path(db), Path(backup)
    if not source.is_file():
        _fail(f"no backup at {source}")
    if path.exists():
        try:
            live = Store(path, create=False).live_workers(STALE, time.time())
        except StoreError:  # a store too damaged to read has no workers to protect
            live = []
        if live:
            _fail(f"{len(live)} worker(s) use {path} ({', '.join(live)}): stop them first")
    copy = Store(source, create=False)
    problems = copy.check()
    if problems:
        _fail(f"{source} is damaged ({problems[0]}): not restored")
    path.parent.mkdir(parents=True, exist_ok=True)
    copy.backup(path, replacing=True)
    click.echo(f"eventualc: {path} restored from {source}", err=True)


COMMANDS: list[click.Command] = [guarded(command) for command in [*ENGINE_COMMANDS, store]]
