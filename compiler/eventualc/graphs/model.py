"""The value of a diagram: nodes, edges and nested clusters, ready for a renderer.

A ``Graph`` is data only. Node ids are made of ``[A-Za-z0-9_]``, start with a letter
and are unique in their graph, so every renderer can write them bare; labels are free
text (descriptions, expressions) that each renderer escapes for its own language.
``GraphBuilder`` assigns ids and collects clusters; the graphs of a build are made in
``choreography`` and ``flowchart``. The same input always gives the same graph, order
included, so rendered text is byte-identical across runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# What a node stands for; renderers pick a shape and a colour per kind.
NODE_KINDS = (
    "event", "subscription", "starter", "workflow", "task",  # choreography
    "start", "end", "child", "emit", "timer", "signal", "choice", "fork", "join",
    "loop", "try", "set", "fail", "return",  # workflow steps
)  # fmt: skip

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str
    lines: tuple[str, ...]  # the label: the name first, details after


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    label: str
    nodes: tuple[str, ...]
    clusters: tuple[Cluster, ...] = ()


@dataclass(frozen=True, slots=True)
class Graph:
    """``nodes`` in drawing order; a node listed in no cluster sits at the top level."""

    direction: str  # "LR" (left to right) or "TB" (top to bottom)
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...] = ()


@dataclass
class _OpenCluster:
    id: str
    label: str
    nodes: list[str] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


class GraphBuilder:
    """Collects nodes, edges and clusters; ``key`` -> id is stable and collision-free."""

    def __init__(self, direction: str) -> None:
        self._direction = direction
        self._nodes: list[Node] = []
        self._edges: list[Edge] = []
        self._ids: dict[tuple[str, ...], str] = {}
        self._taken: set[str] = set()
        self._open = [_OpenCluster("", "")]

    def id_of(self, *key: str) -> str:
        """The id for ``key`` (kind first, then names), made once and kept."""
        if key not in self._ids:
            base = "_".join(_UNSAFE.sub("_", part) for part in key if part).strip("_")
            candidate, n = base, 2
            while candidate in self._taken:
                candidate, n = f"{base}_{n}", n + 1
            self._ids[key] = candidate
            self._taken.add(candidate)
        return self._ids[key]

    def node(self, key: tuple[str, ...], kind: str, *lines: str | None) -> str:
        """A new node; empty or ``None`` lines are left out of its label."""
        node_id = self.id_of(*key)
        self._nodes.append(Node(node_id, kind, tuple(line for line in lines if line)))
        self._open[-1].nodes.append(node_id)
        return node_id

    def edge(self, source: str, target: str, kind: str, label: str = "") -> None:
        edge = Edge(source, target, kind, label)
        if edge not in self._edges:
            self._edges.append(edge)

    @contextmanager
    def cluster(self, key: tuple[str, ...], label: str) -> Iterator[None]:
        self._open.append(_OpenCluster(self.id_of("cluster", *key), label))
        try:
            yield
        finally:
            done = self._open.pop()
            cluster = Cluster(done.id, done.label, tuple(done.nodes), tuple(done.clusters))
            self._open[-1].clusters.append(cluster)

    def graph(self) -> Graph:
        top = self._open[0]
        return Graph(self._direction, tuple(self._nodes), tuple(self._edges), tuple(top.clusters))


def subgraph(graph: Graph, keep: set[str]) -> Graph:
    """``graph`` restricted to the nodes in ``keep``; empty clusters disappear."""
    return Graph(
        graph.direction,
        tuple(n for n in graph.nodes if n.id in keep),
        tuple(e for e in graph.edges if e.source in keep and e.target in keep),
        _kept_clusters(graph.clusters, keep),
    )


def _kept_clusters(clusters: tuple[Cluster, ...], keep: set[str]) -> tuple[Cluster, ...]:
    kept = []
    for cluster in clusters:
        nodes = tuple(n for n in cluster.nodes if n in keep)
        inner = _kept_clusters(cluster.clusters, keep)
        if nodes or inner:
            kept.append(Cluster(cluster.id, cluster.label, nodes, inner))
    return tuple(kept)
