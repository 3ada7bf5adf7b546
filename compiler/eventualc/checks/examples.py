"""Examples: every event example validates against its event's schema (E604).

Validation uses jsonschema over one document per service holding every named
schema, so ``#/types/<Name>`` references resolve as they do in generated models.
Patterns are matched by RE2 (linear time), so no example can stall ``check``.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator

from eventualc.diagnostics import Diagnostic, error
from eventualc.frontend import ir
from eventualc.frontend.schemas import closed, compile_pattern
from eventualc.frontend.symbols import value_span

_CLOSE = "unevaluatedProperties"
_UNEXPECTED = re.compile(r"\((.*) (was|were) unexpected\)$")


def service_document(service: ir.Service) -> dict[str, Any]:
    """A JSON document in which ``#/types/X`` and ``#/events/X`` resolve, every object
    that declares ``properties`` closed (``#/open/...``: the same, open at the top,
    for use inside an ``allOf``)."""
    named = {
        "types": {t.name: t.schema for t in service.types},
        "events": {e.name: e.schema for e in service.events},
    }
    document = {
        kind: {name: closed(schema, _CLOSE, "open") for name, schema in schemas.items()}
        for kind, schemas in named.items()
    }
    document["open"] = {
        kind: {name: closed(schema, _CLOSE, "open", part=True) for name, schema in schemas.items()}
        for kind, schemas in named.items()
    }
    return document


def _search(pattern: str, text: str) -> bool:
    try:
        return compile_pattern(pattern).search(text) is not None
    except Exception:  # unsupported: reported when the schema was lowered
        return True


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = [
        key for key in instance if key not in known and not any(_search(p, key) for p in patterns)
    ]
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        verb = "was" if len(extras) == 1 else "were"
        shown = ", ".join(repr(extra) for extra in sorted(extras))
        yield ValidationError(f"Additional properties are not allowed ({shown} {verb} unexpected)")


# Draft 2020-12 with every regular expression matched by RE2 instead of Python's `re`.
_Re2Validator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def validator_for(schema: dict[str, Any], root: dict[str, Any]) -> Validator:
    """A validator of ``schema`` (closed as the spec defines) whose references resolve
    within ``root``, a ``service_document``."""
    validator: Validator = _Re2Validator({**root, "allOf": [closed(schema, _CLOSE, "open")]})
    return validator


def check_examples(build: ir.Build) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        root = service_document(service)
        for event in service.events:
            if not event.examples:
                continue
            validator = validator_for(event.schema, root)
            for i, example in enumerate(event.examples):
                for problem in validator.iter_errors(example):
                    path = (*event.path, "examples", i, *problem.absolute_path)
                    where = "/".join(map(str, problem.absolute_path))
                    at = f" at '{where}'" if where else ""
                    message = (
                        f"example {i + 1} of event '{event.name}' does not match its schema"
                        f"{at}: {_reason(problem)}"
                    )
                    diagnostics.append(error("E604", value_span(service, path), message))
    return diagnostics


def _reason(problem: ValidationError) -> str:
    """jsonschema's message, in the spec's words for a closed object's extra fields."""
    extra = _UNEXPECTED.search(problem.message) if problem.validator == _CLOSE else None
    if extra is None:
        return problem.message
    what = "an unknown field" if extra[2] == "was" else "unknown fields"
    return f"{what} {extra[1]}: an object that declares its properties is closed"
