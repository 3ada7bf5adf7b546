"""The ``eventualc`` command line. The only module that prints.

Exit codes: 0 ok; 1 spec errors (or warnings with ``--strict``), drift or a failed
execution; 2 usage errors. A user mistake never shows a traceback; an internal error
says that it is one and where to report it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from eventualc import __version__
from eventualc.diagnostics import render_json, render_text
from eventualc.project import Project, find_project
from eventualc.source import display_path

if TYPE_CHECKING:
    from eventualc.write import Plan


class UsageError(click.UsageError):
    """A usage mistake: exit 2 with a one-line message."""


def _project() -> Project:
    try:
        return find_project()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _spec_paths(given: Sequence[str], project: Project) -> list[Path]:
    paths = [Path(p) for p in given] or list(project.specs)
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such spec file or directory: {path}")
    return paths


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eventualc")
def cli() -> None:
    """Check, build and run event-driven services described in YAML."""


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="Diagnostics as text or as a JSON list.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check(specs: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Load, validate and type-check specs (default: specs/). Writes nothing."""
    from eventualc.pipeline import load

    project = _project()
    result = load(_spec_paths(specs, project), project.root)
    if fmt == "json":
        click.echo(render_json(result.diagnostics))
    else:
        click.echo(render_text(result.diagnostics, result.sources), nl=False, err=False)
        errors = sum(d.is_error for d in result.diagnostics)
        warnings = len(result.diagnostics) - errors
        if result.diagnostics:
            sys.stdout.flush()
            click.echo(_summary(errors, warnings), err=True)
    failed = not result.ok or (strict and bool(result.diagnostics))
    sys.exit(1 if failed else 0)


def _summary(errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default: generated).")
@click.option(
    "--check", "check_only", is_flag=True, help="Write nothing; exit 1 if files would change."
)
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
def build(specs: tuple[str, ...], out: str | None, check_only: bool, force: bool) -> None:
    """Generate models, handler stubs and the service package (default: into generated/)."""
    from eventualc.build import build as run_build

    project = _project()
    target = Path(out) if out else project.out
    result = run_build(_spec_paths(specs, project), project.root, target, check_only, force)
    if result.up_to_date:
        click.echo("eventualc: generated code is up to date", err=True)
        sys.exit(0)
    front_end = result.front_end
    assert front_end is not None
    shown = [*front_end.diagnostics, *result.warnings]
    click.echo(render_text(shown, front_end.sources), nl=False)
    if not front_end.ok:
        sys.exit(1)
    sys.exit(_report_plan(result.plan, target, check_only, force))


def _report_plan(plan: Plan, target: Path, check_only: bool, force: bool) -> int:
    shown = display_path(target)
    if plan.conflicts and not force:
        for path in plan.conflicts:
            click.echo(f"{shown}/{path}: edited by hand; not overwritten (use --force)", err=True)
        return 1
    if check_only:
        for path in plan.changes:
            verb = "delete" if path in plan.delete else "create" if path in plan.stubs else "update"
            click.echo(f"would {verb} {shown}/{path}")
        return 1 if plan.changes else 0
    written, stubs, deleted = len(plan.write), len(plan.stubs), len(plan.delete)
    click.echo(
        f"eventualc: {written} files written, {stubs} handler stubs created, {deleted} deleted",
        err=True,
    )
    return 0


@cli.command()
def schema() -> None:
    """Print the JSON Schema of spec files."""
    from eventualc.shape import schema_text

    click.echo(schema_text(), nl=False)


def _add_engine_commands() -> None:
    from eventualc.engine_cli import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_add_engine_commands()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    try:
        cli.main(args=argv, prog_name="eventualc", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # an internal bug: say so, and keep the details for the report
        detail = traceback.format_exc()
        click.echo(
            "eventualc: internal error (a bug in eventualc, not in your spec); "
            "please report it with the details below.\n" + detail,
            err=True,
        )
        sys.exit(70)
    sys.exit(0)
