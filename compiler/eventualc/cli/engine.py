"""The engine commands of the command line: run, publish, worker, start, signal, query,
cancel, executions, dlq — all on the embedded SQLite engine (``eventual.engine``).

Commands that run handlers (``run``, ``publish``, ``worker``, ``start``) take spec paths
like ``check`` and ``build``: the generated package is brought up to date first (as
``eventualc build`` would; a hand-edited generated file stops them) and imported from
the project root. The others work on the store alone. Progress goes to stderr, results
to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from eventualc.cli.console import (
    engine_errors,
    fail,
    handlers_running,
    parse_json,
    say,
    stoppable,
    usage_errors,
)
from eventualc.cli.engine_view import Place, Progress, describe_history, printable, table
from eventualc.cli.factory import (
    Where,
    built_services,
    db_option,
    open_engine,
    stored_services,
    where_options,
)
from eventualc.diagnostics import plural

if TYPE_CHECKING:
    from eventual.engine import Engine, ExecutionView

STATUSES = ["IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"]


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
        say(f"{waits} (timers, signals): run `eventualc worker`")


# -- commands that run handlers -------------------------------------------------------------


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("workflow")
@click.option("--input", "input_", metavar="JSON", help="The execution's input, as JSON.")
@click.option("--name", help="The execution's name; a name used before runs nothing new.")
@db_option
def run(specs: tuple[str, ...], workflow: str, input_: str | None, name: str | None,
        db: str | None) -> None:  # fmt: skip
    """Run one execution of WORKFLOW on the embedded engine until it ends.

    Progress goes to stderr; the result, as JSON, to stdout. Exits 1 unless the
    execution succeeds.
    """
    value = parse_json(input_, "--input")
    engine = open_engine(db, built_services(specs))
    usage_errors(lambda: engine.workflow(workflow))
    before = _named(engine, name)
    with engine_errors():
        execution = engine.start(workflow, value, name)
    progress = _progress(engine, {execution}, db)
    if before is not None and before.id == execution:
        _say_found(before)
    else:
        progress.started(engine.execution(execution))

    def done() -> bool:  # the execution ended, and what it caused (deliveries) is done
        return engine.finished(execution) and engine.idle()

    with stoppable() as stop, handlers_running():
        engine.run(until=done, stop=stop, observer=progress.show)
    view = engine.execution(execution)
    if view.status.value == "IN_PROGRESS":
        progress.ended(view)
        fail(f"interrupted; {execution} goes on with `eventualc worker`", 130)
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
        say(f"{name} is already running ({view.id}): following it")
        return
    ended = view.ended.isoformat(timespec="seconds") if view.ended else "?"
    say(f"{name} already ran ({view.id}, {view.status.value} at {ended}): nothing new runs; "
        "its outcome again below (a new --name runs anew)")  # fmt: skip


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("event")
@click.option("--payload", metavar="JSON", help="The event's payload, as JSON.")
@where_options
def publish(specs: tuple[str, ...], event: str, payload: str | None, where: Where) -> None:
    """Publish EVENT on the embedded engine and process until idle; prints the event id.

    With --aws: put it on the deployed service's bus."""
    value = parse_json(payload, "--payload")
    if where.aws:
        client = where.open(built_services(specs))
        usage_errors(lambda: client.event(event))
        with engine_errors():
            click.echo(client.publish(event, value))
        say(f"published {event} on the deployed service's bus")
        return
    engine = open_engine(where.db, built_services(specs))
    usage_errors(lambda: engine.event(event))
    dead_before = len(engine.dead_letters())
    executions_before = len(engine.executions())
    logged = engine.events()
    seen = logged[-1][0] if logged else 0
    with engine_errors():
        event_id = engine.publish(event, value)
    progress = _progress(engine, None, where.db)
    with stoppable() as stop, handlers_running():
        engine.run(until=engine.idle, stop=stop, observer=progress.show)
    click.echo(event_id)
    names = [f"{source}.{name}" for _, source, name in engine.events(seen)]
    started = len(engine.executions()) - executions_before
    say(f"{plural(len(names), 'event')} published: {', '.join(names)}; "
        f"{plural(started, 'execution')} started")  # fmt: skip
    dead = len(engine.dead_letters()) - dead_before
    if dead > 0:
        say(f"{plural(dead, 'delivery', 'deliveries')} failed every attempt: "
            "see `eventualc dlq list`")  # fmt: skip
    _report_waiting(engine)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Handlers run at once.")  # fmt: skip
@db_option
def worker(specs: tuple[str, ...], threads: int, db: str | None) -> None:
    """Process the embedded store until stopped (SIGINT/SIGTERM finish in-flight work)."""
    engine = open_engine(db, built_services(specs))
    engine.threads = threads
    click.echo(f"eventualc: worker on {engine.store.path} (Ctrl-C stops)", err=True)
    progress = _progress(engine, None, db)
    with stoppable() as stop, handlers_running():
        engine.run(stop=stop, observer=progress.show)
    click.echo("eventualc: worker stopped", err=True)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("workflow")
