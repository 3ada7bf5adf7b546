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
from eventualc.diagnostics import plural, render_json, render_text
from eventualc.project import Project, find_project
from eventualc.source import display_path

if TYPE_CHECKING:
    from eventualc.pipeline import FrontEnd
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
@click.option("--against", type=click.Path(), help="Warn about changes that break executions "
              "running on this previous definition.json, generated folder or specs.")  # fmt: skip
def check(specs: tuple[str, ...], fmt: str, strict: bool, against: str | None) -> None:
    """Load, validate and type-check specs (default: specs/). Writes nothing."""
    from eventualc.compat import checked_against
    from eventualc.pipeline import load

    project = _project()
    result = load(_spec_paths(specs, project), project.root)
    if against is not None:
        result = checked_against(result, Path(against))
    if fmt == "json":
        click.echo(render_json(result.diagnostics))
    else:
        _show_diagnostics(result, err=False)
    failed = not result.ok or (strict and bool(result.diagnostics))
    sys.exit(1 if failed else 0)


def _show_diagnostics(result: FrontEnd, err: bool) -> None:
    """The diagnostics as text, then a count on stderr; ``err`` keeps stdout for output."""
    click.echo(render_text(result.diagnostics, result.sources), nl=False, err=err)
    errors = sum(d.is_error for d in result.diagnostics)
    warnings = len(result.diagnostics) - errors
    if result.diagnostics:
        sys.stdout.flush()
        click.echo(_summary(errors, warnings), err=True)


def _summary(errors: int, warnings: int) -> str:
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
        f"eventualc: {plural(written, 'file')} written, {plural(stubs, 'handler stub')} "
        f"created, {deleted} deleted",
        err=True,
    )
    return 0


@cli.command()
def schema() -> None:
    """Print the JSON Schema of spec files."""
    from eventualc.shape import schema_text

    click.echo(schema_text(), nl=False)


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              help="Mermaid flowchart or Graphviz DOT.")  # fmt: skip
@click.option("--service", help="Only this service and what it touches directly.")
@click.option("--workflow", help="Only this workflow's flowchart (NAME or SERVICE.NAME).")
def graph(specs: tuple[str, ...], fmt: str, service: str | None, workflow: str | None) -> None:
    """Print the event graph, with each workflow's flowchart inside it."""
    from eventualc.diagram import choose_graph
    from eventualc.emit.diagrams import to_dot, to_mermaid
    from eventualc.pipeline import load

    project = _project()
    result = load(_spec_paths(specs, project), project.root)
    _show_diagnostics(result, err=True)
    if not result.ok or result.build is None:
        sys.exit(1)
    try:
        chosen = choose_graph(result.build, service, workflow)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    click.echo(to_dot(chosen) if fmt == "dot" else to_mermaid(chosen), nl=False)


@cli.command()
@click.argument("name")
def init(name: str) -> None:
    """Create project NAME: a spec, a test and settings; build and pytest pass in it."""
    from eventualc.scaffold import create_project

    try:
        files = create_project(Path(name))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        click.echo(f"eventualc: cannot create {name}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"eventualc: created {name}/ with {len(files)} files; next: "
               f"cd {name} && eventualc build && python -m pytest", err=True)  # fmt: skip


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--out", "cdk_out", type=click.Path(file_okay=False),
              help="Cloud assembly folder (default: cdk.out in the project).")  # fmt: skip
def synth(specs: tuple[str, ...], cdk_out: str | None) -> None:
    """Synthesize the CloudFormation templates of the generated CDK apps."""
    from eventualc.synth import synth as run_synth

    project = _project()
    assembly = Path(cdk_out) if cdk_out else project.root / "cdk.out"
    result = run_synth(_spec_paths(specs, project), project.root, project.out, assembly)
    front_end = result.build.front_end
    if front_end is not None and not front_end.ok:
        click.echo(render_text(front_end.diagnostics, front_end.sources), nl=False)
        sys.exit(1)
    if result.stale:
        out = display_path(project.out)
        click.echo(f"eventualc: {out} is not current; run `eventualc build` first:", err=True)
        click.echo("".join(f"  {out}/{path}\n" for path in result.stale), nl=False, err=True)
        sys.exit(1)
    if result.error:
        click.echo(f"eventualc: synthesis failed: {result.error}", err=True)
        sys.exit(1)
    for template in result.templates:
        click.echo(display_path(template))
    sys.exit(0)


def _add_engine_commands() -> None:
    from eventualc.store_cli import COMMANDS

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
