"""Shape stage: each YAML document -> diagnostics from ``schemas/eventual-spec.schema.json``.

The JSON Schema is the single source of truth for the shape of a spec file; this
module only turns its validation errors into located, readable diagnostics. Codes:
E101 unknown key, E102 missing key, E103 wrong type, E104 invalid value,
E105 step kind, E106 key that needs another key, E201 invalid name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from eventualc.diagnostics import Diagnostic, did_you_mean, error
from eventualc.source import Document, PathKey

_SCHEMA_FILE = "eventual-spec.schema.json"


def schema_path() -> Path:
    """The spec schema: shipped inside the wheel, or in the source tree's ``schemas/``."""
    packaged = Path(__file__).with_name("spec.schema.json")
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas" / _SCHEMA_FILE


def schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


@cache
def spec_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(spec_schema())


def check_shape(document: Document) -> list[Diagnostic]:
    errors = list(_validator().iter_errors(document.data))
    step_paths = {tuple(e.absolute_path) for e in errors if e.validator == "oneOf"}
    diagnostics: list[Diagnostic] = []
    for err in errors:
        path: PathKey = tuple(err.absolute_path)
        if path in step_paths and err.validator != "oneOf":
            continue  # a step without exactly one kind is reported once, as such
        diagnostics.extend(_diagnose(err, path, document))
    return diagnostics


def _diagnose(err: ValidationError, path: PathKey, document: Document) -> Iterator[Diagnostic]:
    where = document.locations
    schema = err.schema if isinstance(err.schema, dict) else {}
    kind = err.validator
    instance: Any = err.instance
    expected: Any = err.validator_value
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed)):
            hint = did_you_mean(key, allowed) or f" (expected one of: {', '.join(allowed)})"
            yield error("E101", where.key((*path, key)), f"unknown key '{key}'{hint}")
    elif kind == "required":
        missing = [k for k in expected if k not in instance]
        for key in missing:
            yield error("E102", where.key(path), f"missing required key '{key}'")
    elif kind == "dependentRequired":
        for key, needs in expected.items():
            if key in instance and any(n not in instance for n in needs):
                message = f"'{key}' is only valid together with '{needs[0]}'"
                yield error("E106", where.key((*path, key)), message)
    elif kind == "type":
        yield error(
            "E103",
            where.value(path),
            f"expected {_types(expected)}, got {_describe(instance)}",
        )
    elif "propertyNames" in err.schema_path or path == ("service",):
        name = instance
        message = schema.get("x-message", err.message)
        span = where.value(path) if path == ("service",) else where.key((*path, name))
        yield error("E201", span, f"invalid name '{name}': {message}")
    elif kind == "oneOf":
        yield error("E105", where.value(path), _step_kind_message(instance, schema))
    else:
        yield error("E104", where.value(path), _invalid_value(err, schema))


def _invalid_value(err: ValidationError, schema: dict[str, Any]) -> str:
    shown = _show(err.instance)
    expected: Any = err.validator_value
    if "x-message" in schema and err.validator in ("pattern", "anyOf"):
        return f"invalid value {shown}: {schema['x-message']}"
    if err.validator == "enum":
        return f"invalid value {shown}: expected one of {', '.join(map(str, expected))}"
    if err.validator in ("minimum", "maximum"):
        bound = "at least" if err.validator == "minimum" else "at most"
        return f"invalid value {shown}: must be {bound} {expected}"
    if err.validator in ("minItems", "minProperties"):
        return "must not be empty"
    if err.validator == "uniqueItems":
        return "entries must be unique"
    return f"invalid value {shown}: {err.message}"


def _step_kind_message(step: dict[str, Any], schema: dict[str, Any]) -> str:
    kinds = [option["required"][0] for option in schema["oneOf"]]
    present = [k for k in step if k in kinds]
    if len(present) > 1:
        return f"a step has more than one kind key: {', '.join(present)}"
    unknown = [k for k in step if k not in ("id", "description")]
    hint = did_you_mean(unknown[0], kinds) if unknown else ""
    return f"a step needs one kind key ({', '.join(kinds)}){hint}"


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)


def _describe(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return f"a boolean ({str(instance).lower()})"
    if isinstance(instance, int | float):
        return f"a number ({instance})"
    if isinstance(instance, str):
        return f"a string ({_show(instance)})"
    return "a list" if isinstance(instance, list) else "a mapping"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
