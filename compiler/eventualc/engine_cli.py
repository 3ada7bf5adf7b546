"""The engine commands of the command line: run, publish, worker, start, signal, cancel,
executions, dlq — all on the embedded SQLite engine (``eventual.engine``).

Commands that run handlers (``run``, ``publish``, ``worker``, ``start``) take spec paths
like ``check`` and ``build``: the generated package is brought up to date first (as
``eventualc build`` would; a hand-edited generated file stops them) and imported from
the project root. The others work on the store alone. Progress goes to stderr, results
to stdout.
"""

from __future__ import annotations

import functools
import io
import json
import signal as signals
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from eventualc.engine_view import Place, Progress, describe_history, printable, table

if TYPE_CHECKING:
    from eventual import Service
    from eventual.aws import Client
    from eventual.engine import Engine, ExecutionView

STATUSES = ["IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"]
DB_HELP = "The engine's SQLite file (default: .eventual/local.db under the project root)."


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"eventualc: {message}", err=True)
    sys.exit(code)


def _say(message: str) -> None:
    """What a command did, in one line on stderr (stdout holds results alone)."""
    click.echo(f"eventualc: {message}", err=True)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


class _Lines(io.TextIOBase):
    """A stream that writes whole lines to ``target``: what each thread prints is kept
    until its newline, so handlers printing at once never share a line."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = threading.local()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        pending = getattr(self.pending, "text", "") + text
        complete, _, self.pending.text = pending.rpartition("\n")
        if complete:
            with self.lock:
                self.target.write(complete + "\n")
                self.target.flush()
        return len(text)

    def flush(self) -> None:
        rest, self.pending.text = getattr(self.pending, "text", ""), ""
        if rest:
            with self.lock:
                self.target.write(rest)
                self.target.flush()


@contextmanager
def _handlers_running() -> Iterator[None]:
    """While handlers run here: what they print goes to stderr, so stdout holds results."""
    with redirect_stdout(_Lines(sys.stderr)):
        yield


def _progress(engine: Engine, watched: set[str] | None, db: str | None) -> Progress:
    """Live progress on stderr, knowing each execution's name and workflow definition."""
    from eventual.engine import EngineError
    from eventual.workflow import compile_workflow

    compiled: dict[tuple[str, str], Any] = {}

    def lookup(execution: str) -> Place | None:
        try:
            view = engine.execution(execution)
            key = (view.service, view.workflow)
            if key not in compiled:
                data = engine.services[view.service].workflows[view.workflow]
                compiled[key] = compile_workflow(view.workflow, data)
        except (EngineError, KeyError):
            return None
        return Place(view.name, compiled[key], db)

    return Progress(sys.stderr, watched, lookup)


def _report_waiting(engine: Engine) -> None:
    """Says what is left for a worker: executions waiting for timers or signals."""
    waiting = len(engine.executions(status="IN_PROGRESS"))
    if waiting:
        waits = plural(waiting, "execution waits", "executions wait")
        _say(f"{waits} (timers, signals): run `eventualc worker`")


def _json(text: str | None, option: str) -> Any:
    """The JSON value of ``option``: strict JSON, so no ``NaN`` or ``Infinity``."""
    if text is None:
        return None
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError as exc:
        raise click.UsageError(f"{option} is not valid JSON: {exc}") from exc


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON number (JSON has no NaN or Infinity)")


def _services(specs: Sequence[str]) -> list[Service]:
    """The services of the build of ``specs``, built first if out of date, imported."""
    import importlib

    from eventualc.build import build
    from eventualc.cli import _project, _spec_paths
    from eventualc.diagnostics import render_text
    from eventualc.write import Manifest

    project = _project()
    result = build(_spec_paths(specs, project), project.root, project.out, False, False)
    if result.front_end is not None:
        shown = [*result.front_end.diagnostics, *result.warnings]
        click.echo(render_text(shown, result.front_end.sources), nl=False, err=True)
        if not result.front_end.ok:
            sys.exit(1)
        if result.plan.conflicts:
            for path in result.plan.conflicts:
                click.echo(f"{project.out / path}: edited by hand (build with --force)", err=True)
            _fail("the generated code is out of date and could not be rebuilt")
    out = project.out.resolve()
    names = Manifest.read(out).services()
    if not names:
        _fail(f"no services in {out}: is the spec empty?")
    base = out.parent
    sys.path.insert(0, str(base))
    importlib.invalidate_caches()
    package = out.name
    return [importlib.import_module(f"{package}.{name}").service for name in names]


