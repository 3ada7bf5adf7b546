"""Compatibility with what is deployed: ``eventualc check --against PATH``.

Running executions keep the definition they started with, while the deployed code
and models change under them. ``against(build, path)`` compares the services of
``build`` with a previous version and returns warnings (W9xx) for the changes that
break executions still running on it:

- W901: a task, workflow, event or signal that the previous version has and this one
  does not (a running step that reaches a removed task fails with ``TaskNotDeployed``;
  a removed signal or event is refused);
- W902: a schema that accepts less than before (a new required property, a property
  dropped from a closed object, another type, fewer enum values, tighter bounds),
  for task inputs and outputs, workflow inputs, signals and events: a value that
  was valid before fails with ``ValidationError``.

``path`` is a previous ``definition.json``, a generated folder (its
``<service>/definition.json``, names only: definitions carry model names, not
schemas) or previous specs (a spec file or folder: names and schemas). Pure but
for reading ``path``; a path that is none of these raises ``CompatError``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eventualc.diagnostics import Diagnostic, warning
from eventualc.frontend import ir

if TYPE_CHECKING:
    from eventualc.pipeline import FrontEnd

Contract = dict[str, dict[str, Any]]  # kind -> name -> schema (None: names only)
_BOUNDS_UP = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_BOUNDS_DOWN = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


class CompatError(ValueError):
    """``--against`` names nothing to compare with."""


def checked_against(result: FrontEnd, path: Path) -> FrontEnd:
    """``result`` (of ``check``) with the warnings of ``against`` added."""
    if result.build is None:
        return result
    try:
        found = against(result.build, path)
    except CompatError as exc:
        raise click.UsageError(str(exc)) from exc
    return dataclasses.replace(result, diagnostics=[*result.diagnostics, *found])


def against(build: ir.Build, path: Path) -> list[Diagnostic]:
    previous = _previous(path)
    found: list[Diagnostic] = []
    for service in build.services:
        old = previous.get(service.name)
        if old is not None:
            found += _compare(service, old, contract(service))
    return found


def contract(service: ir.Service) -> Contract:
    """What running executions of ``service`` rely on: names, and schemas."""
    signals = {f"{w.name}.{s.name}": s.schema for w in service.workflows for s in w.signals}
    return {
        "task": {t.name: t.input for t in service.tasks},
        "task output": {t.name: t.output for t in service.tasks},
        "workflow": {w.name: w.input for w in service.workflows},
        "signal": signals,
        "event": {e.name: e.schema for e in service.events},
    }


def _previous(path: Path) -> dict[str, Contract]:
    if path.is_file() and path.suffix == ".json":
        return dict([_from_definition(path)])
    if path.is_dir() and any(path.glob("*/definition.json")):
        return dict(_from_definition(found) for found in sorted(path.glob("*/definition.json")))
    if path.exists():
        from eventualc.pipeline import load

        loaded = load([path], path if path.is_dir() else path.parent)
        if loaded.build is not None and loaded.ok:
            return {s.name: contract(s) for s in loaded.build.services}
        raise CompatError(f"--against {path}: the previous specs do not check")
    raise CompatError(f"--against {path}: no such definition.json, generated folder or specs")


def _from_definition(path: Path) -> tuple[str, Contract]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        workflows = data["workflows"]
        signals = {f"{w}.{s}": None for w, spec in workflows.items() for s in spec["signals"]}
        return str(data["service"]), {
            "task": dict.fromkeys(data["tasks"]),
            "task output": {},
            "workflow": dict.fromkeys(workflows),
            "signal": signals,
            "event": dict.fromkeys(data["events"]),
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CompatError(f"--against {path}: not a definition.json ({exc})") from exc


def _compare(service: ir.Service, old: Contract, new: Contract) -> Iterator[Diagnostic]:
    for kind, names in old.items():
        for name, schema in sorted(names.items()):
            if kind != "task output" and name not in new[kind]:
                yield warning(
                    "W901", None,
                    f"{service.name}: {kind} {name!r} is removed; executions running on the "
                    f"previous version that reach it fail",
                )  # fmt: skip
            elif schema is not None and name in new[kind]:
                reason = narrowed(schema, new[kind][name])
                if reason:
                    yield warning(
                        "W902", None,
                        f"{service.name}: the schema of {kind} {name!r} accepts less than "
                        f"before ({reason}); values of running executions may no longer fit",
                    )  # fmt: skip


def narrowed(old: Any, new: Any, where: str = "") -> str:
    """Why ``new`` accepts less than ``old`` (``""`` when it does not, as far as seen)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return "" if old == new or new in (None, True, {}) else f"{where or 'it'} changed"
    at = where or "the value"
    old_types, new_types = _types(old), _types(new)
    if new_types is not None and (old_types is None or not old_types <= new_types):
        return f"{at} must be {' or '.join(sorted(new_types))}"
    if "enum" in new and not (
        "enum" in old and {_key(v) for v in old["enum"]} <= {_key(v) for v in new["enum"]}
    ):
        return f"{at} takes fewer values"
    for key in _BOUNDS_UP:
        if key in new and new[key] > old.get(key, float("-inf")):
            return f"{at}: {key} {new[key]}"
    for key in _BOUNDS_DOWN:
        if key in new and new[key] < old.get(key, float("inf")):
            return f"{at}: {key} {new[key]}"
    if "pattern" in new and new.get("pattern") != old.get("pattern"):
        return f"{at} must match {new['pattern']!r}"
    return _narrowed_object(old, new, where)


def _narrowed_object(old: Mapping[str, Any], new: Mapping[str, Any], where: str) -> str:
    added = sorted(set(new.get("required", [])) - set(old.get("required", [])))
    if added:
        return f"{where + ' ' if where else ''}requires {', '.join(added)}"
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    closed = "properties" in new and new.get("additionalProperties") is not True
    dropped = sorted(set(old_properties) - set(new_properties))
    if closed and dropped:
        return f"{where + ' ' if where else ''}no longer takes {', '.join(dropped)}"
    for name in sorted(set(old_properties) & set(new_properties)):
        reason = narrowed(old_properties[name], new_properties[name], f"{where}.{name}".lstrip("."))
        if reason:
            return reason
    if "items" in old and "items" in new:
        return narrowed(old["items"], new["items"], f"{where}[]")
    return ""


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    given = schema.get("type")
    if given is None:
        return None
    found = {given} if isinstance(given, str) else set(given)
    return found | {"integer"} if "number" in found else found


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
