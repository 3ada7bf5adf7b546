"""``eventualc invoke TASK --input JSON``: one task handler, run here and now.

Like a worker would run it (``eventual.invoke``: the same validation of the input
against the task's schema, the same call, the same output validation and error names)
but with no store, no retry and no execution: the output, as JSON, goes to stdout;
what the handler prints, the events it emits (validated, shown, not delivered) and a
one-line summary go to stderr. Exit 1 when the input is invalid or the handler fails.
"""

from __future__ import annotations

import difflib
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from eventualc.cli.console import fail, handlers_running, parse_json
from eventualc.cli.engine_view import short
from eventualc.cli.factory import built_services
from eventualc.diagnostics import plural

if TYPE_CHECKING:
    from eventual import Service


def find_task(services: Sequence[Service], name: str) -> tuple[Service, str]:
    """The service and task of ``name`` or ``service.name``; a usage error otherwise."""
    service_name, _, bare = name.rpartition(".")
    found = [s for s in services if (not service_name or s.name == service_name)
             and bare in s.tasks]  # fmt: skip
    if len(found) == 1:
        return found[0], bare
    if found:
        options = ", ".join(f"{s.name}.{bare}" for s in found)
        raise click.UsageError(f"task {name!r} is ambiguous: say one of {options}")
    known = sorted(f"{s.name}.{t}" for s in services for t in s.tasks)
    close = difflib.get_close_matches(bare, [k.split(".")[1] for k in known], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise click.UsageError(f"no task {name!r}; {hint}(known: {', '.join(known) or 'none'})")


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.argument("task")
@click.option("--input", "input_", metavar="JSON", help="The task's input, as JSON.")
def invoke(specs: tuple[str, ...], task: str, input_: str | None) -> None:
    """Run TASK's handler once, locally, with the engine's validation; output JSON on stdout.

    Events the handler emits are validated and shown, not delivered."""
    from eventual.context import TaskContext
    from eventual.errors import PayloadInvalid
    from eventual.invoke import Values, emitter, run_task

    value = parse_json(input_, "--input")
    service, name = find_task(built_services(specs), task)
    values = Values(service)
    spec = service.tasks[name]
    try:
        value = values.validate(spec.input, value)
    except PayloadInvalid as exc:
        fail(f"input of {name}: {exc}")
    emitted: list[tuple[str, Any]] = []
    run = f"invoke-{uuid.uuid4().hex[:12]}"
    ctx = TaskContext(
        execution_id=run, attempt=1, idempotency_key=f"{run}/{name}/1",
        now=datetime.now(UTC),
        emitter=emitter(spec.emits, lambda e, p: emitted.append((e, values.payload(e, p)))),
    )  # fmt: skip
    began = time.monotonic()
    with handlers_running():  # what the handler prints is not the result
        outcome = run_task(values, name, value, ctx)
    took = f"{(time.monotonic() - began) * 1000:.0f} ms"
    for event, payload in emitted:
        click.echo(f"  → emitted {event}: {short(payload)}", err=True)
    if outcome.error is not None:
        fail(f"{name} failed in {took}: {outcome.error['error']}: {outcome.error['message']}")
    click.echo(json.dumps(outcome.output))
    count = plural(len(emitted), "event")
    click.echo(f"eventualc: {service.name}.{name} succeeded in {took}; {count} emitted "
               "(not delivered)", err=True)  # fmt: skip
