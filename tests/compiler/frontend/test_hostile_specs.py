"""Hostile and unusual specs: each builds correctly, or fails with a located error fast.

Covers file references (shared, bounded, between spec files), specs that would stall
``check`` (backtracking patterns, huge enums, alias bombs), limits on nesting and
numbers, closed objects, workflow cycles and generated names that could collide.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError
from tests.support import CheckSpec, MakeService, codes

from eventualc.frontend import source as source_module
from eventualc.frontend.schemas import MAX_SCHEMA_DEPTH
from eventualc.frontend.source import MAX_ALIASED_NODES, SourceFile, parse_documents, read_sources

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


def bomb(levels: int) -> str:
    """A YAML file whose aliases repeat about 8**levels values from a few hundred bytes."""
    lines = ["service: s", "x0: &x0 [a, a, a, a, a, a, a, a]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 8)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_the_alias_budget_is_shared_by_every_file(tmp_path: Path) -> None:
    for i in range(4):  # each file repeats 42,784 values: under the budget alone
        (tmp_path / f"s{i}.yaml").write_text(bomb(5))
    started = time.perf_counter()
    sources = read_sources([tmp_path], tmp_path)
    assert time.perf_counter() - started < 10
    shown = [f"{d.span.file}:{d.span.line} {d.code} {d.message}" for d in sources.diagnostics]  # type: ignore[union-attr]
    assert len(shown) == 1 and shown[0].startswith(f"{tmp_path}/s2.yaml:6 E002"), shown
    assert "aliases repeat more than 100,000 values" in shown[0]


def test_values_without_aliases_do_not_count(tmp_path: Path) -> None:
    text = "service: s\nvalues: [" + "1, " * (MAX_ALIASED_NODES + 10) + "]\n"
    documents, problems = parse_documents(SourceFile(tmp_path / "x.yaml", "x.yaml", text))
    assert problems == [] and len(documents[0].data["values"]) == MAX_ALIASED_NODES + 10


@pytest.mark.parametrize("depth", [129, 490, 999, 1500])
def test_deep_yaml_is_a_located_error(depth: int) -> None:
    text = "service: s\ndescription: " + "[" * depth + "]" * depth + "\n"
    _, problems = parse_documents(SourceFile(Path("x.yaml"), "x.yaml", text))
    [problem] = problems
    assert problem.code == "E002" and problem.message.endswith("nested deeper than 128 levels")
    # the root mapping is level 1, so the 128th bracket (column 13 + 128) is level 129
    assert problem.span is not None
    assert (problem.span.file, problem.span.line, problem.span.column) == ("x.yaml", 2, 141)


def test_libyamls_own_nesting_limit_is_located_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Some libyaml builds stop at 1,000 levels while scanning ahead, before any event."""

    class Stopped(source_module._Composer12):
        def check_node(self) -> bool:
            raise yaml.MarkedYAMLError(problem="exceeded maximum nesting depth")

        check_event = check_node

    monkeypatch.setattr(source_module, "_Composer12", Stopped)
    text = "service: s\ndescription: " + "[" * 1500 + "]" * 1500 + "\n"
    _, problems = parse_documents(SourceFile(Path("x.yaml"), "x.yaml", text))
    [problem] = problems
    assert problem.message.endswith("nested deeper than 128 levels")
    assert problem.span is not None and (problem.span.line, problem.span.column) == (2, 141)


def test_yaml_nested_128_deep_is_read() -> None:
    text = "service: s\ndescription: " + "[" * 127 + "]" * 127 + "\n"
    documents, problems = parse_documents(SourceFile(Path("x.yaml"), "x.yaml", text))
    assert problems == [] and documents[0].data["service"] == "s"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "an integer of 5,000 digits is too long (at most 4,300)"),
        ("1e400", "'1e400' is too large for a 64-bit float"),
        ("-1e400", "'-1e400' is too large for a 64-bit float"),
        ("1e-400", "'1e-400' is too small for a 64-bit float: it would be 0"),
        ("0." + "0" * 500 + "1", "a number of 503 characters is too long (at most 400)"),
    ],
)
def test_numbers_that_python_cannot_hold_are_located_errors(value: str, message: str) -> None:
    _, problems = parse_documents(SourceFile(Path("x.yaml"), "x.yaml", f"a: {value}\n"))
    [problem] = problems
    assert (problem.code, problem.message) == ("E004", message)
    assert problem.span is not None and (problem.span.line, problem.span.column) == (1, 4)


def test_zero_and_plain_floats_still_read() -> None:
    documents, problems = parse_documents(
        SourceFile(Path("x.yaml"), "x.yaml", "a: 0.0e-400\nb: 1e300\nc: 12345678901234567890\n")
    )
    assert problems == []
    assert documents[0].data == {"a": 0.0, "b": 1e300, "c": 12345678901234567890}


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("multipleOf: 0", "'multipleOf' must be greater than 0"),
        ("multipleOf: -2", "'multipleOf' must be greater than 0"),
        ("maximum: .inf", "'maximum' must be a finite number"),
        ("minimum: '3'", "'minimum' must be a finite number"),
    ],
)
def test_numeric_keywords_must_be_usable(check_spec: CheckSpec, keyword: str, message: str) -> None:
    result = check_spec(f"service: s\ntypes:\n  N: {{type: number, {keyword}}}\n")
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("E107", f"invalid JSON Schema: {message}")
    ]


def nested_files(depth: int) -> dict[str, str]:
    """``p0.json`` .. : an object nested ``depth`` schemas deep through file references."""
    files = {}
    for i in range(depth - 1):
        inner = {"$ref": f"p{i + 1}.json"} if i < depth - 2 else {"type": "string"}
        files[f"specs/p{i}.json"] = json.dumps({"type": "object", "properties": {"f": inner}})
    return files