def store_path(db: str | None) -> Path:
    """``--db``, or the project's default store."""
    from eventualc.cli import _project

    return Path(db) if db else _project().root / ".eventual" / "local.db"


def _engine(db: str | None, services: Sequence[Service] = ()) -> Engine:
    """The engine on ``--db``. Only commands that run handlers (they give ``services``)
    create a missing store; the others say it does not exist and create nothing."""
    from eventual.engine import Engine, StoreError

    path = store_path(db)
    if not services and not path.exists():
        _fail(f"no engine store at {path}: start something first (eventualc run/start/publish)")
    try:
        return Engine(path, services, create=bool(services))
    except StoreError as exc:
        _fail(str(exc))


@contextmanager
def _engine_errors() -> Iterator[None]:
    from eventual.engine import EngineError, StoreError

    try:
        yield
    except (EngineError, StoreError) as exc:
        _fail(str(exc))


def _usage_errors(lookup: Callable[[], object]) -> None:
    from eventual.engine import EngineError

    try:
        lookup()
    except EngineError as exc:
        raise click.UsageError(str(exc)) from exc


@contextmanager
def _stoppable() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM (in-flight work then finishes); a second
    SIGINT stops at once."""
    stop = threading.Event()

    def handle(number: int, _frame: object) -> None:
        if stop.is_set() and number == signals.SIGINT:
            raise KeyboardInterrupt
        click.echo("eventualc: stopping after the work in flight…", err=True)
        stop.set()

    old = {s: signals.signal(s, handle) for s in (signals.SIGINT, signals.SIGTERM)}
    try:
        yield stop
    finally:
        for number, previous in old.items():
            signals.signal(number, previous)


def _db_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)(function)


@dataclass(frozen=True)
class Where:
    """The embedded store (``--db``), or a deployed stack (``--aws``)."""

    db: str | None
    aws: bool
    stack: str | None
    region: str | None

    def open(self, services: Sequence[Service] = ()) -> Engine | Client:
        """The engine or the AWS client: the same requests and queries, either way."""
        if self.aws:
            from eventualc.aws_cli import aws_client

            return aws_client(self.stack, self.region, services)
        return _engine(self.db, services)


def _where_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--db``, or ``--aws`` with ``--stack``/``--region``, given to ``function`` as ``where``."""

    @functools.wraps(function)
    def with_where(*args: Any, db: str | None, aws: bool, stack: str | None,
                   region: str | None, **kwargs: Any) -> Any:  # fmt: skip
        return function(*args, where=Where(db, aws, stack, region), **kwargs)

    options = [
        _db_option,
        click.option("--aws", is_flag=True, help="Act on the deployed service instead."),
        click.option("--stack", help="With --aws: the stack (default: $EVENTUAL_STACK)."),
        click.option("--region", help="With --aws: the AWS region (default: $AWS_REGION)."),
    ]
    for option in reversed(options):
        with_where = option(with_where)
    return with_where


# -- commands that run handlers -------------------------------------------------------------


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("workflow")
@click.option("--input", "input_", metavar="JSON", help="The execution's input, as JSON.")
@click.option("--name", help="The execution's name; a name used before runs nothing new.")
@_db_option
def run(specs: tuple[str, ...], workflow: str, input_: str | None, name: str | None,
        db: str | None) -> None:  # fmt: skip
    """Run one execution of WORKFLOW on the embedded engine until it ends.

    Progress goes to stderr; the result, as JSON, to stdout. Exits 1 unless the
    execution succeeds.
    """
    value = _json(input_, "--input")
    engine = _engine(db, _services(specs))
    _usage_errors(lambda: engine.workflow(workflow))
    before = _named(engine, name)
    with _engine_errors():
        execution = engine.start(workflow, value, name)
    progress = _progress(engine, {execution}, db)
    if before is not None and before.id == execution:
        _say_found(before)
    else:
        progress.started(engine.execution(execution))

    def done() -> bool:  # the execution ended, and what it caused (deliveries) is done
        return engine.finished(execution) and engine.idle()

    with _stoppable() as stop, _handlers_running():
        engine.run(until=done, stop=stop, observer=progress.show)
    view = engine.execution(execution)
    if view.status.value == "IN_PROGRESS":
        progress.ended(view)
        _fail(f"interrupted; {execution} goes on with `eventualc worker`", 130)
    _report_waiting(engine)
    progress.ended(view)
    if view.status.value != "SUCCEEDED":
        sys.exit(1)
    click.echo(json.dumps(view.result, default=str))


