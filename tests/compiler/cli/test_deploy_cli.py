"""`eventualc deploy` and `eventualc destroy` as users run them, against a stub `cdk` on
PATH that records how it was called: they synthesize for real, then hand the cloud
assembly to the CDK CLI, whose output passes through as it comes; and they stop early,
saying what to do, without the CDK CLI or AWS credentials."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests import support
from tests.cdk_apps import asset_cache
from tests.support import REPO

STUB = """\
#!{python}
import json, os, sys
with open(os.environ["CDK_RECORD"], "a") as record:
    record.write(json.dumps({{"args": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
print("!!  Node 20 has reached end-of-life  !!", file=sys.stderr)
print(f"stub cdk {{sys.argv[1]}}: done")
sys.exit(int(os.environ.get("CDK_EXIT", "0")))
"""
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "eu-west-1"}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deploy")
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    shutil.copytree(REPO / "specs", root / "specs")
    support.eventualc(root, "build", check=True)
    return root


@pytest.fixture(scope="module")
def stub_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bin")
    (folder / "cdk").write_text(STUB.format(python=sys.executable))
    (folder / "cdk").chmod(0o755)
    return folder


def environment(tmp_path: Path, path: str, **more: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**clean, "PATH": path, "CDK_RECORD": str(tmp_path / "calls.jsonl"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "EVENTUALC_CACHE_DIR": str(asset_cache_dir), **more}  # fmt: skip


asset_cache_dir = Path()


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    global asset_cache_dir
    asset_cache_dir = asset_cache(tmp_path_factory)


def eventualc(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return support.eventualc(cwd, *args, env=env, timeout=600)


def calls(tmp_path: Path) -> list[dict[str, Any]]:
    record = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def with_stub(stub_bin: Path) -> str:
    return f"{stub_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"


def test_deploy_synthesizes_then_runs_cdk_deploy_on_the_assembly(
    project: Path, stub_bin: Path, tmp_path: Path
) -> None:
    env = environment(tmp_path, with_stub(stub_bin), **CREDENTIALS)
    done = eventualc(project, env, "deploy")
    assert done.returncode == 0, done.stderr
    assert calls(tmp_path) == [
        {"args": ["deploy", "--app", str(project / "cdk.out"), "orders"], "cwd": str(project)}
    ]
    assert (project / "cdk.out" / "orders.template.json").is_file()
    assert "eventualc: loading aws-cdk-lib…" in done.stderr  # synthesis shows progress
    assert "eventualc: synthesized 1 stack into cdk.out in " in done.stderr
    assert "stub cdk deploy: done" in done.stdout  # the CLI's own output, as it came
    assert "!!  Node 20 has reached end-of-life  !!" in done.stderr and "b'" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("eventualc: deployed 1 stack in ")


def test_a_stage_names_the_stacks_and_yes_asks_nothing(
    project: Path, stub_bin: Path, tmp_path: Path
) -> None:
    env = environment(tmp_path, with_stub(stub_bin), **CREDENTIALS)
    done = eventualc(project, env, "destroy", "--service", "orders", "--stage", "staging", "--yes")
    assert done.returncode == 0, done.stderr
    assert [c["args"] for c in calls(tmp_path)] == [
        ["destroy", "--app", str(project / "cdk.out"), "orders-staging", "--force"]
    ]
    template = json.loads((project / "cdk.out" / "orders-staging.template.json").read_text())
    buses = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::EventBus"]
    assert [bus["Properties"]["Name"] for bus in buses] == ["orders-staging"]
    assert "eventualc: destroyed 1 stack in " in done.stderr


def test_a_failing_cdk_fails_the_command(project: Path, stub_bin: Path, tmp_path: Path) -> None:
    env = environment(tmp_path, with_stub(stub_bin), CDK_EXIT="3", **CREDENTIALS)
    done = eventualc(project, env, "deploy", "--yes")
    assert done.returncode == 1
    assert calls(tmp_path)[0]["args"][-2:] == ["--require-approval", "never"]
    assert "eventualc: cdk deploy failed (exit 3)" in done.stderr


def test_without_the_cdk_cli_nothing_runs(project: Path, tmp_path: Path) -> None:
    env = environment(tmp_path, f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
                      **CREDENTIALS)  # fmt: skip
    if shutil.which("cdk", path=env["PATH"]):
        pytest.fail("this test needs a PATH without a cdk")
    done = eventualc(project, env, "deploy")
    assert done.returncode == 1
    assert "the AWS CDK CLI (`cdk`) is not installed: `npm install -g aws-cdk`" in done.stderr
    assert "synthesized" not in done.stderr


def test_without_credentials_nothing_runs(project: Path, stub_bin: Path, tmp_path: Path) -> None:
    done = eventualc(project, environment(tmp_path, with_stub(stub_bin)), "deploy")
    assert done.returncode == 1
    assert "no AWS credentials: run `aws configure`" in done.stderr
    assert calls(tmp_path) == []
    no_region = {k: v for k, v in CREDENTIALS.items() if k != "AWS_REGION"}
    done = eventualc(project, environment(tmp_path, with_stub(stub_bin), **no_region), "destroy")
    assert done.returncode == 1 and "no AWS region: set AWS_REGION" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "billing"], "no service 'billing' in the build (services: orders)"),
        (["--stage", "Prod_1"], "stage 'Prod_1': use lowercase letters, digits and '-'"),
    ],
)
def test_usage_mistakes(
    project: Path, stub_bin: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    done = eventualc(project, environment(tmp_path, with_stub(stub_bin), **CREDENTIALS),
                     "deploy", *args)  # fmt: skip
    assert done.returncode == 2
    assert message in done.stderr
    assert calls(tmp_path) == []