def test_schemas_nested_past_the_limit_are_a_located_error(check_spec: CheckSpec) -> None:
    result = check_spec(PAID % "p0.json", **nested_files(200))
    [problem] = result.diagnostics
    assert problem.code == "E109"
    assert "nests more than 64 schemas deep; the limit is 64" in problem.message
    assert problem.span is not None and (problem.span.file, problem.span.line) == (
        "specs/spec.yaml",
        4,
    )


def test_a_schema_one_past_the_limit_is_reported(check_spec: CheckSpec) -> None:
    result = check_spec(PAID % "p0.json", **nested_files(MAX_SCHEMA_DEPTH + 1))
    assert [d.code for d in result.diagnostics] == ["E109"]
    assert "nests more than 64 schemas deep" in result.diagnostics[0].message
    assert check_spec(PAID % "p0.json", **nested_files(MAX_SCHEMA_DEPTH)).ok


def test_a_backtracking_pattern_cannot_stall_check(check_spec: CheckSpec) -> None:
    spec = """\
    service: shop
    events:
      Paid:
        schema: {type: object, properties: {code: {type: string, pattern: "^(a+)+$"}}}
        examples: [{code: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab}, {code: aaa}]
    subscriptions:
      onPaid: {events: [Paid]}
    """
    started = time.perf_counter()
    result = check_spec(spec)
    assert time.perf_counter() - started < 5
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("E604", 5)]  # type: ignore[union-attr]
    assert "does not match '^(a+)+$'" in result.diagnostics[0].message


def test_pattern_properties_and_their_extras_use_re2(check_spec: CheckSpec) -> None:
    spec = """\
    service: shop
    events:
      Paid:
        schema:
          type: object
          patternProperties: {"^(a+)+$": {type: integer}}
          additionalProperties: false
        examples: [{aaaa: 1}, {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab: 1}, {aa: x}]
    subscriptions:
      onPaid: {events: [Paid]}
    """
    started = time.perf_counter()
    result = check_spec(spec)
    assert time.perf_counter() - started < 5
    messages = [d.message for d in result.diagnostics]
    assert len(messages) == 2, messages
    assert "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab' was unexpected" in messages[0]
    assert "at 'aa': 'x' is not of type 'integer'" in messages[1]


@pytest.mark.parametrize("pattern", ["(a)\\\\1", "a(?=b)", "(?<!x)y"])
def test_patterns_re2_rejects_are_located_errors(check_spec: CheckSpec, pattern: str) -> None:
    result = check_spec(f'service: s\ntypes:\n  Code: {{type: string, pattern: "{pattern}"}}\n')
    [problem] = result.diagnostics
    assert problem.code == "E107" and "is not supported" in problem.message
    assert problem.span is not None and (problem.span.line, problem.span.column) == (3, 33)


CLOSED = """\
service: shop
types:
  Base: {type: object, required: [id], properties: {id: {type: string}}}
  Loose: {type: object, properties: {id: {type: string}}, additionalProperties: true}
events:
  Paid:
    schema:
      type: object
      properties:
        base: Base
        loose: Loose
        ext: {allOf: [Base, {properties: {n: {type: integer}}}]}
    examples:
%s
subscriptions:
  onPaid: {events: [Paid]}
"""


def test_examples_with_extra_fields_fail_where_the_object_is_closed(
    check_spec: CheckSpec,
) -> None:
    examples = [
        "{base: {id: x}, loose: {id: y, more: 1}, ext: {id: z, n: 1}}",
        "{sneaky: 1}",
        "{base: {id: x, sneaky: 1}}",
        "{ext: {id: z, n: 1, sneaky: 1, other: 2}}",
    ]
    result = check_spec(CLOSED % "\n".join(f"      - {e}" for e in examples))
    found = [(d.span.line, d.message.partition(": ")[2]) for d in result.diagnostics]  # type: ignore[union-attr]
    closed = "an object that declares its properties is closed"
    assert found == [
        (15, f"an unknown field 'sneaky': {closed}"),
        (16, f"an unknown field 'sneaky': {closed}"),
        (17, f"unknown fields 'other', 'sneaky': {closed}"),
    ]


def test_models_of_closed_objects_reject_extra_fields(make_service: MakeService) -> None:
    service = make_service(CLOSED % "      - {base: {id: x}}")
    Paid = service.model("Paid")
    assert Paid.model_validate({"base": {"id": "x"}, "ext": {"id": "z", "n": 1}})
    assert Paid.model_validate({"loose": {"id": "y", "more": 1}})
    for extra in ({"sneaky": 1}, {"base": {"id": "x", "sneaky": 1}}, {"ext": {"id": "z", "q": 1}}):
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            Paid.model_validate(extra)


def test_a_large_enum_builds_in_linear_time(make_service: MakeService) -> None:
    values = ", ".join(f"v{i}" for i in range(20_000))
    spec = f"service: shop\ntypes:\n  Big: {{type: string, enum: [{values}]}}\n"
    started = time.process_time()
    service = make_service(spec)
    assert time.process_time() - started < 10  # quadratic before: ~13 s for the names alone
    big = TypeAdapter(service.model("Big"))
    assert big.validate_python("v19999") == "v19999"
    with pytest.raises(ValidationError):
        big.validate_python("v20000")


def test_schemas_nested_to_the_limit_build_and_import(make_service: MakeService) -> None:
    items = "{type: string}"
    for _ in range(MAX_SCHEMA_DEPTH - 1):
        items = f"{{type: array, items: {items}}}"
    service = make_service(PAID.replace('{$ref: "%s"}', items))
    assert service.name == "shop"