def _named(engine: Engine, name: str | None) -> ExecutionView | None:
    """The execution already named ``name``, if there is one."""
    from eventual.engine import EngineError

    if name is None:
        return None
    try:
        return engine.execution(name)
    except EngineError:
        return None


def _say_found(view: ExecutionView) -> None:
    name = printable(view.name)
    if view.status.value == "IN_PROGRESS":
        _say(f"{name} is already running ({view.id}): following it")
        return
    ended = view.ended.isoformat(timespec="seconds") if view.ended else "?"
    _say(f"{name} already ran ({view.id}, {view.status.value} at {ended}): nothing new runs; "
         "its outcome again below (a new --name runs anew)")  # fmt: skip


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("event")
@click.option("--payload", metavar="JSON", help="The event's payload, as JSON.")
@_where_options
def publish(specs: tuple[str, ...], event: str, payload: str | None, where: Where) -> None:
    """Publish EVENT on the embedded engine and process until idle; prints the event id.

    With --aws: put it on the deployed service's bus."""
    value = _json(payload, "--payload")
    if where.aws:
        client = where.open(_services(specs))
        _usage_errors(lambda: client.event(event))
        with _engine_errors():
            click.echo(client.publish(event, value))
        _say(f"published {event} on the deployed service's bus")
        return
    engine = _engine(where.db, _services(specs))
    _usage_errors(lambda: engine.event(event))
    dead_before = len(engine.dead_letters())
    executions_before = len(engine.executions())
    logged = engine.events()
    seen = logged[-1][0] if logged else 0
    with _engine_errors():
        event_id = engine.publish(event, value)
    progress = _progress(engine, None, where.db)
    with _stoppable() as stop, _handlers_running():
        engine.run(until=engine.idle, stop=stop, observer=progress.show)
    click.echo(event_id)
    names = [f"{source}.{name}" for _, source, name in engine.events(seen)]
    started = len(engine.executions()) - executions_before
    _say(f"{plural(len(names), 'event')} published: {', '.join(names)}; "
         f"{plural(started, 'execution')} started")  # fmt: skip
    dead = len(engine.dead_letters()) - dead_before
    if dead > 0:
        _say(f"{plural(dead, 'delivery', 'deliveries')} failed every attempt: "
             "see `eventualc dlq list`")  # fmt: skip
    _report_waiting(engine)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Handlers run at once.")  # fmt: skip
@_db_option
def worker(specs: tuple[str, ...], threads: int, db: str | None) -> None:
    """Process the embedded store until stopped (SIGINT/SIGTERM finish in-flight work)."""
    engine = _engine(db, _services(specs))
    engine.threads = threads
    click.echo(f"eventualc: worker on {engine.store.path} (Ctrl-C stops)", err=True)
    progress = _progress(engine, None, db)
    with _stoppable() as stop, _handlers_running():
        engine.run(stop=stop, observer=progress.show)
    click.echo("eventualc: worker stopped", err=True)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("workflow")
@click.option("--input", "input_", metavar="JSON", help="The execution's input, as JSON.")
@click.option("--name", help="The execution's name; a name used before starts nothing new.")
@_where_options
def start(specs: tuple[str, ...], workflow: str, input_: str | None, name: str | None,
          where: Where) -> None:  # fmt: skip
    """Queue an execution of WORKFLOW and print its id; a worker (or AWS) runs it."""
    value = _json(input_, "--input")
    engine = where.open(_services(specs))
    _usage_errors(lambda: engine.workflow(workflow))
    with _engine_errors():
        execution = engine.start(workflow, value, name)
    click.echo(execution)
    runner = "its Lambda functions run it" if where.aws else "`eventualc worker` runs it"
    _say(f"queued {execution} ({workflow}); {runner}")


# -- commands on the store ------------------------------------------------------------------


@click.command()
@click.argument("execution")
@click.argument("signal")
@click.option("--payload", metavar="JSON", help="The signal's payload, as JSON.")
@_where_options
def signal(execution: str, signal: str, payload: str | None, where: Where) -> None:
    """Send SIGNAL to an execution (its id or name)."""
    value = _json(payload, "--payload")
    engine = where.open(() if where.aws else _stored_services(where.db))
    with _engine_errors():
        engine.signal(execution, signal, value)
    _say(f"sent signal {signal} to {printable(execution)}")


