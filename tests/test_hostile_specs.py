"""Hostile and unusual specs: each builds correctly, or fails with a located error fast.

Covers file references (shared, bounded, between spec files), specs that would stall
``check`` (backtracking patterns, huge enums, alias bombs), limits on nesting and
numbers, closed objects, workflow cycles and generated names that could collide.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import CheckSpec, codes

PAID = """\
service: shop
events:
  Paid:
    schema: {$ref: "%s"}
subscriptions:
  onPaid:
    events: [Paid]
"""


def services(result: object) -> list[str]:
    build = getattr(result, "build", None)
    assert build is not None
    return [s.name for s in build.services]


def test_ref_into_another_spec_keeps_that_specs_service(check_spec: CheckSpec) -> None:
    other = """\
    service: billing
    types:
      Money: {type: object, properties: {amount: {type: number}}}
    events:
      Charged: {schema: Money}
    subscriptions:
      onCharged: {events: [Charged]}
    """
    result = check_spec(PAID % "billing.yaml#/types/Money", **{"specs/billing.yaml": other})
    assert result.ok, result.diagnostics
    assert services(result) == ["billing", "shop"]
    paid = next(e for s in result.build.services for e in s.events if e.name == "Paid")  # type: ignore[union-attr]
    assert paid.schema["properties"] == {"amount": {"type": "number"}}


def test_spec_referring_to_itself_builds(check_spec: CheckSpec) -> None:
    spec = PAID % "spec.yaml#/types/Money" + "types:\n  Money: {type: object}\n"
    result = check_spec(spec)
    assert result.ok, result.diagnostics
    assert services(result) == ["shop"]


def test_refs_between_definitions_of_one_file_are_no_cycle(check_spec: CheckSpec) -> None:
    defs = {
        "$defs": {
            "A": {
                "type": "object",
                "properties": {"b": {"$ref": "defs.json#/$defs/B"}, "c": {"$ref": "#/$defs/B"}},
            },
            "B": {"type": "string", "minLength": 1},
        }
    }
    result = check_spec(PAID % "defs.json#/$defs/A", **{"specs/defs.json": json.dumps(defs)})
    assert result.ok, result.diagnostics
    paid = result.build.services[0].events[0]  # type: ignore[union-attr]
    b = {"type": "string", "minLength": 1}
    assert paid.schema["properties"] == {"b": b, "c": b}


def test_a_real_ref_cycle_through_definitions_is_reported(check_spec: CheckSpec) -> None:
    defs = {"$defs": {"A": {"type": "array", "items": {"$ref": "#/$defs/A"}}}}
    result = check_spec(PAID % "defs.json#/$defs/A", **{"specs/defs.json": json.dumps(defs)})
    assert codes(result) == ["E305"]


def test_exponential_refs_are_resolved_once_and_capped(check_spec: CheckSpec) -> None:
    files = {}
    for i in range(8):
        target = {"$ref": f"s{i + 1}.json"} if i < 7 else {"type": "string"}
        schema = {"type": "object", "properties": {f"p{j}": target for j in range(10)}}
        files[f"specs/s{i}.json"] = json.dumps(schema)
    started = time.perf_counter()
    result = check_spec(PAID % "s0.json", **files)
    assert time.perf_counter() - started < 10
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "E310" and diagnostic.span is not None
    assert diagnostic.span.file.endswith("spec.yaml") and diagnostic.span.line == 4
    assert "122,222,222" in diagnostic.message


def test_shared_refs_within_the_limit_build(check_spec: CheckSpec, tmp_path: Path) -> None:
    files = {}
    for i in range(3):
        target = {"$ref": f"s{i + 1}.json"} if i < 2 else {"type": "string"}
        schema = {"type": "object", "properties": {f"p{j}": target for j in range(10)}}
        files[f"specs/s{i}.json"] = json.dumps(schema)
    result = check_spec(PAID % "s0.json", **files)
    assert result.ok, result.diagnostics
    leaf = result.build.services[0].events[0].schema["properties"]["p3"]["properties"]["p9"]  # type: ignore[union-attr]
    assert leaf["properties"]["p0"] == {"type": "string"}
