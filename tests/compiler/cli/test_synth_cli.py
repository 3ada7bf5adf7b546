"""`eventualc synth` and the real `cdk` CLI (npm package aws-cdk) on a generated app,
as users run them: whole processes in a fresh project folder.

`eventualc synth` refuses stale generated code and spec errors (exit 1) and writes
the templates; `cdk synth` run in `generated/<svc>/infra` gives the same template
(the CLI only adds its metadata), so the app works where users deploy it from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cdk_apps import Json, asset_cache
from tests.support import REPO, eventualc

CDK = REPO / "node_modules" / ".bin" / "cdk"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    shutil.copytree(REPO / "specs", root / "specs")
    return root


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # `python3` in cdk.json must be this interpreter, which has eventualc installed.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {
        **os.environ,
        "PATH": path,
        "EVENTUALC_CACHE_DIR": str(asset_cache(tmp_path_factory)),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return eventualc(cwd, *args, env=env, timeout=300)


def test_synth_refuses_code_that_is_not_built(project: Path, environment: dict[str, str]) -> None:
    done = run(project, environment, "synth")
    assert done.returncode == 1
    assert "generated is not current; run `eventualc build` first" in done.stderr
    assert "  generated/orders/infra/construct.py\n" in done.stderr
    assert not (project / "cdk.out").exists()
    assert "Traceback" not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def synthesized(project: Path, environment: dict[str, str]) -> Json:
    built = run(project, environment, "build")
    assert built.returncode == 0, built.stderr
    done = run(project, environment, "synth")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cdk.out/orders.template.json\n"
    template: Json = json.loads((project / "cdk.out" / "orders.template.json").read_text())
    return template


def test_synth_writes_the_template_of_every_generated_service(synthesized: Json) -> None:
    kinds = [r["Type"] for r in synthesized["Resources"].values()]
    assert kinds.count("AWS::Events::EventBus") == 1
    assert kinds.count("AWS::Lambda::Function") == 7  # 3 tasks, 3 subscriptions, orchestrator
    assert kinds.count("AWS::Events::Rule") == 3
    assert set(synthesized["Outputs"]) >= {"BusName", "BucketName", "DeadLetterQueues"}


def test_synth_reports_spec_errors_and_edits(project: Path, environment: dict[str, str], synthesized: Json) -> None:  # fmt: skip
    other = project / "broken"
    shutil.copytree(project / "specs", other)
    spec = other / "orders.yaml"
    spec.write_text(spec.read_text().replace("events: [OrderCreated]", "events: [OrderCreatd]"))
    done = run(project, environment, "synth", "broken", "--out", "elsewhere")
    assert done.returncode == 1
    assert "error[E306]: unknown event 'OrderCreatd'" in done.stdout
    assert not (project / "elsewhere").exists()
    stack = project / "generated" / "orders" / "infra" / "stack.py"
    stack.write_text(stack.read_text() + "# edited\n")
    try:
        done = run(project, environment, "synth")
        assert done.returncode == 1
        assert "  generated/orders/infra/stack.py\n" in done.stderr
    finally:
        stack.write_text(stack.read_text().removesuffix("# edited\n"))


def test_the_cdk_cli_synthesizes_the_generated_app(
    project: Path, environment: dict[str, str], synthesized: Json, tmp_path: Path
) -> None:
    assert CDK.exists(), "the CDK CLI is missing: run `npm ci` in the repository"
    infra = project / "generated" / "orders" / "infra"
    done = subprocess.run(
        [str(CDK), "synth", "--no-notices", "--quiet", "--output", str(tmp_path)],
        cwd=infra, env=environment, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    template = json.loads((tmp_path / "orders.template.json").read_text())
    # The CLI adds version reporting (CDKMetadata) and each resource's construct path.
    assert template["Resources"].pop("CDKMetadata")["Type"] == "AWS::CDK::Metadata"
    template.pop("Conditions")
    for resource in template["Resources"].values():
        metadata = resource.pop("Metadata")
        assert metadata["aws:cdk:path"].startswith("orders/Service/")
        own = {k: v for k, v in metadata.items() if not k.startswith("aws:")}
        if own:  # the construct's own (checkov's acknowledgments) stay
            resource["Metadata"] = own
    assert template == synthesized  # the same asset hash too: one asset, cached by its inputs


def busy_spec(starts: int) -> str:
    lines = ["service: busy", "events:", "  Ping: {schema: {type: object}}", "workflows:"]
    lines += ["  handle:", "    input: object", "    steps:", "      - return: 1", "subscriptions:"]
    lines += [f"  start{i}: {{events: [Ping], workflow: handle, input: '${{{{ event }}}}'}}" for i in range(starts)]  # fmt: skip
    return "\n".join(lines) + "\n"


def test_synth_fails_naming_the_quota_a_template_would_break(
    tmp_path: Path, environment: dict[str, str]
) -> None:
    """301 workflow-starting subscriptions: `check` warns (the rules quota can be
    raised); synthesis measures the template and fails, naming each quota."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'busy'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "busy.yaml").write_text(busy_spec(301))
    checked = run(tmp_path, environment, "check")
    assert checked.returncode == 0 and "warning[W608]" in checked.stdout
    built = run(tmp_path, environment, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    done = run(tmp_path, environment, "synth")
    assert done.returncode == 1
    assert "the templates would break AWS quotas at deploy time" in done.stderr
    assert "busy: its bus: rules total 301, over the AWS quota 'EventBridge rules per event bus'" in done.stderr  # fmt: skip
    # The rules sending to the inbox share one statement, whose size is then the limit.
    assert "InboxPolicy: its document is" in done.stderr
    assert "SQS queue policy statements" not in done.stderr
    assert "Traceback" not in done.stderr
