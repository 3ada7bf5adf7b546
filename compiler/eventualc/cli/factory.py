"""What the commands work on, made in one place: the project, its services, the store,
the engine on it, or a deployed stack's client.

- ``current_project()``: the project around the current directory
  (``eventualc.project.settings``); bad settings are a usage error. ``spec_paths``
  are the given paths, else the project's.
- ``built_services(specs)``: the build brought up to date (as ``eventualc build``
  would; a hand-edited generated file stops it), its packages imported from the
  project. ``stored_services(db)``: the services a store records, when their packages
  import from here (none otherwise).
- ``store_path(db)``: ``--db``, else the one default, ``.eventual/local.db`` (the
  engine's ``DEFAULT_PATH``) under the project root, wherever the command runs.
- ``open_engine(db, services)``: the engine on that store; only commands that run
  handlers (they give ``services``) create a missing store.
- ``Where``/``where_options``: ``--db``, or ``--aws`` with ``--stack``/``--region``,
  opening the engine or an ``eventual.aws.Client`` (``aws_client``): the same requests
  and queries either way. The stack name and region come from the flags, else from
  ``$EVENTUAL_STACK`` and ``$AWS_REGION`` (then ``$AWS_DEFAULT_REGION``, then boto3's
  own configuration); ``$AWS_ENDPOINT_URL`` points it elsewhere (a moto or LocalStack
  server), as boto3 does. Given the services of the build, the client gets the stack's
  own (the one named like the stack, or the only one) so that names and payloads are
  checked before anything is sent; it raises ``eventual.aws.RequestError`` (an
  ``EngineError``) for what goes wrong later. A missing stack name is a usage error.
- ``guarded(command)``: a ``StoreError`` (a missing, damaged, locked or full store; see
  ``eventual.engine.store.describe``) reported as one line naming the file, SQLite's
  words and what to do, exit 1, instead of a traceback.
"""

from __future__ import annotations

import functools
import importlib
import os
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eventualc.cli.console import UsageError, fail
from eventualc.project.settings import Project, find_project

if TYPE_CHECKING:
    from eventual import Service
    from eventual.aws import Client
    from eventual.engine import Engine

DB_HELP = "The engine's SQLite file (default: .eventual/local.db under the project root)."
STACK_VARIABLE = "EVENTUAL_STACK"


def current_project() -> Project:
    try:
        return find_project()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def spec_paths(given: Sequence[str], project: Project) -> list[Path]:
    paths = [Path(p) for p in given] or list(project.specs)
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such spec file or directory: {path}")
    return paths


def built_services(specs: Sequence[str]) -> list[Service]:
    """The services of the build of ``specs``, built first if out of date, imported."""
    from eventualc.build import build
    from eventualc.diagnostics import render_text
    from eventualc.emit.write import Manifest

    here = current_project()
    result = build(spec_paths(specs, here), here.root, here.out, False, False)
    if result.front_end is not None:
        shown = [*result.front_end.diagnostics, *result.warnings]
        click.echo(render_text(shown, result.front_end.sources), nl=False, err=True)
        if not result.front_end.ok:
            sys.exit(1)
        if result.plan.conflicts:
            for path in result.plan.conflicts:
                click.echo(f"{here.out / path}: edited by hand (build with --force)", err=True)
            fail("the generated code is out of date and could not be rebuilt")
    out = here.out.resolve()
    names = Manifest.read(out).services()
    if not names:
        fail(f"no services in {out}: is the spec empty?")
    _importable(out.parent, always=True)
    return [importlib.import_module(f"{out.name}.{name}").service for name in names]


def stored_services(db: str | None) -> list[Service]:
    """The services recorded in the store, when their packages import from here (for
    validating signal payloads); none otherwise (the worker validates then)."""
    engine = open_engine(db)
    packages = engine.packages()
    engine.close()
    _importable(current_project().root)
    found = []
    for package in packages:
        try:
            found.append(importlib.import_module(package).service)
        except Exception:  # a package that does not import here is simply not used
            continue
    return found


def _importable(folder: Path, always: bool = False) -> None:
    """Packages in ``folder`` (generated code, handlers) import, ahead of any other of
    the same name (``always``: even when ``folder`` is on the path already)."""
    if always or str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    importlib.invalidate_caches()


def store_path(db: str | None) -> Path:
    """``--db``, or the project's default store."""
    from eventual.engine import DEFAULT_PATH

    return Path(db) if db else current_project().root / DEFAULT_PATH


def open_engine(db: str | None, services: Sequence[Service] = ()) -> Engine:
    """The engine on ``--db``. Only commands that run handlers (they give ``services``)
    create a missing store; the others say it does not exist and create nothing."""
    from eventual.engine import Engine, StoreError

    path = store_path(db)
    if not services and not path.exists():
        fail(f"no engine store at {path}: start something first (eventualc run/start/publish)")
    try:
        return Engine(path, services, create=bool(services))
    except StoreError as exc:
        fail(str(exc))


def db_option(function: Callable[..., Any]) -> Callable[..., Any]:
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
            return aws_client(self.stack, self.region, services)
        return open_engine(self.db, services)


def where_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--db``, or ``--aws`` with ``--stack``/``--region``, given to ``function`` as ``where``."""

    @functools.wraps(function)
    def with_where(*args: Any, db: str | None, aws: bool, stack: str | None,
                   region: str | None, **kwargs: Any) -> Any:  # fmt: skip
        return function(*args, where=Where(db, aws, stack, region), **kwargs)

    options = [
        db_option,
        click.option("--aws", is_flag=True, help="Act on the deployed service instead."),
        click.option("--stack", help="With --aws: the stack (default: $EVENTUAL_STACK)."),
        click.option("--region", help="With --aws: the AWS region (default: $AWS_REGION)."),
    ]
    for option in reversed(options):
        with_where = option(with_where)
    return with_where


def aws_client(
    stack: str | None, region: str | None, services: Sequence[Service] = (),
    environ: Mapping[str, str] | None = None,
) -> Client:  # fmt: skip
    from eventual.aws import Client

    variables = os.environ if environ is None else environ
    name = stack or variables.get(STACK_VARIABLE)
    if not name:
        raise click.UsageError(f"--aws needs a stack: give --stack or set ${STACK_VARIABLE}")
    chosen = region or variables.get("AWS_REGION") or variables.get("AWS_DEFAULT_REGION")
    return Client(name, chosen, service=_own_service(name, services))


def _own_service(stack: str, services: Sequence[Service]) -> Service | None:
    named = [service for service in services if service.name == stack]
    if named:
        return named[0]
    return services[0] if len(services) == 1 else None


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
            fail(str(exc))
        except sqlite3.Error as exc:  # from a call the store does not wrap: the same words
            where = kwargs.get("where")
            fail(describe(store_path(kwargs.get("db") or getattr(where, "db", None)), exc))

    return call
