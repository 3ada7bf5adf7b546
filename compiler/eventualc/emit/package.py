"""The service package: IR -> ``{path: text}`` of every file the compiler owns.

Per service ``<svc>/__init__.py`` (exports ``service``, ``models`` and each event
class, lazily), ``<svc>/definition.json``, ``<svc>/models/`` and
``<svc>/handlers/__init__.py``, ``<svc>/README.md`` (the event catalog) and
``<svc>/infra/`` (the CDK app, ``emit.stack``); plus the output package's own ``__init__.py``.
Handler stubs are user files and come from ``emit.stubs``. The service module imports
under ``_``-prefixed aliases, so no event class it exports can shadow them. Each
module is rendered from its template (``emit.render``).
"""

from __future__ import annotations

from eventualc.emit.catalog import emit_catalog
from eventualc.emit.definition import emit_definition
from eventualc.emit.models import export_order, generate_models
from eventualc.emit.render import render
from eventualc.emit.stack import emit_infra
from eventualc.frontend import ir


def emit_package(build: ir.Build) -> dict[str, str]:
    files = {"__init__.py": render("package_init.py.jinja")}
    for service in build.services:
        files |= emit_service(service)
        files[f"{service.name}/README.md"] = emit_catalog(build, service)
        files |= emit_infra(service, build)
    return files


def emit_service(service: ir.Service) -> dict[str, str]:
    svc = service.name
    files = {f"{svc}/models/{name}": text for name, text in generate_models(service).items()}
    files[f"{svc}/definition.json"] = emit_definition(service)
    files[f"{svc}/handlers/__init__.py"] = render("handlers_init.py.jinja", service=svc)
    files[f"{svc}/__init__.py"] = _service_init(service)
    return files


def _service_init(service: ir.Service) -> str:
    events = sorted(e.name for e in service.events)
    return render(
        "service_init.py.jinja",
        summary=service.description or f"The {service.name} service.",
        events=events,
        exports=sorted([*events, "models", "service"], key=export_order),
    )
