"""Names: one function per task, workflow and subscription; one model per type and event.

E202 a name shared by two kinds that must not share it (or the same Python name),
E203 a Python name that is a keyword, E205 a step id used twice in a workflow,
E206 a variable name that hides a built-in scope name, E207 a model class named like
an import of generated model modules.
"""

from __future__ import annotations

import keyword

from eventualc.diagnostics import Diagnostic, Note, error
from eventualc.frontend import ir
from eventualc.frontend.naming import model_classes
from eventualc.frontend.symbols import key_span, value_span, walk_steps

RESERVED_SCOPE = frozenset({"input", "steps", "vars", "execution", "now", "event", "meta", "index"})


def check_names(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        functions = [(t.name, t.python_name, t.path) for t in service.tasks]
        functions += [(w.name, w.python_name, w.path) for w in service.workflows]
        functions += [(s.name, s.python_name, s.path) for s in service.subscriptions]
        diagnostics += _clashes(service, functions, "function")
        models = [(_shown(path), name, path) for name, path in model_classes(service)]
        diagnostics += _clashes(service, models, "model class")
        diagnostics += _reserved(service, models)
        for name, python_name, path in functions:
            if keyword.iskeyword(python_name) or keyword.issoftkeyword(python_name):
                message = f"'{name}' becomes the Python name '{python_name}', a Python keyword"
                diagnostics.append(error("E203", key_span(service, path), message))
        for workflow in service.workflows:
            diagnostics += _step_names(service, workflow)
    return diagnostics


def _clashes(
    service: ir.Service, named: list[tuple[str, str, tuple[str | int, ...]]], what: str
) -> list[Diagnostic]:
    diagnostics = []
    seen: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    located = sorted(named, key=lambda n: _position(service, n[2]))
    for name, python_name, path in located:
        if python_name in seen:
            first_name, first_path = seen[python_name]
            if first_path[:2] != path[:2] and first_path[1] == path[1] and len(path) > 2:
                continue  # the models of two definitions of one name: E202 says it once
            message = (
                f"'{name}' clashes with {str(first_path[0])[:-1]} '{first_name}': "
                f"both become the {what} '{python_name}'"
            )
            note = Note("first defined here", key_span(service, first_path))
            diagnostics.append(error("E202", key_span(service, path), message, note))
        else:
            seen[python_name] = (name, path)
    return diagnostics


# Names that generated model modules import (pydantic, typing, enum, and the types of
# string formats): a model of one of these names would be renamed by the generator.
GENERATOR_IMPORTS = frozenset(
    (
        "Annotated", "Any", "AnyUrl", "AwareDatetime", "BaseModel", "ConfigDict", "EmailStr",
        "Enum", "Field", "IntEnum", "IPv4Address", "IPv6Address", "Literal", "NaiveDatetime",
        "RootModel", "StrEnum", "TypeAliasType", "UUID",
    )
)  # fmt: skip


def _reserved(
    service: ir.Service, models: list[tuple[str, str, tuple[str | int, ...]]]
) -> list[Diagnostic]:
    return [
        error(
            "E207",
            key_span(service, path),
            f"'{shown}' becomes the model class '{name}', a name generated models import; "
            "choose another"
            if shown != name
            else f"'{name}' is a name generated models import; choose another",
        )
        for shown, name, path in models
        if name in GENERATOR_IMPORTS
    ]


def _shown(path: tuple[str | int, ...]) -> str:
    """``Order`` for a type or event, ``Order.status`` for a property of one,
    ``charge.input`` for a task's input."""
    inner = [str(p) for p in path[2:] if p not in ("properties", "schema")]
    return ".".join([str(path[1]), *inner])


def _position(service: ir.Service, path: tuple[str | int, ...]) -> tuple[str, int, int]:
    span = key_span(service, path)
    return (span.file, span.line, span.column) if span else ("", 0, 0)


def _step_names(service: ir.Service, workflow: ir.Workflow) -> list[Diagnostic]:
    diagnostics = []
    ids: dict[str, ir.Step] = {}
    for step in walk_steps(workflow.steps):
        if step.id is not None:
            if step.id in ids:
                note = Note("first used here", value_span(service, (*ids[step.id].path, "id")))
                message = f"step id '{step.id}' is used twice in workflow '{workflow.name}'"
                diagnostics.append(
                    error("E205", value_span(service, (*step.path, "id")), message, note)
                )
            else:
                ids[step.id] = step
        names = [(step.var, (*step.path, "as"))] if step.kind == "for_each" else []
        names += [(c.var, (*c.path, "as")) for c in step.catch]
        for name, path in names:
            if name in RESERVED_SCOPE:
                message = f"'{name}' is a built-in name in expressions; choose another"
                diagnostics.append(error("E206", value_span(service, path), message))
    return diagnostics
