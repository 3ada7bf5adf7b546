"""Python types of schema positions: which model each position uses, and the
annotation a handler signature shows.

A position (task or workflow input/output, signal) whose schema names a type or an
event uses that model. Any other non-null position gets a model of its own,
``<PascalName>Input``/``Output`` (``<Workflow><Signal>Signal`` for signals): a class
for an object with properties, a type alias otherwise, so the runtime can validate
every position by name. Signatures show natural Python types where they are plain
(``str``, ``int``, ``float``, ``bool``, ``None``, ``dict[str, Any]``, ``Any``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventualc.frontend import ir

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
