"""``eventualc synth``: the CloudFormation templates of the generated CDK apps.

``synth(paths, root, out, cdk_out)`` first asks the build whether ``out`` is current
for the specs (exactly ``eventualc build --check``): spec errors or files that would
change stop it there, and nothing is synthesized from stale code. Otherwise it runs
every service's generated stack (``<out>/<svc>/infra/stack.py``) in one CDK app, in a
child Python process (``python -m eventualc.deploy.synth``) so that CDK, its Node process and
the generated modules stay out of the caller, and returns the templates written into
``cdk_out``. Building the Lambda asset (``eventualc.deploy.asset``) happens there too.
Then every template is measured against the AWS quotas (``eventualc.deploy.quotas``): a
template that would fail at deploy time fails synthesis, naming the quota.

The child says what it is doing, one line at a time on stderr (loading the CDK,
synthesizing which stacks); ``progress`` receives each of those lines, as text, while
it runs. With a ``stage``, every stack is named ``<service stack>-<stage>`` and the
stacks forward events to the buses of the same stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventualc.build import BuildResult, build
from eventualc.emit.write import Manifest

_KNOWN_FAILURE = 3  # the child's exit code for a failure it explains itself
_ASSET_FAILURE = "cannot build the Lambda asset"
_FAILURE = "eventualc-synth failed: "  # the child's mark before a failure it explains


@dataclass
class SynthResult:
    build: BuildResult
    stale: list[str] = field(default_factory=list)  # files `eventualc build` would change
    templates: list[Path] = field(default_factory=list)
    error: str = ""  # why synthesis failed, as CDK or pip said it


def synth(
    paths: Sequence[Path],
    root: Path,
    out: Path,
    cdk_out: Path,
    stage: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SynthResult:
    checked = build(paths, root, out, check=True, force=False)
    result = SynthResult(checked)
    front_end = checked.front_end
    if front_end is not None and not front_end.ok:
        return result
    if not checked.up_to_date:
        result.stale = sorted({*checked.plan.changes, *checked.plan.conflicts})
        if result.stale:
            return result
    services = Manifest.read(out).services()
    command = [sys.executable, "-m", "eventualc.deploy.synth", str(cdk_out.resolve()),
               str(out.resolve()), stage or "", *services]  # fmt: skip
    code, stdout, stderr = _run_child(command, progress or (lambda line: None))
    if code == _KNOWN_FAILURE:  # its message is what follows its mark
        result.error = stderr[stderr.rfind(_FAILURE) + len(_FAILURE) :].strip()
    elif code != 0:
        result.error = _last_error(stderr or stdout)
    else:
        result.templates = [Path(p) for p in json.loads(stdout.strip().splitlines()[-1])]
    return result


def _run_child(command: list[str], progress: Callable[[str], None]) -> tuple[int, str, str]:
    """Runs ``command``, handing each line of its stderr to ``progress`` as it comes."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             errors="replace", env=_environment())  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    stdout: list[str] = []
    pipe = child.stdout
    reader = threading.Thread(target=lambda: stdout.append(pipe.read()))
    reader.start()
    stderr: list[str] = []
    failing = False  # past the child's failure mark: told once, by the caller, not as progress
    for line in child.stderr:
        stderr.append(line)
        failing = failing or line.startswith(_FAILURE)
        if not failing:
            progress(line.rstrip("\n"))
    reader.join()
    return child.wait(), "".join(stdout), "".join(stderr)


def _environment() -> dict[str, str]:
    # Node 20 makes CDK print an end-of-life banner on every run; it is not ours to show.
    return {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def _last_error(output: str) -> str:
    """The message of a failed run: its last non-empty line (where Python puts it)."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "synthesis failed with no message"


def _say(message: str) -> None:
    print(f"eventualc: {message}", file=sys.stderr, flush=True)


def _run(cdk_out: Path, out: Path, stage: str, services: Sequence[str]) -> list[str]:
    """In the child process: synthesize ``services`` of the package ``out``."""
    import importlib

    _say("loading aws-cdk-lib…")
    import aws_cdk as cdk

    sys.path.insert(0, str(out.parent))
    app = cdk.App(outdir=str(cdk_out))
    names = []
    for service in services:
        stack = importlib.import_module(f"{out.name}.{service}.infra.stack")
        names.append(_add_stack(cdk, app, stack, stage))
    _say(f"synthesizing {', '.join(names)} (with the Lambda asset: built once, then cached)…")
    assembly = app.synth()
    problems: list[str] = []
    for artifact in assembly.stacks:
        problems += quota_violations(cdk_out, artifact.stack_name, artifact.id)
    if problems:
        raise QuotaExceeded("\n".join(problems))
    return sorted(str(cdk_out / s.template_file) for s in assembly.stacks)


class QuotaExceeded(Exception):
    """A synthesized template would break an AWS quota when deployed."""


def quota_violations(cdk_out: Path, stack: str, artifact: str) -> list[str]:
    """What breaks a quota in one stack's template and the nested stacks it holds (the
    nested templates are file assets of the stack: its ``.assets.json`` lists them)."""
    from eventualc.deploy.quotas import Template, template_violations

    paths = [cdk_out / f"{artifact}.template.json"]
    assets = cdk_out / f"{artifact}.assets.json"
    if assets.exists():
        files = json.loads(assets.read_text()).get("files", {}).values()
        sources = sorted(str(f["source"].get("path", "")) for f in files)
        paths += [cdk_out / s for s in sources if s.endswith(".nested.template.json")]
    templates = [
        Template(stack, json.loads(path.read_text()), path.stat().st_size) for path in paths
    ]
    return template_violations(templates)


def _add_stack(cdk: Any, app: Any, module: Any, stage: str) -> str:
    """The generated stack of ``module`` in ``app``; with a ``stage``, named for it."""
    if not stage:
        return str(module.add_stack(app).stack_name)
    (stack_class,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, cdk.Stack)
        and value.__module__ == module.__name__
    ]  # fmt: skip
    peers = {service: f"{name}-{stage}" for service, name in module.PEER_STACKS.items()}
    name = f"{module.STACK_NAME}-{stage}"
    stack_class(
        app,
        name,
        peer_stacks=peers,
        description=f"The {module.STACK_NAME} service, stage {stage} (eventualc)",
    )
    return name


if __name__ == "__main__":
    from eventualc.deploy.asset import AssetError

    try:
        written = _run(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
    except AssetError as exc:
        print(f"{_FAILURE}{_ASSET_FAILURE}: {exc}", file=sys.stderr)
        sys.exit(_KNOWN_FAILURE)
    except QuotaExceeded as exc:
        print(f"{_FAILURE}the templates would break AWS quotas at deploy time:\n{exc}",
              file=sys.stderr)  # fmt: skip
        sys.exit(_KNOWN_FAILURE)
    print(json.dumps(written))
