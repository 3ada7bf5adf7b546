"""The event graph of a build: who emits which event and who reacts to it.

``event_graph(build)`` draws, left to right and one cluster per service, every event
and subscription: ``delivers`` edges from each event to the subscriptions of it (in
any service), ``emits`` edges from a handler to the events it declares, ``starts``
edges from a declarative subscription to its workflow, ``signals`` edges (labelled
with the signal) from a subscription or task that signals a workflow to it.
Workflows are one node each,
with ``emits`` edges for their ``emit`` steps, ``delivers`` edges labelled "awaited"
from the events their ``wait_for_event`` steps wait for, and ``calls`` edges to the child
workflows they run and to the tasks that emit events or signal (other tasks stay out:
they are the workflow's own business). With ``expand``, each workflow is drawn as
its flowchart in a cluster instead, and those edges leave from the steps themselves.
"""

from __future__ import annotations

from eventualc.frontend import ir
from eventualc.frontend.symbols import walk_steps
from eventualc.graphs.flowchart import WorkflowLinks, draw_workflow
from eventualc.graphs.model import Cluster, Graph, GraphBuilder, subgraph
from eventualc.kinds import KINDS


def event_graph(build: ir.Build, expand: bool = False, focus: str | None = None) -> Graph:
    """The whole build, or with ``focus`` one service and the nodes one edge away."""
    builder = GraphBuilder("LR")
    links: dict[tuple[str, str], WorkflowLinks] = {}
    for service in build.services:
        with builder.cluster(("svc", service.name), f"service {service.name}"):
            links |= _draw_service(builder, service, expand)
    for service in build.services:
        _connect_handlers(builder, service, links)
        for workflow in service.workflows:
            found = links.get((service.name, workflow.name)) or _collapsed(
                builder, service, workflow
            )
            _connect_workflow(builder, service, found, links)
    graph = builder.graph()
    if focus is None:
        return graph
    own_id = builder.id_of("cluster", "svc", focus)
    own = next((c for c in graph.clusters if c.id == own_id), None)
    members = _members(own) if own else set()
    keep = set(members)
    for edge in graph.edges:
        if edge.source in members or edge.target in members:
            keep |= {edge.source, edge.target}
    return subgraph(graph, keep)


def _members(cluster: Cluster) -> set[str]:
    found = set(cluster.nodes)
    for inner in cluster.clusters:
        found |= _members(inner)
    return found


def _emitting_tasks(service: ir.Service) -> list[ir.Task]:
    return [t for t in service.tasks if t.emits or t.signals]


def _draw_service(
    builder: GraphBuilder, service: ir.Service, expand: bool
) -> dict[tuple[str, str], WorkflowLinks]:
    svc = service.name
    for event in service.events:
        builder.node(("ev", svc, event.name), "event", event.name)
    for sub in service.subscriptions:
        kind = "starter" if sub.workflow else "subscription"
        builder.node(("sub", svc, sub.name), kind, sub.name, "filtered" if sub.filter else "")
    for task in _emitting_tasks(service):
        builder.node(("task", svc, task.name), "task", task.name)
    links = {}
    for workflow in service.workflows:
        if not expand:
            builder.node(("wf", svc, workflow.name), "workflow", workflow.name)
            continue
        with builder.cluster(("wf", svc, workflow.name), f"workflow {workflow.name}"):
            links[(svc, workflow.name)] = draw_workflow(builder, svc, workflow)
    return links


def _event_id(builder: GraphBuilder, ref: ir.EventRef) -> str:
    return builder.id_of("ev", ref.service, ref.name)


def _connect_handlers(
    builder: GraphBuilder, service: ir.Service, links: dict[tuple[str, str], WorkflowLinks]
) -> None:
    svc = service.name
    for sub in service.subscriptions:
        node = builder.id_of("sub", svc, sub.name)
        for ref in sub.events:
            builder.edge(_event_id(builder, ref), node, "delivers")
        for ref in sub.emits:
            builder.edge(node, _event_id(builder, ref), "emits")
        if sub.signal and sub.workflow:
            _signal_edge(builder, links, svc, node, ir.SignalRef(sub.workflow, sub.signal, ()))
        elif sub.workflow:
            found = links.get((svc, sub.workflow))
            target = found.start if found else builder.id_of("wf", svc, sub.workflow)
            builder.edge(node, target, "starts")
        for signal in sub.signals:
            _signal_edge(builder, links, svc, node, signal)
    for task in _emitting_tasks(service):
        node = builder.id_of("task", svc, task.name)
        for ref in task.emits:
            builder.edge(node, _event_id(builder, ref), "emits")
        for signal in task.signals:
            _signal_edge(builder, links, svc, node, signal)


def _signal_edge(
    builder: GraphBuilder, links: dict[tuple[str, str], WorkflowLinks], svc: str, node: str,
    signal: ir.SignalRef,
) -> None:  # fmt: skip
    """A ``signals`` edge from ``node`` to the workflow (its first step when expanded)."""
    found = links.get((svc, signal.workflow))
    target = found.start if found else builder.id_of("wf", svc, signal.workflow)
    builder.edge(node, target, "signals", signal.name)


def _collapsed(builder: GraphBuilder, service: ir.Service, workflow: ir.Workflow) -> WorkflowLinks:
    """The links of a workflow drawn as one node: every edge leaves from that node."""
    node = builder.id_of("wf", service.name, workflow.name)
    found = WorkflowLinks(start=node)
    for step in walk_steps(workflow.steps):
        KINDS[step.kind].link(found, node, step)
    return found


def _connect_workflow(
    builder: GraphBuilder,
    service: ir.Service,
    found: WorkflowLinks,
    links: dict[tuple[str, str], WorkflowLinks],
) -> None:
    svc = service.name
    for node, ref in found.emits:
        builder.edge(node, _event_id(builder, ref), "emits")
    for node, ref in found.waits:
        builder.edge(_event_id(builder, ref), node, "delivers", "awaited")
    emitting = {t.name for t in _emitting_tasks(service)}
    for node, task in found.tasks:
        if task in emitting:
            builder.edge(node, builder.id_of("task", svc, task), "calls")
    for node, child in found.children:
        drawn = links.get((svc, child))
        builder.edge(node, drawn.start if drawn else builder.id_of("wf", svc, child), "calls")
