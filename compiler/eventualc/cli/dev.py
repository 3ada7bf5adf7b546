"""``eventualc dev``: the local loop. Edit a spec or a handler; the service rebuilds and
its worker restarts with the new code; executions and events show as they happen.

It runs ``eventualc build`` and then ``eventualc worker`` as child processes on the
embedded store (``--db``), with their output on this terminal (the worker's live
progress: every execution's steps). It polls the modification times of what it
watches (the spec files, and the project's Python files: handlers and the modules they
import, not the generated code the build owns) every ``--interval`` seconds; on a
change it stops the worker (SIGTERM: in-flight work finishes), rebuilds, and starts a
new worker, which imports the handlers afresh. Spec errors leave the worker stopped
until the next change. It also shows each event published to the store with the
subscriptions it is routed to, and each delivery that failed every attempt.
SIGINT or SIGTERM stops it all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from eventualc.cli.console import stoppable
from eventualc.cli.factory import DB_HELP, current_project, spec_paths, store_path
from eventualc.frontend.source import display_path

_SKIPPED = frozenset({"__pycache__", "node_modules", "cdk.out", "build", "dist"})
Snapshot = dict[Path, tuple[int, int]]


def watched(specs: Sequence[Path], root: Path, out: Path) -> Snapshot:
    """``(mtime_ns, size)`` of every spec file and every project Python file that is not
    generated code (handlers are watched; the rest of ``out`` is the build's)."""
    files: list[Path] = []
    for path in specs:
        files += [path] if path.is_file() else [*path.rglob("*.yaml"), *path.rglob("*.yml")]
    owned = out.resolve()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIPPED and not d.startswith(".")]
        for name in names:
            path = Path(folder, name)
            inside = path.resolve().is_relative_to(owned)
            if name.endswith(".py") and (not inside or path.parent.name == "handlers"):
                files.append(path)
    snapshot = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        snapshot[path] = (stat.st_mtime_ns, stat.st_size)
    return snapshot


def changes(before: Snapshot, after: Snapshot) -> list[Path]:
    """The files added, removed or modified between two snapshots."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def routes(out: Path) -> Callable[[str, str], list[str]]:
    """``(source, event) -> subscriptions`` it is routed to (filters aside), from the
    built definitions."""
    from eventual.definition import Definition
    from eventualc.emit.write import Manifest

    definitions = []
    for service in Manifest.read(out).services():
        definitions.append(Definition.loads((out / service / "definition.json").read_text("utf-8")))

    def find(source: str, name: str) -> list[str]:
        found = []
        for definition in definitions:
            own = name if definition.service == source else None
            for sub, spec in sorted(definition.subscriptions.items()):
                if own in spec.events or f"{source}.{name}" in spec.events:
                    kind = f"starts {spec.workflow}" if spec.workflow else "handler"
                    when = ", if its filter matches" if spec.filter else ""
                    found.append(f"{sub} ({kind}{when})")
        return found

    return find


class Loop:
    """The dev loop's state: the worker process and what was last seen in the store."""

    def __init__(self, specs: Sequence[str], root: Path, out: Path, db: Path) -> None:
        self.specs, self.root, self.out, self.db = list(specs), root, out, db
        self.worker: subprocess.Popen[bytes] | None = None
        self.seen_event = 0
        self.seen_letter = 0
        self.route: Callable[[str, str], list[str]] = lambda source, name: []

    def eventualc(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "eventualc", *args]

    def rebuild_and_start(self) -> None:
        built = subprocess.run(self.eventualc("build", *self.specs), cwd=self.root, check=False)
        if built.returncode != 0:
            say("the build failed: the worker waits for the next change")
            return
        self.route = routes(self.out)
        command = self.eventualc("worker", *self.specs, "--db", str(self.db))
        self.worker = subprocess.Popen(command, cwd=self.root)

    def stop_worker(self) -> None:
        if self.worker is None:
            return
        if self.worker.poll() is None:
            self.worker.terminate()  # in-flight work finishes first
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        self.worker = None

    def show_store(self, quiet: bool = False) -> None:
        """Events published and deliveries dead-lettered since the last look (``quiet``:
        only remember where the store stands)."""
        from eventual.engine import Engine, EngineError, StoreError

        if not self.db.exists():
            return
        try:
            engine = Engine(self.db)
            try:
                self._show(engine, quiet)
            finally:
                engine.close()
        except (EngineError, StoreError):  # busy or not ready yet: next time
            return

    def _show(self, engine: Any, quiet: bool) -> None:
        from eventualc.cli.engine_view import printable

        for seq, source, name in engine.events(self.seen_event):
            self.seen_event = seq
            if quiet:
                continue
            targets = self.route(source, name)
            to = f" → {', '.join(targets)}" if targets else " (no subscription)"
            say(f"event {source}.{name}{to}")
        for letter in engine.dead_letters():
            if letter.id > self.seen_letter:
                self.seen_letter = letter.id
                if quiet:
                    continue
                error = f"{letter.error['error']}: {letter.error['message']}"
                say(printable(f"delivery to {letter.subscription} of {letter.event} failed "
                              f"every attempt ({error}): `eventualc dlq list`"))  # fmt: skip


def say(message: str) -> None:
    click.echo(f"eventualc dev: {message}", err=True)


def run_loop(loop: Loop, specs: Sequence[Path], stop: threading.Event, interval: float) -> None:
    """Until ``stop``: rebuild and restart on changes, show the store."""
    loop.rebuild_and_start()
    snapshot = watched(specs, loop.root, loop.out)  # after the build: it may add stubs
    loop.show_store(quiet=True)  # from here on: what was there before is not news
    while not stop.wait(interval):
        after = watched(specs, loop.root, loop.out)
        changed = changes(snapshot, after)
        if changed:
            shown = ", ".join(display_path(p) for p in changed[:3])
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            say(f"{shown}{more} changed: rebuilding, restarting the worker")
            loop.stop_worker()
            loop.rebuild_and_start()
            snapshot = watched(specs, loop.root, loop.out)
        elif loop.worker is not None and loop.worker.poll() is not None:
            say(f"the worker exited ({loop.worker.returncode}): waiting for a change")
            loop.worker = None
        loop.show_store()
    loop.stop_worker()


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--interval", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
              help="Seconds between looks for changed files.")  # fmt: skip
def dev(specs: tuple[str, ...], db: str | None, interval: float) -> None:
    """Watch specs and handlers; rebuild and restart the worker on each change; show
    executions and events live (Ctrl-C stops)."""
    here = current_project()
    paths = spec_paths(specs, here)
    store = store_path(db)
    loop = Loop(specs, here.root, here.out, store)
    shown = ", ".join(display_path(p) for p in paths)
    say(f"watching {shown} and the handlers; store {display_path(store)} (Ctrl-C stops)")
    with stoppable() as stop:
        try:
            run_loop(loop, paths, stop, interval)
        finally:
            loop.stop_worker()
    say("stopped")
