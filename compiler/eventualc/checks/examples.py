"""Examples: every event example validates against its event's schema (E604).

Validation uses jsonschema over one document per service holding every named
schema, so ``#/types/<Name>`` references resolve as they do in generated models.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from eventualc import ir
from eventualc.diagnostics import Diagnostic, error
from eventualc.symbols import value_span


def service_document(service: ir.Service) -> dict[str, Any]:
    """A JSON document in which ``#/types/X`` and ``#/events/X`` resolve."""
    return {
        "types": {t.name: t.schema for t in service.types},
        "events": {e.name: e.schema for e in service.events},
    }


def validator_for(schema: dict[str, Any], root: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose references resolve within ``root``."""
    return Draft202012Validator({**root, "allOf": [schema]})


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
                        f"{at}: {problem.message}"
                    )
                    diagnostics.append(error("E604", value_span(service, path), message))
    return diagnostics
