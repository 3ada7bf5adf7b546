"""The commands on specs and generated code: ``check``, ``build``, ``schema``, ``graph``
and ``init``.

Diagnostics go to stdout (``graph``: stderr, its output being the graph), counts and
summaries to stderr. Exit 1 on spec errors (or warnings with ``--strict``) or drift.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from eventualc.cli.console import UsageError
from eventualc.cli.factory import current_project, spec_paths
from eventualc.diagnostics import plural, render_json, render_text
from eventualc.frontend.source import display_path

if TYPE_CHECKING:
    from eventualc.emit.write import Plan
    from eventualc.pipeline import FrontEnd


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="Diagnostics as text or as a JSON list.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--against", type=click.Path(), help="Warn about changes that break executions "
              "running on this previous definition.json, generated folder or specs.")  # fmt: skip
def check(specs: tuple[str, ...], fmt: str, strict: bool, against: str | None) -> None:
    """Load, validate and type-check specs (default: specs/). Writes nothing."""
    from eventualc.deploy.compat import checked_against
    from eventualc.pipeline import load

    project = current_project()
    result = load(spec_paths(specs, project), project.root)
    if against is not None:
        result = checked_against(result, Path(against))
    if fmt == "json":
        click.echo(render_json(result.diagnostics))
    else:
        click.echo(render_text(result.diagnostics, result.sources), nl=False)
    sys.stdout.flush()
    click.echo(f"eventualc: {_scope(result)}: {_summary(result) or 'no problems'}", err=True)
    failed = not result.ok or (strict and bool(result.diagnostics))
    sys.exit(1 if failed else 0)


def _scope(result: FrontEnd) -> str:
    """What was checked: ``2 files, 1 service``."""
    services = len(result.build.services) if result.build is not None else 0
    return f"{plural(len(result.sources), 'file')}, {plural(services, 'service')}"


def _show_diagnostics(result: FrontEnd, err: bool) -> None:
    """The diagnostics as text, then a count on stderr; ``err`` keeps stdout for output."""
    click.echo(render_text(result.diagnostics, result.sources), nl=False, err=err)
    if result.diagnostics:
        sys.stdout.flush()
        click.echo(_summary(result), err=True)


def _summary(result: FrontEnd) -> str:
    """``1 error, 2 warnings``; empty without diagnostics."""
    if not result.diagnostics:
        return ""
    errors = sum(d.is_error for d in result.diagnostics)
    warnings = len(result.diagnostics) - errors
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default: generated).")
@click.option(
    "--check", "check_only", is_flag=True, help="Write nothing; exit 1 if files would change."
)
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
def build(specs: tuple[str, ...], out: str | None, check_only: bool, force: bool) -> None:
    """Generate models, handler stubs and the service package (default: into generated/)."""
    from eventualc.build import build as run_build

    project = current_project()
    target = Path(out) if out else project.out
    result = run_build(spec_paths(specs, project), project.root, target, check_only, force)
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
    written = plural(len(plan.write), "file")
    stubs = plural(len(plan.stubs), "handler stub")
    click.echo(f"eventualc: {written} written, {stubs} created, {len(plan.delete)} deleted",
               err=True)  # fmt: skip
    return 0


@click.command()
def schema() -> None:
    """Print the JSON Schema of spec files."""
    from eventualc.frontend.shape import schema_text

    click.echo(schema_text(), nl=False)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              help="Mermaid flowchart or Graphviz DOT.")  # fmt: skip
@click.option("--service", help="Only this service and what it touches directly.")
@click.option("--workflow", help="Only this workflow's flowchart (NAME or SERVICE.NAME).")
def graph(specs: tuple[str, ...], fmt: str, service: str | None, workflow: str | None) -> None:
    """Print the event graph, with each workflow's flowchart inside it."""
    from eventualc.emit.diagrams import to_dot, to_mermaid
    from eventualc.graphs.select import choose_graph
    from eventualc.pipeline import load

    project = current_project()
    result = load(spec_paths(specs, project), project.root)
    _show_diagnostics(result, err=True)
    if not result.ok or result.build is None:
        sys.exit(1)
    try:
        chosen = choose_graph(result.build, service, workflow)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    click.echo(to_dot(chosen) if fmt == "dot" else to_mermaid(chosen), nl=False)


@click.command()
@click.argument("name")
@click.option("--no-git", is_flag=True, help="Do not make the folder a git repository.")
def init(name: str, no_git: bool) -> None:
    """Create project NAME: a spec, a test and settings; build and pytest pass in it.

    The project depends on this eventualc as it was installed (a path, a wheel, a git
    URL or a version from an index), and is a git repository unless --no-git."""
    from eventualc.project.scaffold import create_project, init_git, installed_requirement

    requirement = installed_requirement()
    try:
        files = create_project(Path(name), requirement)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        click.echo(f"eventualc: cannot create {name}: {exc}", err=True)
        sys.exit(1)
    git = "" if no_git else init_git(Path(name))
    if git:
        click.echo(f"eventualc: warning: no git repository ({git}); pre-commit needs one",
                   err=True)  # fmt: skip
    where = "" if no_git or git else ", a git repository"
    click.echo(f"eventualc: created {name}/ with {len(files)} files{where}, depending on "
               f"{requirement}; next: cd {name} && eventualc build && python -m pytest",
               err=True)  # fmt: skip


COMMANDS = [check, build, schema, graph, init]
