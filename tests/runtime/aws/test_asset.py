"""The functions run from the built Lambda asset alone: a ``bookTrip`` execution whose
every invocation (orchestrator, tasks, the subscription its event reaches) is a fresh
``python -I -S`` process whose only packages are the asset's (no site-packages), as
Lambda's runtime sees them."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.cdk_apps import asset_cache
from tests.runtime.aws.harness import Function, LambdaContext
from tests.runtime.aws.support import Aws

from eventual.status import ExecutionStatus
from eventualc.deploy.asset import build_asset

RUNNER = """\
import json, sys
asset = sys.argv[1]
sys.path.insert(0, asset)
from eventual.aws import entry
answer = getattr(entry, sys.argv[2])(json.load(sys.stdin))
outside = sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").find("site-packages") >= 0
    and not module.__file__.startswith(asset)
)
clients = sorted(name for d in entry._deployments.values() for name in d.clients._made)
print(json.dumps({"answer": answer, "outside": outside, "clients": clients}))
"""


@pytest.fixture(scope="module")
def asset(aws: Aws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    machine = "arm64" if platform.machine() in ("arm64", "aarch64") else "x86_64"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    out = aws.project.root / aws.project.package
    return build_asset(out, machine, asset_cache(tmp_path_factory), python_version=version)


def test_the_functions_run_from_the_asset_alone(
    aws: Aws, asset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"boto3", "botocore", "pydantic", "eventual"} <= {p.name for p in asset.iterdir()}
    ran: list[str] = []

    def from_asset(function: Function, event: dict[str, Any], _: LambdaContext) -> Any:
        variables = {**os.environ, **function.environment}
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", RUNNER, str(asset), function.kind],
            input=json.dumps(event), capture_output=True, text=True, env=variables,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.splitlines()[-1])
        assert result["outside"] == []  # nothing came from this machine's site-packages
        if function.kind == "task":  # small payloads: no S3 client made, the dearest one
            assert "s3" not in result["clients"], result["clients"]
        ran.append(function.kind)
        return result["answer"]

    monkeypatch.setattr(aws.harness, "runner", from_asset)
    client = aws.client("trips")
    execution = client.start("bookTrip", "asset-1")
    view = aws.finish(client, execution, timeout=120)
    assert (view.status, view.result) == (
        ExecutionStatus.SUCCEEDED, {"flight": "flight-asset-1", "hotel": "hotel-asset-1"}
    )  # fmt: skip
    aws.harness.run(until=lambda: "asset-1" in aws.calls("recordBooking"), timeout=120)
    assert {"orchestrator", "task", "subscription"} <= set(ran)
