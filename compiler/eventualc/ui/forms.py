"""Signal forms: a signal's JSON schema -> one form field, and the field's text -> a value.

A signal that carries nothing has no field; a boolean is a yes/no choice; an integer,
a number or a string has its own input; anything else (objects, arrays, ``$ref``) is
a JSON text area. ``parse`` reads the submitted text by the same schema (never by what
the browser says the field was) and raises ``ValueError`` with a message people read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_SCALARS = ("boolean", "integer", "number", "string")


@dataclass(frozen=True)
class SignalField:
    signal: str
    kind: str  # none, boolean, integer, number, string, json
    schema_text: str  # the schema, shown beside the field


def field_for(signal: str, carries: bool, schema: dict[str, Any] | None) -> SignalField:
    """The field of ``signal``: ``carries`` is whether the workflow declares a payload."""
    if not carries:
        return SignalField(signal, "none", "")
    kind = schema.get("type") if isinstance(schema, dict) else None
    shown = json.dumps(schema, indent=2, sort_keys=True) if schema else "(any JSON)"
    return SignalField(signal, kind if kind in _SCALARS else "json", shown)


def parse(field: SignalField, text: str) -> Any:
    """The payload ``text`` stands for, by ``field``'s kind."""
    if field.kind == "none":
        return None
    if field.kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError("choose true or false")
        return text == "true"
    if field.kind == "string":
        return text
    try:
        if field.kind == "integer":
            return int(text)
        if field.kind == "number":
            return float(text)
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise ValueError(f"not a valid {field.kind}: {exc}") from exc


def _no_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
