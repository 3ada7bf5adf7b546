"""Shape stage: each YAML document -> diagnostics from ``schemas/eventual-spec.schema.json``.

The JSON Schema is the single source of truth for the shape of a spec file; this
module only turns its validation errors into located, readable diagnostics. Codes:
E101 unknown key, E102 missing key, E103 wrong type, E104 invalid value,
E105 a step without exactly one kind key, E106 key that needs another key,
E201 invalid name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from eventualc.diagnostics import Diagnostic, Span, did_you_mean, error
from eventualc.frontend.durations import suggest_duration
from eventualc.frontend.source import Document, PathKey
from eventualc.frontend.validator import CompiledSchema, SchemaError

_SCHEMA_FILE = "eventual-spec.schema.json"


def schema_path() -> Path:
    """The spec schema: shipped inside the wheel, or in the source tree's ``schemas/``."""
    package = Path(__file__).resolve().parents[1]  # eventualc/
    packaged = package / "spec.schema.json"
    if packaged.is_file():
        return packaged
    return package.parents[1] / "schemas" / _SCHEMA_FILE


def schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


@cache
def spec_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@cache
def _validator() -> CompiledSchema:
    return CompiledSchema(spec_schema())


def check_shape(document: Document) -> list[Diagnostic]:
    errors = _validator().errors(document.data)
    malformed = _malformed_steps(errors)
    diagnostics = [
        error("E105", _step_kind_span(document, path, step), _step_kind_message(step))
        for path, step in malformed.items()
    ]
    for err in errors:
        if err.path not in malformed:  # a step without exactly one kind is reported once
            diagnostics.extend(_diagnose(err, document))
    return diagnostics


def step_kinds() -> list[str]:
    kinds: list[str] = spec_schema()["$defs"]["Step"]["x-kinds"]
    return kinds


def _malformed_steps(errors: list[SchemaError]) -> dict[PathKey, dict[str, Any]]:
    """Steps with no kind key (the Step ``anyOf`` fails) or with several (each kind's
    schema rejects the others as unknown keys), by path."""
    kinds = set(step_kinds())
    found: dict[PathKey, dict[str, Any]] = {}
    for err in errors:
        step: Any = err.instance
        no_kind = err.keyword == "anyOf" and "x-kinds" in err.schema
        many = "x-kind" in err.schema and isinstance(step, dict) and len(kinds & set(step)) > 1
        if no_kind or many:
            found[err.path] = step
    return found


def _diagnose(err: SchemaError, document: Document) -> Iterator[Diagnostic]:
    where, path, schema, instance = document.locations, err.path, err.schema, err.instance
    kind = err.keyword
    if err.in_property_names or path == ("service",):
        message = schema.get("x-message", f"must match {schema.get('pattern')}")
        span = where.value(path) if path == ("service",) else where.key((*path, instance))
        yield error("E201", span, f"invalid name '{instance}': {message}")
    elif kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed)):
            hint = did_you_mean(key, allowed) or f" (expected one of: {', '.join(allowed)})"
            yield error("E101", where.key((*path, key)), f"unknown key '{key}'{hint}")
    elif kind == "required":
        for key in err.value:
            if key not in instance:
                yield error("E102", where.key(path), f"missing required key '{key}'")
    elif kind == "dependentRequired":
        for key, needs in err.value.items():
            if key in instance and any(n not in instance for n in needs):
                message = f"'{key}' is only valid together with '{needs[0]}'"
                yield error("E106", where.key((*path, key)), message)
    elif kind == "type":
        message = f"expected {_types(err.value)}, got {_describe(instance)}"
        if _constant_only(instance):
            message = f"an expression is not allowed here; expected {_types(err.value)}"
        yield error("E103", where.value(path), message)
    else:
        yield error("E104", where.value(path), _invalid_value(err))


def _invalid_value(err: SchemaError) -> str:
    kind = err.keyword
    if kind in ("minItems", "minProperties"):
        return "must not be empty"
    if kind == "uniqueItems":
        return "entries must be unique"
    reason = _reason(err)
    return f"invalid value {_show(err.instance)}" + (
        f": {_constant_only(err.instance)}{reason}" if reason else ""
    )


def _reason(err: SchemaError) -> str:
    expected, kind = err.value, err.keyword
    if "x-message" in err.schema and kind in ("pattern", "anyOf"):
        return str(err.schema["x-message"]) + _suggestion(err.instance, err.schema)
    if kind == "enum":
        hint = did_you_mean(str(err.instance), map(str, expected))
        return f"expected one of {', '.join(map(str, expected))}{hint}"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return f"must be {bound} {expected}"
    return f"must match {expected}" if kind == "pattern" else ""


def _constant_only(instance: Any) -> str:
    """Says so when a template stands where only a constant is allowed."""
    if isinstance(instance, str) and "${{" in instance:
        return "an expression is not allowed here, only a constant; "
    return ""


def _suggestion(instance: Any, schema: dict[str, Any]) -> str:
    """``; did you mean ...?`` for a value the schema knows a replacement of."""
    if not isinstance(instance, str):
        return ""
    suggested = schema.get("x-suggest", {}).get(instance)
    if suggested is None and schema.get("x-duration"):
        suggested = suggest_duration(instance)
    return f"; did you mean '{suggested}'?" if suggested else ""


def _step_kind_span(document: Document, path: PathKey, step: dict[str, Any]) -> Span | None:
    """The second kind key of a step with several, else its unknown key."""
    present = [k for k in step if k in step_kinds()]
    key = present[1] if len(present) > 1 else _unknown_kind(step)
    return document.locations.key((*path, key)) if key else document.locations.value(path)


def _step_kind_message(step: dict[str, Any]) -> str:
    kinds = step_kinds()
    present = [k for k in step if k in kinds]
    if len(present) > 1:
        return f"a step has more than one kind key: {', '.join(present)}"
    needs = f"a step needs one kind key ({', '.join(kinds)})"
    unknown = _unknown_kind(step)
    if unknown is None:
        return needs
    hint = did_you_mean(unknown, kinds)
    return f"unknown step kind '{unknown}'" + (hint or f": {needs}")


def _unknown_kind(step: dict[str, Any]) -> str | None:
    """The key of a kindless step that was meant as its kind: the one closest to a kind
    among those no step kind knows, else the first such key."""
    unknown = [k for k in step if k not in _step_keys()]
    close = [k for k in unknown if did_you_mean(k, step_kinds())]
    found = close or unknown
    return found[0] if found else None


@cache
def _step_keys() -> frozenset[str]:
    """Every key some kind of step accepts."""
    steps = [d for d in spec_schema()["$defs"].values() if "x-kind" in d]
    return frozenset(key for d in steps for key in d.get("properties", {}))


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
