"""The graphs of a build (`eventualc graph`): what is connected to what, ids, text.

Graph values are checked as data (edges between named nodes); the Mermaid and DOT
text as text. Rendering by the real Mermaid CLI and Graphviz is in test_render.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from tests.support import REPO, eventualc

from eventualc.cli import cli
from eventualc.emit.diagrams import dot_text, mermaid_text, to_dot, to_mermaid
from eventualc.frontend import ir
from eventualc.graphs.choreography import event_graph
from eventualc.graphs.flowchart import flowchart
from eventualc.graphs.labels import expression_text
from eventualc.graphs.model import Graph
from eventualc.graphs.select import choose_graph
from eventualc.pipeline import load

EVERY = REPO / "tests" / "golden" / "every_feature"


def build_of(folder: Path) -> ir.Build:
    result = load([folder], folder)
    assert result.ok and result.build is not None, result.diagnostics
    return result.build


def labelled_edges(graph: Graph) -> set[tuple[str, str, str, str]]:
    """Edges as (source's first label line, kind, label, target's first label line)."""
    first = {n.id: n.lines[0] for n in graph.nodes}
    return {(first[e.source], e.kind, e.label, first[e.target]) for e in graph.edges}


def test_the_example_ping_pongs_events_between_subscriptions() -> None:
    graph = event_graph(build_of(REPO / "specs"))
    assert labelled_edges(graph) == {
        ("OrderCreated", "delivers", "", "processOrderPayment"),
        ("processOrderPayment", "emits", "", "PaymentProcessed"),
        ("PaymentProcessed", "delivers", "", "shipOrderAfterPayment"),
        ("shipOrderAfterPayment", "emits", "", "OrderShipped"),
        ("OrderShipped", "delivers", "", "updateOrderStatus"),
    }
    assert {n.lines[0]: n.kind for n in graph.nodes}["processOrder"] == "workflow"
    assert [c.label for c in graph.clusters] == ["service orders"]


def test_event_graph_crosses_services_and_starts_workflows() -> None:
    graph = event_graph(build_of(EVERY))
    edges = labelled_edges(graph)
    assert ("Ping", "delivers", "", "onPing") in edges  # shop's event, billing's subscription
    assert ("InvoicePaid", "delivers", "", "onInvoice") in edges
    assert ("startFulfil", "starts", "", "fulfil") in edges
    assert ("fulfil", "emits", "", "OrderCancelled") in edges  # an emit step in a catch
    assert ("fulfil", "calls", "", "charge") in edges  # a task that emits...
    assert ("charge", "emits", "", "InvoicePaid") in edges
    assert ("fulfil", "calls", "", "child") in edges
    assert not {e for e in edges if e[3] in ("reserveStock", "notify")}  # ...and no others
    kinds = {n.lines[0]: n.kind for n in graph.nodes}
    assert (kinds["startFulfil"], kinds["onOrder"], kinds["Ping"]) == (
        "starter", "subscription", "event",
    )  # fmt: skip


def test_expanded_graph_links_steps_to_events_and_starts_to_flowcharts() -> None:
    graph = event_graph(build_of(EVERY), expand=True)
    edges = labelled_edges(graph)
    assert {
        ("startFulfil", "starts", "", "start"),
        ("emit Ping", "emits", "", "Ping"),
        ("emit OrderCancelled", "emits", "", "OrderCancelled"),
        ("task charge", "calls", "", "charge"),
        ("workflow child", "calls", "", "start"),
    } <= edges
    shop = next(c for c in graph.clusters if c.label == "service shop")
    assert [c.label for c in shop.clusters] == ["workflow child", "workflow fulfil"]


def test_focus_keeps_one_service_and_its_direct_neighbours() -> None:
    graph = event_graph(build_of(EVERY), focus="billing")
    names = {n.lines[0] for n in graph.nodes}
    # billing's own nodes, the shop event it consumes, the shop nodes next to its event
    # (fulfil waits for it)
    assert names == {"InvoicePaid", "onPing", "Ping", "charge", "onInvoice", "fulfil"}
    assert [c.label for c in graph.clusters] == ["service billing", "service shop"]


def test_flowchart_has_every_step_kind_and_its_edges() -> None:
    service = build_of(EVERY).service("shop")
    assert service is not None
    fulfil = next(w for w in service.workflows if w.name == "fulfil")
    graph = flowchart(service, fulfil)
    kinds = {n.kind for n in graph.nodes}
    assert kinds >= {"start", "end", "task", "child", "emit", "timer", "signal", "choice",
                     "fork", "join", "loop", "try", "set", "fail", "return"}  # fmt: skip
    edges = labelled_edges(graph)
    assert {
        ("start", "flow", "", "task reserveStock"),
        ("task reserveStock", "compensate", "compensate (also on failure)", "task notify"),
        ("task charge", "catch", "catch Timeout", "fail PaymentTimeout"),
        ("task charge", "flow", "", "emit Ping"),
        ("sleep 1h30m", "flow", "", "sleep 60 * 2"),
        ('sleep until now + duration("1h")', "flow", "", "wait for signal approval"),
        ("if steps.ok.output.approved", "flow", "then", "set vars.status"),
        ("parallel", "flow", "left", "task countItems"),
        ("parallel", "flow", "right", "task anything"),
        ("task anything", "flow", "", "join"),
        ("for each line in input.items", "flow", "each", "task countItems"),
        ("task countItems", "flow", "next", "for each line in input.items"),
        ("for each line in input.items", "flow", "done", "try"),
        ("try", "catch", "catch any error", "emit OrderCancelled"),
        ("if problem.error == \"Fatal\"", "flow", "then", "fail problem"),
        ("wait for event Shipped by orderId", "flow", "",
         "wait for event billing.InvoicePaid by invoiceId"),
        ("wait for event billing.InvoicePaid by invoiceId", "flow", "",
         "wait for signal approval or poke"),
        ("while vars.n < 3", "flow", "repeat", "set vars.n"),
        ("if vars.n == 2", "flow", "then", "continue"),
        ("continue", "flow", "continue", "while vars.n < 3"),
        ("if vars.n > 2", "flow", "then", "break"),
        ("break", "flow", "break", "return"),
        ("while vars.n < 3", "flow", "done", "return"),
    } <= edges  # fmt: skip
    # a catch goes on after the failed step: both the block and the handler reach the
    # step after it
    assert {
        ("workflow child", "flow", "", "wait for event Shipped by orderId"),
        ('if problem.error == "Fatal"', "flow", "else", "wait for event Shipped by orderId"),
        ("return", "flow", "", "end"),
    } <= edges
    # fail ends its path: nothing leaves it
    fails = {n.id for n in graph.nodes if n.kind == "fail"}
    assert fails and not [e for e in graph.edges if e.source in fails]


def test_node_ids_are_unique_and_safe_and_labels_hold_the_spec_text() -> None:
    build = build_of(EVERY)
    for graph in (event_graph(build, expand=True), event_graph(build)):
        ids = [n.id for n in graph.nodes]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", i) for i in ids)
        assert {e.source for e in graph.edges} | {e.target for e in graph.edges} <= set(ids)


def test_graph_text_is_deterministic() -> None:
    first = [to_mermaid(event_graph(build_of(EVERY), expand=True)),
             to_dot(event_graph(build_of(EVERY), expand=True))]  # fmt: skip
    again = [to_mermaid(event_graph(build_of(EVERY), expand=True)),
             to_dot(event_graph(build_of(EVERY), expand=True))]  # fmt: skip
    assert first == again


def test_long_expressions_are_shortened_to_one_line() -> None:
    assert expression_text("${{ input.x }}") == "input.x"
    assert expression_text("order ${{ input.id }}") == "order ${{ input.id }}"
    long = expression_text("${{ " + " && ".join(["input.flag"] * 20) + " }}")
    assert len(long) == 48 and long.endswith("…")
    assert expression_text({"b": 1, "a": "x\ny"}) == '{"a": "x\\ny", "b": 1}'


@given(st.text())
def test_mermaid_labels_cannot_end_their_string_or_hold_markup(text: str) -> None:
    escaped = mermaid_text(text)
    entities = {"35": "#", "quot": '"', "lt": "<", "gt": ">", "amp": "&", "37": "%", "59": ";",
                "96": "`", "92": "\\"}  # fmt: skip
    # every '#' starts one of the entity codes, so no spec text is read as one...
    assert re.fullmatch(r"(?:[^#]|#(?:35|quot|lt|gt|amp|37|59|96|92);)*", escaped, re.DOTALL)
    # ...and outside them nothing can end the string, start markup, a comment or a line
    assert not set(re.sub(r"#\w+;", "", escaped)) & set('"<>`%;&\\\n\r')
    decoded = re.sub(r"#(\w+);", lambda m: entities[m.group(1)], escaped)
    assert decoded == "".join(" " if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)


@given(st.text())
def test_dot_labels_cannot_end_their_string(text: str) -> None:
    escaped = dot_text(text)
    assert "\n" not in escaped
    # unescaping the DOT string gives the text back (control characters as spaces)
    assert not re.search(r"&(?!amp;)", escaped)  # Graphviz decodes HTML entities
    unescaped = re.sub(r"\\(.)", r"\1", escaped).replace("&amp;", "&")
    assert unescaped == "".join(" " if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)
    assert not re.search(r'(?<!\\)(?:\\\\)*"', escaped)


def test_choose_graph_resolves_workflow_names() -> None:
    build = build_of(EVERY)
    assert choose_graph(build, None, "fulfil") == choose_graph(build, None, "shop.fulfil")
    assert choose_graph(build, "shop", "fulfil") == choose_graph(build, None, "fulfil")
    with pytest.raises(
        ValueError, match=r"no workflow 'nope' \(workflows: shop\.child, shop\.fulfil\)"
    ):
        choose_graph(build, None, "nope")
    with pytest.raises(
        ValueError, match=r"no service 'nope' in these specs \(services: billing, shop\)"
    ):
        choose_graph(build, "nope", None)
    with pytest.raises(ValueError, match="not in service 'billing'"):
        choose_graph(build, "billing", "shop.fulfil")


def test_graph_command_prints_mermaid_or_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    mermaid = CliRunner().invoke(cli, ["graph"])
    assert mermaid.exit_code == 0, mermaid.output
    assert mermaid.output == to_mermaid(event_graph(build_of(REPO / "specs"), expand=True))
    dot = CliRunner().invoke(cli, ["graph", "--format", "dot", "--workflow", "processOrder"])
    assert dot.exit_code == 0
    assert dot.output.startswith('digraph "eventual" {\n    rankdir=TB;')
    assert dot.output.endswith("}\n")
    assert '[label="task shipOrder\\nshipping"' in dot.output


def test_graph_command_reports_spec_errors_and_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(
        "service: a\nsubscriptions:\n  s: {events: [Nope]}\n"
    )
    broken = eventualc(tmp_path, "graph")
    assert broken.returncode == 1
    assert broken.stdout == ""  # stdout is for the diagram only
    assert "specs/a.yaml:3:16: error[E306]: unknown event 'Nope'" in broken.stderr
    (tmp_path / "specs" / "a.yaml").write_text("service: a\nevents:\n  E: {schema: string}\n")
    for args, message in (
        (("--workflow", "w"), "no workflow 'w' (workflows: none)"),
        (("--service", "b"), "no service 'b' in these specs (services: a)"),
        (("--format", "svg"), "Invalid value for '--format'"),
    ):
        result = eventualc(tmp_path, "graph", *args)
        assert (result.returncode, result.stdout) == (2, "")
        assert message in result.stderr and "Traceback" not in result.stderr
