"""JSON Schemas as documentation: a schema -> short type text, field rows, an example.

``type_text`` names a schema the way a reader thinks of it (``Money``, ``array of
string``, ``"low" or "high"``, ``number ≥ 0``); ``field_rows`` flattens an object's
properties, inline nested objects and objects in arrays included (``items[].sku``),
in the order the spec lists them; ``sample`` makes a value that fits a schema, for
events that give no example. Named types and events (``#/types/X``, ``#/events/X``)
are shown by name, never expanded: their own section documents them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eventualc.frontend.ir import JsonSchema

_BOUNDS = (
    ("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"),
    ("minLength", "length ≥"), ("maxLength", "length ≤"), ("minItems", "items ≥"),
    ("maxItems", "items ≤"),
)  # fmt: skip
_SAMPLES: dict[str, Any] = {
    "string": "string", "integer": 0, "number": 0, "boolean": False, "null": None,
    "array": [], "object": {},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str  # dotted path: ``total.amount``, ``items[].sku``
    type: str
    required: bool
    description: str


def ref_name(schema: JsonSchema) -> str | None:
    """``Money`` for ``{"$ref": "#/types/Money"}``; ``None`` for any other schema."""
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) and ref.startswith("#/") else None


def type_text(schema: JsonSchema | None) -> str:
    if schema is None:
        return "null"
    named = ref_name(schema)
    if named:
        return named
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " or ".join(type_text(s) for s in schema[key])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if isinstance(schema.get("enum"), list):
        return " or ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    return _with_bounds(_kind_text(schema), schema)


def _kind_text(schema: JsonSchema) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array" or "items" in schema:
        items = schema.get("items")
        return f"array of {type_text(items)}" if isinstance(items, dict) else "array"
    if kind == "string" and isinstance(schema.get("format"), str):
        return f"string ({schema['format']})"
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "any"


def _with_bounds(text: str, schema: JsonSchema) -> str:
    bounds = [f"{sign} {schema[key]}" for key, sign in _BOUNDS if key in schema]
    if isinstance(schema.get("pattern"), str):
        bounds.append(f"matching {schema['pattern']}")
    return ", ".join([text, *bounds])


def field_rows(schema: JsonSchema, prefix: str = "") -> list[FieldRow]:
    """One row per property of an object schema, nested inline objects flattened."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = set(schema.get("required", []))
    rows = []
    for name, value in properties.items():
        child = value if isinstance(value, dict) else {}
        path = f"{prefix}{name}"
        description = child.get("description", "")
        rows.append(FieldRow(path, type_text(child), name in required, str(description)))
        rows += field_rows(child, f"{path}.")
        items = child.get("items")
        if isinstance(items, dict) and ref_name(items) is None:
            rows += field_rows(items, f"{path}[].")
    return rows


def sample(schema: JsonSchema | None, named: dict[str, JsonSchema], depth: int = 0) -> Any:
    """A value that fits ``schema``: required properties only, the first enum value."""
    if schema is None or depth > 8:
        return None
    name = ref_name(schema)
    if name:
        return sample(named.get(name), named, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample(schema[key][0], named, depth + 1)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = [r for r in schema.get("required", []) if r in properties]
        return {r: sample(properties[r], named, depth + 1) for r in required}
    if kind == "array" and isinstance(schema.get("items"), dict) and schema.get("minItems"):
        return [sample(schema["items"], named, depth + 1)]
    if kind in ("number", "integer") and isinstance(schema.get("minimum"), int | float):
        return schema["minimum"]
    return _SAMPLES.get(kind) if isinstance(kind, str) else None
