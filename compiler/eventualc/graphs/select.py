"""What ``eventualc graph`` draws: a build and the user's choice -> one ``Graph``.

With no choice, the event graph of the whole build with every workflow drawn as its
flowchart inside it; with a service, that service and what it touches directly; with
a workflow (``name`` when unique in the build, else ``service.name``), that
workflow's flowchart alone. An unknown or ambiguous name is a ``ValueError`` naming
the choices, for the CLI to report as a usage error.
"""

from __future__ import annotations

from eventualc.frontend import ir
from eventualc.graphs.choreography import event_graph
from eventualc.graphs.flowchart import flowchart
from eventualc.graphs.model import Graph


def choose_graph(build: ir.Build, service: str | None, workflow: str | None) -> Graph:
    if service is not None and build.service(service) is None:
        known = ", ".join(s.name for s in build.services) or "none"
        raise ValueError(f"no service {service!r} in these specs (services: {known})")
    if workflow is None:
        return event_graph(build, expand=True, focus=service)
    owner, chosen = _workflow(build, service, workflow)
    return flowchart(owner, chosen)


def _workflow(build: ir.Build, service: str | None, name: str) -> tuple[ir.Service, ir.Workflow]:
    if "." in name:
        owner, name = name.split(".", 1)
        if service not in (None, owner):
            raise ValueError(f"workflow '{owner}.{name}' is not in service {service!r}")
        service = owner
    found = [
        (s, w)
        for s in build.services
        if service is None or s.name == service
        for w in s.workflows
        if w.name == name
    ]
    if len(found) == 1:
        return found[0]
    every = [f"{s.name}.{w.name}" for s in build.services for w in s.workflows]
    if found:
        raise ValueError(f"workflow {name!r} is in several services; use one of: "
                         + ", ".join(f"{s.name}.{w.name}" for s, w in found))  # fmt: skip
    raise ValueError(f"no workflow {name!r} (workflows: {', '.join(every) or 'none'})")