@click.command()
@click.argument("execution")
@_where_options
def cancel(execution: str, where: Where) -> None:
    """Cancel an execution (its id or name); its compensations run."""
    engine = where.open()
    with _engine_errors():
        engine.cancel(execution)
    _say(f"cancelling {printable(execution)}: its compensations run, then it ends CANCELLED")


def _stored_services(db: str | None) -> list[Service]:
    """The services recorded in the store, when their packages import from here (for
    validating signal payloads); none otherwise (the worker validates then)."""
    import importlib

    from eventualc.cli import _project

    engine = _engine(db)
    rows = engine.store.db.execute("SELECT package FROM services").fetchall()
    engine.close()
    root = str(_project().root)
    if root not in sys.path:
        sys.path.insert(0, root)
    found = []
    for (package,) in rows:
        try:
            found.append(importlib.import_module(package).service)
        except Exception:  # a package that does not import here is simply not used
            continue
    return found


@click.group()
def executions() -> None:
    """List and inspect executions."""


@executions.command("list")
@click.option("--workflow", help="Only executions of this workflow.")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@_where_options
def list_executions(workflow: str | None, status: str | None, as_json: bool, where: Where) -> None:
    """A table of executions: id, name, workflow, status, started (newest first)."""
    with _engine_errors():
        views = where.open().executions(workflow, status)
    if as_json:
        click.echo(json.dumps([v.as_json() for v in views], indent=2, default=str))
        return
    rows = [[v.id, v.name, v.workflow, v.status.value, v.started.isoformat(timespec="seconds")]
            for v in views]  # fmt: skip
    click.echo(table(["ID", "NAME", "WORKFLOW", "STATUS", "STARTED"], rows))


@executions.command("show")
@click.argument("execution")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@_where_options
def show_execution(execution: str, as_json: bool, where: Where) -> None:
    """Status of an execution, with its result or error."""
    with _engine_errors():
        view = where.open().execution(execution)
    data = view.as_json()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key in ("id", "name", "workflow", "status", "started", "ended", "parent"):
        if data[key] is not None:
            click.echo(f"{key + ':':<10}{printable(str(data[key]))}")
    if view.error:
        click.echo(printable(f"{'error:':<10}{view.error['error']}: {view.error['message']}"))
    elif view.status.value == "SUCCEEDED":
        click.echo(printable(f"{'result:':<10}{json.dumps(view.result, default=str)}"))


@executions.command("history")
@click.argument("execution")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@_where_options
def execution_history(execution: str, as_json: bool, where: Where) -> None:
    """The history events of an execution, in order."""
    with _engine_errors():
        entries = where.open().history(execution)
    if as_json:
        click.echo(json.dumps(entries, indent=2, default=str))
        return
    click.echo(describe_history(entries))


@click.group()
def dlq() -> None:
    """Dead letters: deliveries that failed every attempt."""


@dlq.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@_where_options
def list_dead_letters(as_json: bool, where: Where) -> None:
    """Dead letters with their subscription, event and error."""
    with _engine_errors():
        letters: Sequence[Any] = where.open().dead_letters()
    if as_json:
        click.echo(json.dumps([d.as_json() for d in letters], indent=2, default=str))
        return
    rows = [[str(d.id), d.subscription, d.event, f"{d.error['error']}: {d.error['message']}",
             str(d.attempts), d.failed.isoformat(timespec="seconds")] for d in letters]  # fmt: skip
    click.echo(table(["ID", "SUBSCRIPTION", "EVENT", "ERROR", "ATTEMPTS", "FAILED"], rows))


@dlq.command("redrive")
@click.argument("ids", nargs=-1)
@_where_options
def redrive(ids: tuple[str, ...], where: Where) -> None:
    """Queue dead letters (all, or those IDS) for delivery again; a worker delivers them
    (with --aws: back to their subscription's queue, IDS being SQS message ids)."""
    with _engine_errors():
        target: Any = where.open(() if where.aws else _stored_services(where.db))
        count = target.redrive(ids if where.aws else _numbers(ids))
    then = (
        "their subscriptions' queues deliver them"
        if where.aws
        else "`eventualc worker` delivers them"
    )
    _say(f"{plural(count, 'dead letter')} queued again; {then}")


def _numbers(ids: Sequence[str]) -> list[int]:
    """Dead letter ids of the embedded store: numbers."""
    bad = [i for i in ids if not i.isdigit()]
    if bad:
        raise click.UsageError(f"dead letter ids are numbers: {', '.join(bad)}")
    return [int(i) for i in ids]


COMMANDS = [run, publish, worker, start, signal, cancel, executions, dlq]
