"""Diagram text: a ``graph.Graph`` -> Mermaid flowchart or Graphviz DOT source.

Node ids are safe as they are (``graph`` guarantees ``[A-Za-z0-9_]``); every label is
escaped for its language here, so no spec text can end a string, start a statement,
inject markup or a comment: Mermaid labels are quoted with ``"``, ``#``, ``<``, ``>``,
``&``, ``%``, ``;``, backticks and backslashes (``\\n`` is a line break to Mermaid)
written as Mermaid entity codes; DOT labels are quoted with ``\\`` and ``"`` escaped
and ``&`` as ``&amp;``. Control characters become spaces. Output is a
function of the graph alone, so it is byte-identical across runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eventualc.graphs.model import Cluster, Edge, Graph, Node

# Mermaid shape brackets and DOT shapes per node kind (kinds: ``graph.NODE_KINDS``).
_MERMAID_SHAPES = {
    "event": ('(["', '"])'), "subscription": ('["', '"]'), "starter": ('{{"', '"}}'),
    "workflow": ('[["', '"]]'), "task": ('["', '"]'), "start": ('(("', '"))'),
    "end": ('((("', '")))'), "child": ('[["', '"]]'), "emit": ('>"', '"]'),
    "timer": ('("', '")'), "signal": ('[/"', '"/]'), "choice": ('{"', '"}'),
    "fork": ('[/"', '"\\]'), "join": ('[\\"', '"/]'), "loop": ('{{"', '"}}'),
    "try": ('["', '"]'), "set": ('[("', '")]'), "fail": ('[\\"', '"\\]'),
    "return": ('(["', '"])'),
}  # fmt: skip
_DOT_SHAPES = {
    "event": "box", "subscription": "box", "starter": "hexagon", "workflow": "box3d",
    "task": "box", "start": "circle", "end": "doublecircle", "child": "box3d", "emit": "cds",
    "timer": "ellipse", "signal": "parallelogram", "choice": "diamond", "fork": "trapezium",
    "join": "invtrapezium", "loop": "hexagon", "try": "box", "set": "cylinder",
    "fail": "octagon", "return": "box",
}  # fmt: skip
_ROUNDED = {"event", "return"}
_COLOURS = {
    "event": ("#fff4d6", "#b45309"), "subscription": ("#dbeafe", "#1d4ed8"),
    "starter": ("#dbeafe", "#1d4ed8"), "workflow": ("#ede9fe", "#6d28d9"),
    "child": ("#ede9fe", "#6d28d9"), "task": ("#dcfce7", "#15803d"),
    "emit": ("#fff4d6", "#b45309"), "timer": ("#fce7f3", "#be185d"),
    "signal": ("#fce7f3", "#be185d"), "fail": ("#fee2e2", "#b91c1c"),
    "start": ("#e5e7eb", "#374151"), "end": ("#e5e7eb", "#374151"),
}  # fmt: skip
_PLAIN = ("#f8fafc", "#475569")
_MERMAID_ARROWS = {
    "starts": "==>", "calls": "-.->", "catch": "-.->", "compensate": "-.->", "signals": "-.->",
}  # fmt: skip
_DOT_EDGE_STYLES = {
    "starts": ' style=bold', "calls": ' style=dashed', "catch": ' style=dashed color="#b91c1c"',
    "compensate": ' style=dotted', "signals": ' style=dashed color="#be185d"',
}  # fmt: skip
_MERMAID_ENTITIES = {
    "#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
    "%": "#37;", ";": "#59;", "`": "#96;", "\\": "#92;",
}  # fmt: skip


def _one_line(text: str) -> str:
    return "".join(" " if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in text)


def mermaid_text(text: str) -> str:
    """``text`` for the inside of a quoted Mermaid label, shown exactly as given."""
    return "".join(_MERMAID_ENTITIES.get(c, c) for c in _one_line(text))


def dot_text(text: str) -> str:
    """``text`` for the inside of a quoted DOT string, shown exactly as given."""
    # Graphviz reads `\\x` escapes (`\\N` is the node's name) and HTML entities in labels.
    escaped = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("&", "&amp;")


@dataclass(frozen=True, slots=True)
class _Syntax:
    """How one language writes a node, the lines opening a cluster, its end, an edge."""

    node: Callable[[Node], str]
    cluster: Callable[[Cluster], list[str]]
    end: str
    edge: Callable[[Edge], str]


def _statements(graph: Graph, syntax: _Syntax) -> list[str]:
    """Top-level nodes, then clusters with their nodes, then edges; indented."""
    nodes = {n.id: n for n in graph.nodes}
    lines = [f"    {syntax.node(nodes[n])}" for n in _top_level(graph)]
    for cluster in graph.clusters:
        lines += _cluster(cluster, nodes, 1, syntax)
    return lines + [f"    {syntax.edge(e)}" for e in graph.edges]


def _cluster(
    cluster: Cluster, nodes: dict[str, Node], depth: int, syntax: _Syntax
) -> Iterator[str]:
    pad = "    " * depth
    yield from (pad + line for line in syntax.cluster(cluster))
    yield from (f"{pad}    {syntax.node(nodes[n])}" for n in cluster.nodes)
    for inner in cluster.clusters:
        yield from _cluster(inner, nodes, depth + 1, syntax)
    yield pad + syntax.end


def to_mermaid(graph: Graph) -> str:
    """A Mermaid ``flowchart``, ending with a newline."""
    lines = [f"flowchart {graph.direction}", *_statements(graph, _MERMAID)]
    for kind in sorted({n.kind for n in graph.nodes}):
        fill, stroke = _COLOURS.get(kind, _PLAIN)
        members = ",".join(n.id for n in graph.nodes if n.kind == kind)
        lines.append(f"    classDef k_{kind} fill:{fill},stroke:{stroke},color:#111827")
        lines.append(f"    class {members} k_{kind}")
    return "\n".join(lines) + "\n"


def _mermaid_node(node: Node) -> str:
    opening, closing = _MERMAID_SHAPES[node.kind]
    # Implementation note: lines are joined by a newline inside the quotes, not `<br>`:
    # a label holding `<br>` is split again at every backslash-n, even an escaped one.
    return f"{node.id}{opening}{chr(10).join(mermaid_text(line) for line in node.lines)}{closing}"


def _mermaid_cluster(cluster: Cluster) -> list[str]:
    return [f'subgraph {cluster.id}["{mermaid_text(cluster.label)}"]']


def _mermaid_edge(edge: Edge) -> str:
    arrow = _MERMAID_ARROWS.get(edge.kind, "-->")
    label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
    return f"{edge.source} {arrow}{label} {edge.target}"


_MERMAID = _Syntax(_mermaid_node, _mermaid_cluster, "end", _mermaid_edge)


def to_dot(graph: Graph, name: str = "eventual") -> str:
    """A Graphviz ``digraph``, ending with a newline."""
    lines = [
        f'digraph "{dot_text(name)}" {{',
        f'    rankdir={graph.direction}; fontname="Helvetica";',
        '    node [fontname="Helvetica" fontsize=11 style=filled];',
        '    edge [fontname="Helvetica" fontsize=10];',
        *_statements(graph, _DOT),
    ]
    return "\n".join([*lines, "}"]) + "\n"


def _dot_node(node: Node) -> str:
    label = "\\n".join(dot_text(line) for line in node.lines)
    fill, stroke = _COLOURS.get(node.kind, _PLAIN)
    style = "rounded,filled" if node.kind in _ROUNDED else "filled"
    shape = _DOT_SHAPES[node.kind]
    return (
        f'"{node.id}" [label="{label}" shape={shape} style="{style}" '
        f'fillcolor="{fill}" color="{stroke}"];'
    )


def _dot_cluster(cluster: Cluster) -> list[str]:
    # Graphviz draws a subgraph as a box only when its name starts with "cluster".
    name = cluster.id if cluster.id.startswith("cluster") else f"cluster_{cluster.id}"
    return [
        f'subgraph "{name}" {{',
        f'    label="{dot_text(cluster.label)}"; style="rounded"; color="#94a3b8";',
    ]


def _dot_edge(edge: Edge) -> str:
    label = f' label="{dot_text(edge.label)}"' if edge.label else ""
    style = _DOT_EDGE_STYLES.get(edge.kind, "")
    attributes = (label + style).strip()
    return f'"{edge.source}" -> "{edge.target}"' + (f" [{attributes}];" if attributes else ";")


_DOT = _Syntax(_dot_node, _dot_cluster, "}", _dot_edge)


def _top_level(graph: Graph) -> list[str]:
    inside: set[str] = set()
    stack = list(graph.clusters)
    while stack:
        cluster = stack.pop()
        inside |= set(cluster.nodes)
        stack += cluster.clusters
    return [n.id for n in graph.nodes if n.id not in inside]
