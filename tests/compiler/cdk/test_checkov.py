"""checkov on the synthesized example: every finding is fixed, or acknowledged in the
construct with its reason beside it (``eventualc.cdk.construct.CHECKOV_ACKNOWLEDGED``,
written into the template as ``Metadata: checkov: skip``).

checkov pins versions that conflict with the CDK's (jsii pins typeguard 2.13.3), so it
runs from a virtual environment of its own, ``.venv/checkov-<version>`` at the
repository root, made here from PyPI the first time (a few minutes) and reused after.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cdk_apps import Synthesized, asset_cache, synthesize
from tests.support import REPO

from eventualc.cdk.construct import CHECKOV_ACKNOWLEDGED

CHECKOV = "3.3.30"
VENV = REPO / ".venv" / f"checkov-{CHECKOV}"


def checkov() -> Path:
    """The checkov command of its own environment, installed when missing."""
    command = VENV / "bin" / "checkov"
    if not command.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, f"checkov=={CHECKOV}"], check=True)
    return command


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    out = tmp_path_factory.mktemp("checkov") / "cdk.out"
    return synthesize(REPO / "generated", ["orders"], out, asset_cache(tmp_path_factory))


def test_checkov_finds_nothing_that_is_not_acknowledged_with_its_reason(
    example: Synthesized,
) -> None:
    done = subprocess.run(
        [str(checkov()), "-d", str(example.outdir), "--framework", "cloudformation",
         "--output", "json", "--quiet", "--compact"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)
    (results,) = report if isinstance(report, list) else [report]
    assert results["summary"]["parsing_errors"] == 0
    failed = results["results"].get("failed_checks", [])
    assert [(f["check_id"], f["resource"]) for f in failed] == []
    assert done.returncode == 0
    assert results["summary"]["skipped"] > 0 and results["summary"]["passed"] > 100


def test_each_acknowledgment_is_in_the_template_with_its_reason(example: Synthesized) -> None:
    (template,) = example.templates.values()
    seen: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip["comment"].split()) >= 8, skip
            seen.setdefault(resource["Type"], set()).add(skip["id"])
    assert seen == {kind: {i for i, _ in skips} for kind, skips in CHECKOV_ACKNOWLEDGED.items()}
