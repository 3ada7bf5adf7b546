"""The service package: IR -> ``{path: text}`` of every file the compiler owns.

Per service ``<svc>/__init__.py`` (exports ``service``, ``models`` and each event
class, lazily), ``<svc>/definition.json``, ``<svc>/models/`` and
``<svc>/handlers/__init__.py``, ``<svc>/README.md`` (the event catalog) and
``<svc>/infra/`` (the CDK app, ``emit.stack``); plus the output package's own ``__init__.py``.
Handler stubs are user files and come from ``emit.stubs``. The service module imports
under ``_``-prefixed aliases, so no event class it exports can shadow them.
"""

from __future__ import annotations

from eventualc import ir
from eventualc.emit.catalog import emit_catalog
from eventualc.emit.definition import emit_definition
from eventualc.emit.models import HEADER, export_order, generate_models
from eventualc.emit.stack import emit_infra
from eventualc.emit.text import docstring, string_list


def emit_package(build: ir.Build) -> dict[str, str]:
    files = {"__init__.py": f'{HEADER}\n"""Services built by eventualc."""\n'}
    for service in build.services:
        files |= emit_service(service)
        files[f"{service.name}/README.md"] = emit_catalog(build, service)
        files |= emit_infra(service, build)
    return files


def emit_service(service: ir.Service) -> dict[str, str]:
    svc = service.name
    files = {f"{svc}/models/{name}": text for name, text in generate_models(service).items()}
    files[f"{svc}/definition.json"] = emit_definition(service)
    files[f"{svc}/handlers/__init__.py"] = (
        f'{HEADER}\n"""Handlers of {svc}: a module per task and subscription, yours."""\n'
    )
    files[f"{svc}/__init__.py"] = _service_init(service)
    return files


def _service_init(service: ir.Service) -> str:
    events = sorted(e.name for e in service.events)
    summary = service.description or f"The {service.name} service."
    typing_imports = "".join(f"    from .models import {n} as {n}\n" for n in events)
    return f"""{HEADER}
{docstring(summary, 0)}

from __future__ import annotations

import importlib as _importlib
from pathlib import Path as _Path
from typing import TYPE_CHECKING
from typing import Any as _Any

from eventual import Service as _Service

if TYPE_CHECKING:
    from . import models as models
{typing_imports}
service = _Service.load(__name__, _Path(__file__).with_name("definition.json"))
_EVENTS: frozenset[str] = frozenset({string_list(events)})
__all__ = {string_list(sorted([*events, "models", "service"], key=export_order))}


def __getattr__(name: str) -> _Any:
    if name == "models" or name in _EVENTS:
        models = _importlib.import_module(".models", __name__)
        return models if name == "models" else getattr(models, name)
    raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
"""
