"""Model naming: the Python class of every schema a service's models define, decided
in the front end so that the checks (``checks.names``) and the code generator
(``emit.models``) see the same names.

A position (task or workflow input/output, signal) whose schema names a type or an
event uses that model. Any other non-null position gets a model of its own,
``<PascalName>Input``/``Output`` (``<Workflow><Signal>Signal`` for signals): a class
for an object with properties, a type alias otherwise, so the runtime can validate
every position by name. Signatures show natural Python types where they are plain
(``str``, ``int``, ``float``, ``bool``, ``None``, ``dict[str, Any]``, ``Any``).

Every class is named explicitly (``model_schemas`` titles each schema): top-level
schemas by their name, nested objects and enums by their parent's name and property
(``OrderCreatedAddress``), so names never depend on processing order; a nested name
past ``MAX_CLASS_NAME`` characters is cut and hashed (``bounded``). An enum of more than
``MAX_ENUM_CLASS`` values is marked to become a ``Literal`` alias rather than an
``Enum`` class.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from eventualc.frontend import ir
from eventualc.frontend.schemas import closed
from eventualc.frontend.source import PathKey

# Implementation note: the generator names enum members in time quadratic in their
# number (332 s for 100,000), so larger enums become a ``Literal`` type alias instead.
MAX_ENUM_CLASS = 1000
_NATURAL = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def pascal_words(name: str) -> str:
    """``my_svc`` -> ``MySvc``: a snake_case name as a class-name prefix."""
    return "".join(pascal(part) for part in name.split("_"))


@dataclass(frozen=True, slots=True)
class Position:
    """A schema position: its model name (``None`` for null) and its annotation."""

    model: str | None
    annotation: str
    schema: dict[str, Any] | None  # the schema to generate ``model`` from; None: named already


def position(schema: dict[str, Any] | None, own_name: str) -> Position:
    if schema is None or schema == {"type": "null"}:
        return Position(None, "None", None)
    ref = schema.get("$ref") if len(schema) == 1 else None
    if isinstance(ref, str) and ref.startswith("#/"):
        name = ref.rsplit("/", 1)[1]
        return Position(name, name, None)
    natural = _natural(schema)
    return Position(own_name, natural or own_name, schema)


def _natural(schema: dict[str, Any]) -> str | None:
    if not schema:
        return "Any"
    kind = schema.get("type")
    plain = set(schema) <= {"type", "description", "title", "format", "default", "examples"}
    if isinstance(kind, str) and kind in _NATURAL and plain:
        return _NATURAL[kind]
    if kind == "object" and not {"properties", "additionalProperties", "patternProperties"} & set(
        schema
    ):
        return "dict[str, Any]"
    return None


def task_positions(task: ir.Task) -> tuple[Position, Position]:
    base = pascal(task.name)
    return position(task.input, f"{base}Input"), position(task.output, f"{base}Output")


def workflow_positions(workflow: ir.Workflow) -> tuple[Position, Position]:
    base = pascal(workflow.name)
    return position(workflow.input, f"{base}Input"), position(workflow.output, f"{base}Output")


def signal_position(workflow: ir.Workflow, signal: ir.Signal) -> Position:
    return position(signal.schema, f"{pascal(workflow.name)}{pascal(signal.name)}Signal")


def located_positions(service: ir.Service) -> list[tuple[Position, tuple[str | int, ...]]]:
    """Every position with the spec path of its schema."""
    found: list[tuple[Position, tuple[str | int, ...]]] = []
    for task in service.tasks:
        given, returned = task_positions(task)
        found += [(given, (*task.path, "input")), (returned, (*task.path, "output"))]
    for workflow in service.workflows:
        given, returned = workflow_positions(workflow)
        found += [(given, (*workflow.path, "input")), (returned, (*workflow.path, "output"))]
        found += [(signal_position(workflow, s), s.path) for s in workflow.signals]
    return found


def model_schemas(service: ir.Service) -> list[tuple[str, dict[str, Any], PathKey]]:
    """Each top-level model: its name, its titled schema and the spec path defining it."""
    found = [(t.name, _described(t.schema, t.description), t.path) for t in service.types]
    found += [(e.name, _described(e.schema, e.description), e.path) for e in service.events]
    found += [
        (p.model, p.schema, path) for p, path in located_positions(service) if p.model and p.schema
    ]
    return [
        (name, _titled(_local_refs(closed(schema, "additionalProperties")), name), path)
        for name, schema, path in found
    ]


def model_classes(service: ir.Service) -> list[tuple[str, PathKey]]:
    """Every class (or alias) name the service's models define, with the spec path of
    what makes it: named types and events, owned positions, nested objects and enums."""
    found: list[tuple[str, PathKey]] = []
    for name, schema, path in model_schemas(service):
        found.append((name, path))
        _titles(schema, path, found, nested=False)
    return found


def _titles(
    schema: Any, path: PathKey, found: list[tuple[str, PathKey]], nested: bool = True
) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if nested and isinstance(schema.get("title"), str):
        found.append((schema["title"], path))
    for key, value in schema.get("properties", {}).items():
        _titles(value, (*path, "properties", key), found)
    for key in ("items", "additionalProperties"):
        _titles(schema.get(key), (*path, key), found)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, value in enumerate(schema.get(key, ())):
            _titles(value, (*path, key, i), found)


def _described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """The spec's description of a type or event becomes its class docstring."""
    if not description or "description" in schema or "$ref" in schema:
        return schema
    return {**schema, "description": description}


def _local_refs(schema: Any) -> Any:
    if isinstance(schema, dict):
        result = {k: _local_refs(v) for k, v in schema.items()}
        ref = result.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/types/", "#/events/")):
            result["$ref"] = "#/$defs/" + ref.rsplit("/", 1)[1]
        return result
    if isinstance(schema, list):
        return [_local_refs(v) for v in schema]
    return schema


def _titled(schema: Any, name: str) -> Any:
    """``schema`` with a title on itself and on every nested object, enum and union."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    result = copy.copy(schema)
    name = bounded(name)
    result["title"] = name
    if isinstance(schema.get("enum"), list) and len(schema["enum"]) > MAX_ENUM_CLASS:
        result["x-enum-field-as-literal"] = True
    if isinstance(schema.get("properties"), dict):
        result["properties"] = {
            key: _titled(value, name + pascal(_identifier(key))) if _needs_title(value) else value
            for key, value in schema["properties"].items()
        }
    for key, suffix in (("items", "Item"), ("additionalProperties", "Value")):
        if _needs_title(schema.get(key)):
            result[key] = _titled(schema[key], name + suffix)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            result[key] = [
                _titled(v, f"{name}{key[0].upper()}{key[1:3]}{i}") if _needs_title(v) else v
                for i, v in enumerate(schema[key])
            ]
    return result


MAX_CLASS_NAME = 64


def bounded(name: str) -> str:
    """``name``, or for a nested name past ``MAX_CLASS_NAME`` characters its start and a
    hash of the rest: the module of each class is named after it, and file names are
    limited."""
    if len(name) <= MAX_CLASS_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_CLASS_NAME - 9]}X{digest}"


def _needs_title(schema: Any) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    return any(k in schema for k in ("properties", "enum", "items", "anyOf", "oneOf", "allOf"))


def _identifier(key: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", key)
    return "".join(pascal(w) for w in words if w) or "Field"
