"""``eventualc store check|backup|restore``: the engine's SQLite store, checked, copied
while workers run, and put back from a copy (refused while a worker uses it).

Every failure is one ``eventualc: ...`` line and exit 1; the default store is
``factory.store_path``'s.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from eventualc.cli.console import fail
from eventualc.cli.factory import db_option, store_path

PROBLEMS_SHOWN = 20


@click.group()
def store() -> None:
    """Check, back up and restore the engine's SQLite store."""


@store.command("check")
@db_option
def check_store(db: str | None) -> None:
    """Run SQLite's integrity check on the store; exit 1 if it finds damage."""
    from eventual.engine.store import check_file

    path = store_path(db)
    if not path.is_file():
        fail(f"no engine store at {path}")
    problems = check_file(path)
    if problems:
        for problem in problems[:PROBLEMS_SHOWN]:
            click.echo(problem)
        more = len(problems) - PROBLEMS_SHOWN
        if more > 0:
            click.echo(f"… and {more} more")
        fail(f"{path} is damaged: go back to a backup with `eventualc store restore BACKUP`")
    click.echo(f"{path}: ok")


@store.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@db_option
def backup_store(target: str, db: str | None) -> None:
    """Copy the store to TARGET, a new file: a consistent copy even while workers run."""
    from eventual.engine.store import Store

    path, copy = store_path(db), Path(target)
    if copy.exists():
        fail(f"{copy} exists: give a new file name")
    if not copy.parent.is_dir():
        fail(f"no folder {copy.parent}")
    Store(path, create=False).backup(copy)
    problems = Store(copy, create=False).check(quick=True)
    if problems:
        fail(f"the copy {copy} fails SQLite's quick check ({problems[0]}): check {path}")
    click.echo(f"eventualc: {path} backed up to {copy} ({copy.stat().st_size} bytes)", err=True)


@store.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False))
@db_option
def restore_store(backup: str, db: str | None) -> None:
    """Replace the store with BACKUP (a store `store backup` wrote); refused while a
    worker runs on the store. The store's current content is lost."""
    from eventual.engine.store import Store, StoreError
    from eventual.engine.worker import STALE

    path, source = store_path(db), Path(backup)
    if not source.is_file():
        fail(f"no backup at {source}")
    if path.exists():
        try:
            live = Store(path, create=False).live_workers(STALE, time.time())
        except StoreError:  # a store too damaged to read has no workers to protect
            live = []
        if live:
            fail(f"{len(live)} worker(s) use {path} ({', '.join(live)}): stop them first")
    copy = Store(source, create=False)
    problems = copy.check()
    if problems:
        fail(f"{source} is damaged ({problems[0]}): not restored")
    path.parent.mkdir(parents=True, exist_ok=True)
    copy.backup(path, replacing=True)
    click.echo(f"eventualc: {path} restored from {source}", err=True)