@click.option("--input", "input_", metavar="JSON", help="The execution's input, as JSON.")
@click.option("--name", help="The execution's name; a name used before starts nothing new.")
@where_options
def start(specs: tuple[str, ...], workflow: str, input_: str | None, name: str | None,
          where: Where) -> None:  # fmt: skip
    """Queue an execution of WORKFLOW and print its id; a worker (or AWS) runs it."""
    value = parse_json(input_, "--input")
    engine = where.open(built_services(specs))
    usage_errors(lambda: engine.workflow(workflow))
    with engine_errors():
        execution = engine.start(workflow, value, name)
    click.echo(execution)
    runner = "its Lambda functions run it" if where.aws else "`eventualc worker` runs it"
    say(f"queued {execution} ({workflow}); {runner}")


# -- commands on the store ------------------------------------------------------------------


@click.command()
@click.argument("execution")
@click.argument("signal")
@click.option("--payload", metavar="JSON", help="The signal's payload, as JSON.")
@where_options
def signal(execution: str, signal: str, payload: str | None, where: Where) -> None:
    """Send SIGNAL to an execution (its id or name)."""
    value = parse_json(payload, "--payload")
    engine = where.open(() if where.aws else stored_services(where.db))
    with engine_errors():
        engine.signal(execution, signal, value)
    say(f"sent signal {signal} to {printable(execution)}")


@click.command()
@click.argument("execution")
@click.argument("name")
@where_options
def query(execution: str, name: str, where: Where) -> None:
    """Evaluate the workflow's declared query NAME on an execution (its id or name), a
    running or an ended one; its value as JSON on stdout."""
    from eventual.engine import EngineError
    from eventual.queries import UnknownQuery

    engine = where.open()
    with engine_errors():
        try:
            value = engine.query(execution, name)
        except EngineError as exc:
            if isinstance(exc.__cause__, UnknownQuery):  # a name the user typed
                raise click.UsageError(str(exc)) from exc
            raise
    click.echo(json.dumps(value, indent=2, default=str))


@click.command()
@click.argument("execution")
@where_options
def cancel(execution: str, where: Where) -> None:
    """Cancel an execution (its id or name); its compensations run."""
    engine = where.open()
    with engine_errors():
        engine.cancel(execution)
    say(f"cancelling {printable(execution)}: its compensations run, then it ends CANCELLED")


@click.group()
def executions() -> None:
    """List and inspect executions."""


@executions.command("list")
@click.option("--workflow", help="Only executions of this workflow.")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@where_options
def list_executions(workflow: str | None, status: str | None, as_json: bool, where: Where) -> None:
    """A table of executions: id, name, workflow, status, started (newest first)."""
    with engine_errors():
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
@where_options
def show_execution(execution: str, as_json: bool, where: Where) -> None:
    """Status of an execution, with its result or error."""
    with engine_errors():
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
@where_options
def execution_history(execution: str, as_json: bool, where: Where) -> None:
    """The history events of an execution, in order."""
    with engine_errors():
        entries = where.open().history(execution)
    if as_json:
        click.echo(json.dumps(entries, indent=2, default=str))
        return
    click.echo(describe_history(entries))


@executions.command("redrive")
@click.argument("execution")
@click.argument("specs", nargs=-1, type=click.Path())
@db_option
def redrive_execution(execution: str, specs: tuple[str, ...], db: str | None) -> None:
    """Restart an ended EXECUTION from its failed step: a new execution that reuses the
    outputs of the task and child steps that succeeded. Prints the new id."""
    engine = open_engine(db, built_services(specs))
    with engine_errors():
        restarted = engine.restart(execution)
    say(f"restarted {execution} as {restarted}: run `eventualc worker` to carry it on")
    click.echo(restarted)


@click.group()
def dlq() -> None:
    """Dead letters: deliveries that failed every attempt."""


@dlq.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@where_options
def list_dead_letters(as_json: bool, where: Where) -> None:
    """Dead letters with their subscription, event and error."""
    with engine_errors():
        letters: Sequence[Any] = where.open().dead_letters()
    if as_json:
        click.echo(json.dumps([d.as_json() for d in letters], indent=2, default=str))
        return
    rows = [[str(d.id), d.subscription, d.event, f"{d.error['error']}: {d.error['message']}",
             str(d.attempts), d.failed.isoformat(timespec="seconds")] for d in letters]  # fmt: skip
    click.echo(table(["ID", "SUBSCRIPTION", "EVENT", "ERROR", "ATTEMPTS", "FAILED"], rows))


@dlq.command("redrive")
@click.argument("ids", nargs=-1)
@where_options
def redrive(ids: tuple[str, ...], where: Where) -> None:
    """Queue dead letters (all, or those IDS) for delivery again; a worker delivers them
    (with --aws: back to their subscription's queue, IDS being SQS message ids)."""
    with engine_errors():
        target: Any = where.open(() if where.aws else stored_services(where.db))
        count = target.redrive(ids if where.aws else _numbers(ids))
    then = (
        "their subscriptions' queues deliver them"
        if where.aws
        else "`eventualc worker` delivers them"
    )
    say(f"{plural(count, 'dead letter')} queued again; {then}")


def _numbers(ids: Sequence[str]) -> list[int]:
    """Dead letter ids of the embedded store: numbers."""
    bad = [i for i in ids if not i.isdigit()]
    if bad:
        raise click.UsageError(f"dead letter ids are numbers: {', '.join(bad)}")
    return [int(i) for i in ids]


COMMANDS = [run, publish, worker, start, signal, query, cancel, executions, dlq]
