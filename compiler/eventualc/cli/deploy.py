"""``eventualc synth``, ``deploy`` and ``destroy``: the generated CDK apps, through the CDK CLI.

``synth`` writes the cloud assembly (``eventualc.deploy.synth``) and lists its templates.
``deploy`` and ``destroy`` first synthesize (``eventualc.deploy.synth``: the build must
be current), then
run ``cdk deploy`` or ``cdk destroy`` on the cloud assembly just written
(``--app cdk.out``, so the CLI does not synthesize again) for the stacks of the chosen
services. This module finds what they need and says, as a sentence for the user,
what is missing: the CDK CLI (``cdk`` on PATH, else the project's
``node_modules/.bin/cdk``) and AWS credentials with a region (as boto3 and the CDK
CLI find them). ``run_cdk`` runs the CLI with the terminal as its own, so its output
(progress, questions, the outputs at the end) is live and unchanged text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from eventualc.cli.console import UsageError, fail
from eventualc.cli.factory import current_project, spec_paths
from eventualc.diagnostics import plural, render_text
from eventualc.frontend.source import display_path
from eventualc.project.settings import Project

_STAGE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MISSING_CDK = (
    "the AWS CDK CLI (`cdk`) is not installed: `npm install -g aws-cdk`, or "
    "`npm install aws-cdk` in the project (Node.js is needed)"
)


def find_cdk(root: Path) -> list[str] | None:
    """The command that runs the CDK CLI: ``cdk`` on PATH, else the project's own."""
    found = shutil.which("cdk")
    if found:
        return [found]
    local = root / "node_modules" / ".bin" / "cdk"
    return [str(local)] if local.is_file() else None


def credentials_problem() -> str | None:
    """Why the CDK CLI could not reach AWS from here, or ``None`` when it can try."""
    import boto3  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]

    try:
        session = boto3.Session()
        credentials = session.get_credentials()
    except BotoCoreError as exc:
        return f"cannot read the AWS configuration: {exc}"
    if credentials is None:
        return ("no AWS credentials: run `aws configure` (or `aws sso login`), or set "
                "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")  # fmt: skip
    if not (session.region_name or os.environ.get("AWS_REGION")):  # the CDK CLI reads both
        return "no AWS region: set AWS_REGION, or a region in your AWS profile"
    return None


def check_stage(stage: str | None) -> None:
    """A stage becomes part of stack (and bus) names: lowercase letters, digits, '-'."""
    if stage is not None and not _STAGE.match(stage):
        raise ValueError(f"stage {stage!r}: use lowercase letters, digits and '-' "
                         "(it is part of the stack names)")  # fmt: skip


def stacks(services: Sequence[str], stage: str | None) -> list[str]:
    """The stack names of ``services`` (in ``stage``)."""
    from eventualc.emit.stack import stack_name

    return [stack_name(s) + (f"-{stage}" if stage else "") for s in services]


def cdk_command(
    cdk: Sequence[str], action: str, assembly: Path, names: Sequence[str], yes: bool
) -> list[str]:
    """``cdk deploy|destroy --app ASSEMBLY STACKS``; ``yes`` answers its questions."""
    command = [*cdk, action, "--app", str(assembly), *names]
    if yes:
        command += ["--require-approval", "never"] if action == "deploy" else ["--force"]
    return command


def run_cdk(command: Sequence[str], cwd: Path) -> int:
    """Runs the CDK CLI on this terminal (live output, its questions answerable)."""
    environment = {**os.environ}
    # Node 20 makes the CDK print an end-of-life banner on every run of its Python side.
    environment.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return subprocess.run(list(command), cwd=cwd, env=environment, check=False).returncode


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--out", "cdk_out", type=click.Path(file_okay=False),
              help="Cloud assembly folder (default: cdk.out in the project).")  # fmt: skip
@click.option("--stage", help="Name every stack <stack>-<stage> (one deployment per stage).")
def synth(specs: tuple[str, ...], cdk_out: str | None, stage: str | None) -> None:
    """Synthesize the CloudFormation templates of the generated CDK apps."""
    project = current_project()
    assembly = Path(cdk_out) if cdk_out else project.root / "cdk.out"
    for template in _synthesize(specs, project, assembly, stage):
        click.echo(display_path(template))
    sys.exit(0)


def _synthesize(
    specs: Sequence[str], project: Project, assembly: Path, stage: str | None
) -> list[Path]:
    """Synthesizes into ``assembly`` with progress on stderr; exits 1 when it cannot."""
    import time

    from eventualc.deploy.synth import synth as run_synth

    try:
        check_stage(stage)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    began = time.monotonic()
    paths = spec_paths(specs, project)
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


@click.command()
@_cdk_options
def deploy(specs: tuple[str, ...], services: tuple[str, ...], stage: str | None,
           yes: bool) -> None:  # fmt: skip
    """Synthesize, then `cdk deploy` the generated stacks (the CDK CLI's output, live)."""
    _run_cdk("deploy", specs, services, stage, yes)


@click.command()
@_cdk_options
def destroy(specs: tuple[str, ...], services: tuple[str, ...], stage: str | None,
            yes: bool) -> None:  # fmt: skip
    """Synthesize, then `cdk destroy` the generated stacks (the CDK CLI asks first)."""
    _run_cdk("destroy", specs, services, stage, yes)


def _run_cdk(action: str, specs: Sequence[str], services: Sequence[str], stage: str | None,
             yes: bool) -> NoReturn:  # fmt: skip
    import time

    from eventualc.emit.write import Manifest

    project = current_project()
    cdk = find_cdk(project.root)
    if cdk is None:
        fail(MISSING_CDK)
    problem = credentials_problem()
    if problem:
        fail(problem)
    built = Manifest.read(project.out).services()
    unknown = [s for s in services if built and s not in built]
    if unknown:
        raise UsageError(f"no service {unknown[0]!r} in the build (services: {', '.join(built)})")
    assembly = project.root / "cdk.out"
    _synthesize(specs, project, assembly, stage)
    names = stacks(services or Manifest.read(project.out).services(), stage)
    command = cdk_command(cdk, action, assembly, names, yes)
    click.echo(f"eventualc: cdk {action} {' '.join(names)}", err=True)
    began = time.monotonic()
    code = run_cdk(command, project.root)
    took = time.monotonic() - began
    if code != 0:
        fail(f"cdk {action} failed (exit {code}) after {took:.0f} s")
    done = "deployed" if action == "deploy" else "destroyed"
    click.echo(f"eventualc: {done} {plural(len(names), 'stack')} in {took:.0f} s", err=True)
    sys.exit(0)


COMMANDS = [synth, deploy, destroy]
