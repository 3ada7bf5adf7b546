"""Diagrams drawn by the real tools: the Mermaid CLI (`mmdc`, headless Chromium) and
Graphviz (`dot`). Every node of every diagram must come out with its label.

The tools are installed by `.ci/run` (Debian's chromium and graphviz, `npm ci` of
package.json). A missing tool fails these tests; set EVENTUALC_SKIP_RENDER=1 to skip
them on purpose. All Mermaid diagrams render in one `mmdc` run (one browser start).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.support import REPO

from eventualc.emit.diagrams import to_dot, to_mermaid
from eventualc.emit.package import emit_package
from eventualc.frontend import ir
from eventualc.graphs.choreography import event_graph
from eventualc.graphs.flowchart import flowchart
from eventualc.graphs.model import Cluster, Graph
from eventualc.pipeline import load

MMDC = REPO / "node_modules" / ".bin" / "mmdc"
PUPPETEER_CONFIG = Path(__file__).with_name("puppeteer-config.json")
SVG = "{http://www.w3.org/2000/svg}"
# Spec text that Mermaid and DOT would read as syntax, markup, entities or comments.
ODD = r"""
service: odd
events:
  Odd: {schema: string}
workflows:
  weird:
    input: string
    steps:
      - if: '${{ input == "a\"b #35; c;%%<b>x</b>&amp; `end` --> z" }}'
        then: [{emit: Odd, payload: "${{ input }}"}]
      - for_each: '${{ [input + "<i>", "%%{init: {}}%%", "\\n;"] }}'
        steps: [{set: {last: "${{ item }}"}}]
      - {fail: {error: Odd, message: "end"}}
"""


@pytest.fixture(scope="module")
def tools() -> None:
    if os.environ.get("EVENTUALC_SKIP_RENDER") == "1":
        pytest.skip("EVENTUALC_SKIP_RENDER=1")
    missing = [str(t) for t in (MMDC, Path("/usr/bin/chromium")) if not t.exists()]
    missing += [] if shutil.which("dot") else ["dot"]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `apt-get install chromium graphviz` and "
                    "`PUPPETEER_SKIP_DOWNLOAD=1 npm ci` (as .ci/run does)")  # fmt: skip


def build_of(folder: Path) -> ir.Build:
    result = load([folder], folder)
    assert result.ok and result.build is not None, result.diagnostics
    return result.build


def diagrams(tmp: Path) -> tuple[list[str], list[Graph]]:
    """Mermaid blocks of the generated READMEs and `eventualc graph`, with their graphs."""
    (tmp / "odd").mkdir()
    (tmp / "odd" / "odd.yaml").write_text(ODD)
    blocks: list[str] = []
    graphs: list[Graph] = []
    for folder in (REPO / "specs", REPO / "tests" / "golden" / "every_feature", tmp / "odd"):
        build = build_of(folder)
        files = emit_package(build)
        for service in build.services:
            readme = files[f"{service.name}/README.md"]
            blocks += re.findall(r"^```mermaid\n(.*?)^```$", readme, re.MULTILINE | re.DOTALL)
            graphs.append(event_graph(build, focus=service.name))
            graphs += [flowchart(service, w) for w in service.workflows]
        blocks.append(to_mermaid(event_graph(build, expand=True)))
        graphs.append(event_graph(build, expand=True))
    assert blocks == [to_mermaid(g) for g in graphs]  # the READMEs hold exactly these
    return blocks, graphs


def squeeze(text: str) -> str:
    return "".join(text.split())


def text_of(element: ET.Element) -> str:
    return squeeze("".join(element.itertext()))


def cluster_labels(clusters: tuple[Cluster, ...]) -> list[str]:
    return [label for c in clusters for label in [c.label, *cluster_labels(c.clusters)]]


def check_mermaid_svg(svg: Path, graph: Graph) -> None:
    root = ET.parse(svg).getroot()
    groups = {g.get("id", ""): g for g in root.iter(f"{SVG}g")}
    for node in graph.nodes:
        found = [g for i, g in groups.items() if re.search(rf"-flowchart-{node.id}-\d+$", i)]
        assert len(found) == 1, f"{svg.name}: node {node.id} not drawn"
        for line in node.lines:
            assert squeeze(line) in text_of(found[0]), f"{svg.name}: {node.id} lacks {line!r}"
    edges = [p for p in root.iter(f"{SVG}path") if p.get("data-edge") == "true"]
    assert len(edges) == len(graph.edges), svg.name
    drawn = text_of(root)
    assert all(squeeze(label) in drawn for label in cluster_labels(graph.clusters))
    assert "Syntaxerror" not in drawn


def test_mermaid_cli_draws_every_node_of_every_diagram(tools: None, tmp_path: Path) -> None:
    blocks, graphs = diagrams(tmp_path)
    document = tmp_path / "diagrams.md"
    document.write_text("".join(f"```mermaid\n{b}```\n\n" for b in blocks), encoding="utf-8")
    run = subprocess.run(
        [str(MMDC), "--quiet", "-p", str(PUPPETEER_CONFIG), "-i", str(document),
         "-o", str(tmp_path / "out.md")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    for i, graph in enumerate(graphs, start=1):
        check_mermaid_svg(tmp_path / f"out-{i}.svg", graph)


def test_graphviz_draws_every_node_of_the_dot_graphs(tools: None, tmp_path: Path) -> None:
    _, graphs = diagrams(tmp_path)
    for graph in graphs:
        run = subprocess.run(["dot", "-Tsvg"], input=to_dot(graph), capture_output=True,
                             text=True, timeout=60, check=False)  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr  # no syntax warnings either
        root = ET.fromstring(run.stdout)
        drawn = {}
        for group in root.iter(f"{SVG}g"):
            title = group.find(f"{SVG}title")
            if title is not None and group.get("class") == "node":
                drawn[title.text] = [t.text or "" for t in group.iter(f"{SVG}text")]
        assert drawn == {n.id: [" ".join(line.split()) for line in n.lines] for n in graph.nodes}
        edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
        assert len(edges) == len(graph.edges)
        clusters = [
            squeeze("".join(t.text or "" for t in g.iter(f"{SVG}text")))
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "cluster"
        ]
        assert sorted(clusters) == sorted(squeeze(c) for c in cluster_labels(graph.clusters))
