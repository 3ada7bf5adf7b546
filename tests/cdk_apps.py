"""Generated CDK apps synthesized in the test process, as a user's `cdk synth` would.

Every app runs with cdk-nag's AwsSolutions checks as a validation plugin (a finding
not acknowledged fails synthesis), writes its acknowledgments into the template
metadata, and builds the real Lambda asset into one cache shared by the whole test
run. The templates come back as JSON, with helpers that read them the way the
assertions in these tests need: resources by type, a function's policies, refs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support import environment

from eventualc.build import build
from eventualc.pipeline import FrontEnd, load

Json = dict[str, Any]
# aws-cdk-lib's Node process prints an end-of-life banner for Node 20 unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def asset_cache(factory: pytest.TempPathFactory) -> Path:
    """One Lambda asset cache for every test of the run (dependencies install once)."""
    return factory.getbasetemp() / "eventualc-cache"


@dataclass
class Synthesized:
    outdir: Path
    templates: dict[str, Json]  # by stack name
    nested: list[Json]  # the nested stacks' templates, in file name order


def synthesize(package: Path, services: Sequence[str], outdir: Path, cache: Path) -> Synthesized:
    """Synthesize the stacks of ``services`` generated into the package folder ``package``."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    if str(package.parent) not in sys.path:
        sys.path.insert(0, str(package.parent))
    with environment(
        EVENTUALC_CACHE_DIR=str(cache), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20"
    ):
        app = cdk.App(outdir=str(outdir))
        checks = AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
        cdk.Validations.of(app).add_plugins(checks)
        for service in services:
            importlib.import_module(f"{package.name}.{service}.infra.stack").add_stack(app)
        assembly = app.synth()
    templates = {s.stack_name: _read(outdir / s.template_file) for s in assembly.stacks}
    nested = [_read(p) for p in sorted(outdir.glob("*.nested.template.json"))]
    return Synthesized(outdir, templates, nested)


def synthesize_spec(
    factory: pytest.TempPathFactory, folder: str, service: str, spec: str
) -> tuple[FrontEnd, Synthesized]:
    """``spec``, whose service is ``service``, checked, built with ``eventualc.build`` into
    the package ``<folder>_out`` of a fresh project folder and synthesized; the front
    end's result too, for what a test asserts of it."""
    project = factory.mktemp(folder)
    (project / "specs").mkdir()
    (project / "specs" / f"{folder}.yaml").write_text(spec)
    front_end = load([project / "specs"], project)
    assert front_end.ok, [d.message for d in front_end.diagnostics if d.is_error]
    out = project / f"{folder}_out"
    result = build([project / "specs"], project, out, check=False, force=False)
    assert not result.plan.conflicts
    return front_end, synthesize(out, [service], project / "cdk.out", asset_cache(factory))


def _read(path: Path) -> Json:
    data: Json = json.loads(path.read_text())
    return data


def of_type(template: Json, kind: str) -> dict[str, Json]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def properties(template: Json, logical_id: str) -> Json:
    props: Json = template["Resources"][logical_id].get("Properties", {})
    return props


def functions(template: Json) -> dict[str, Json]:
    """Lambda functions by the spec name they run (``EVENTUAL_FUNCTION``; the
    orchestrator as ``""``), each with its ``LogicalId``."""
    found = {}
    for logical_id, resource in of_type(template, "AWS::Lambda::Function").items():
        props = resource["Properties"]
        name = props["Environment"]["Variables"].get("EVENTUAL_FUNCTION", "")
        found[name] = {**props, "LogicalId": logical_id}
    return found


def ref_id(value: Any) -> str | None:
    """The logical ID a ``Ref`` or ``Fn::GetAtt`` points at, else ``None``."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def statements(template: Json, function: Json) -> list[Json]:
    """Every IAM statement the function's role has in this template: its inline
    policies and the customer managed policies attached to it."""
    role = ref_id(function["Role"])
    found: list[Json] = []
    for policy in of_type(template, "AWS::IAM::Policy").values():
        if role in [ref_id(r) for r in policy["Properties"]["Roles"]]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    assert role is not None
    for arn in properties(template, role).get("ManagedPolicyArns", []):
        managed = ref_id(arn)
        if managed in template["Resources"]:  # else a parameter: defined in the parent
            found += properties(template, str(managed))["PolicyDocument"]["Statement"]
    return found


def actions(statement: Json) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def resources(statement: Json) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def event_sources(template: Json, function_id: str) -> dict[str, Json]:
    """The function's event source mappings, by the logical ID of their queue."""
    return {
        str(ref_id(m["Properties"]["EventSourceArn"])): m["Properties"]
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if ref_id(m["Properties"]["FunctionName"]) == function_id
    }


def definition(package: Path, service: str) -> Json:
    return _read(package / service / "definition.json")
