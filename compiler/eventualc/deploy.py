"""``eventualc deploy`` and ``eventualc destroy``: the generated CDK apps, through the CDK CLI.

The commands first synthesize (``eventualc.synth``: the build must be current), then
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
from collections.abc import Sequence
from pathlib import Path

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
