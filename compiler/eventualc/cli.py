"""The ``eventualc`` command line. The only module that prints.

Exit codes: 0 ok; 1 spec errors (or warnings with ``--strict``), drift or a failed
execution; 2 usage errors. A user mistake never shows a traceback; an internal error
says that it is one and where to report it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

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
@click.version_option(package_name="eventualc", prog_name="eventualc")  # the installed version
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
    written = plural(len(plan.write), "file")
    stubs = plural(len(plan.stubs), "handler stub")
    click.echo(f"eventualc: {written} written, {stubs} created, {len(plan.delete)} deleted",
               err=True)  # fmt: skip
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
@click.option("--no-git", is_flag=True, help="Do not make the folder a git repository.")
def init(name: str, no_git: bool) -> None:
    """Create project NAME: a spec, a test and settings; build and pytest pass in it.

    The project depends on this eventualc as it was installed (a path, a wheel, a git
    URL or a version from an index), and is a git repository unless --no-git."""
    from eventualc.scaffold import create_project, init_git, installed_requirement

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


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--out", "cdk_out", type=click.Path(file_okay=False),
              help="Cloud assembly folder (default: cdk.out in the project).")  # fmt: skip
@click.option("--stage", help="Name every stack <stack>-<stage> (one deployment per stage).")
def synth(specs: tuple[str, ...], cdk_out: str | None, stage: str | None) -> None:
    """Synthesize the CloudFormation templates of the generated CDK apps."""
    project = _project()
    assembly = Path(cdk_out) if cdk_out else project.root / "cdk.out"
    for template in _synthesize(specs, project, assembly, stage):
        click.echo(display_path(template))
    sys.exit(0)


def _synthesize(
    specs: Sequence[str], project: Project, assembly: Path, stage: str | None
) -> list[Path]:
    """Synthesizes into ``assembly`` with progress on stderr; exits 1 when it cannot."""
    import time

    from eventualc.deploy import check_stage
    from eventualc.synth import synth as run_synth

    try:
        check_stage(stage)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    began = time.monotonic()
    paths = _spec_paths(specs, project)
    result = run_synth(paths, project.root, project.out, assembly, stage,
                       progress=lambda line: click.echo(line, err=True))  # fmt: skip
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
    count = plural(len(result.templates), "stack")
    took = time.monotonic() - began
    click.echo(f"eventualc: synthesized {count} into {display_path(assembly)} in {took:.1f} s",
               err=True)  # fmt: skip
    return result.templates


def _cdk_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("specs", nargs=-1, type=click.Path()),
        click.option("--service", "services", multiple=True,
                     help="Only this service's stack (repeatable; default: every service)."),
        click.option("--stage", help="The stage: stacks named <stack>-<stage>."),
        click.option("--yes", is_flag=True, help="Ask nothing (deploy: --require-approval "
                     "never; destroy: --force)."),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@cli.command()
@_cdk_options
def deploy(specs: tuple[str, ...], services: tuple[str, ...], stage: str | None,
           yes: bool) -> None:  # fmt: skip
    """Synthesize, then `cdk deploy` the generated stacks (the CDK CLI's output, live)."""
    _run_cdk("deploy", specs, services, stage, yes)


@cli.command()
@_cdk_options
def destroy(specs: tuple[str, ...], services: tuple[str, ...], stage: str | None,
            yes: bool) -> None:  # fmt: skip
    """Synthesize, then `cdk destroy` the generated stacks (the CDK CLI asks first)."""
    _run_cdk("destroy", specs, services, stage, yes)


def _run_cdk(action: str, specs: Sequence[str], services: Sequence[str], stage: str | None,
             yes: bool) -> NoReturn:  # fmt: skip
    import time

    from eventualc import deploy
    from eventualc.write import Manifest

    project = _project()
    cdk = deploy.find_cdk(project.root)
    if cdk is None:
        _fail(deploy.MISSING_CDK)
    problem = deploy.credentials_problem()
    if problem:
        _fail(problem)
    built = Manifest.read(project.out).services()
    unknown = [s for s in services if built and s not in built]
    if unknown:
        raise UsageError(f"no service {unknown[0]!r} in the build (services: {', '.join(built)})")
    assembly = project.root / "cdk.out"
    _synthesize(specs, project, assembly, stage)
    names = deploy.stacks(services or Manifest.read(project.out).services(), stage)
    command = deploy.cdk_command(cdk, action, assembly, names, yes)
    click.echo(f"eventualc: cdk {action} {' '.join(names)}", err=True)
    began = time.monotonic()
    code = deploy.run_cdk(command, project.root)
    took = time.monotonic() - began
    if code != 0:
        _fail(f"cdk {action} failed (exit {code}) after {took:.0f} s")
    done = "deployed" if action == "deploy" else "destroyed"
    click.echo(f"eventualc: {done} {plural(len(names), 'stack')} in {took:.0f} s", err=True)
    sys.exit(0)


def _fail(message: str) -> NoReturn:
    click.echo(f"eventualc: {message}", err=True)
    sys.exit(1)


def _add_engine_commands() -> None:
    from eventualc.dev import dev
    from eventualc.invoke_cli import invoke
    from eventualc.store_cli import COMMANDS  # the engine's commands, and `store`
    from eventualc.ui.command import ui

    for command in [*COMMANDS, invoke, dev, ui]:
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
