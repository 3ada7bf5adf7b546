"""The event catalog `generated/<svc>/README.md`: what it says, and that spec text shows
as written in it. Markdown is parsed by markdown-it-py (CommonMark with GFM tables),
as a code host would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from tests.support import REPO

from eventualc.cli import cli
from eventualc.emit.catalog import HEADER, code, emit_catalog, markdown_text, table_cell
from eventualc.emit.diagrams import to_mermaid
from eventualc.emit.package import emit_package
from eventualc.emit.write import MANIFEST
from eventualc.frontend import ir
from eventualc.graphs.choreography import event_graph
from eventualc.graphs.flowchart import flowchart
from eventualc.pipeline import load

EVERY = REPO / "tests" / "golden" / "every_feature"
MARKDOWN = MarkdownIt("commonmark").enable("table")


def build_of(folder: Path) -> ir.Build:
    result = load([folder], folder)
    assert result.ok and result.build is not None, result.diagnostics
    return result.build


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def plain(text: str) -> str:
    return " ".join(text.split())


def visible_text(markdown: str) -> str:
    """The text a reader sees, and every kind of markup the parser made of it."""
    tokens = MARKDOWN.parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    shown = " ".join(
        "".join(c.content if c.type == "text" else " " for c in t.children or [])
        for t in tokens
        if t.type == "inline"
    )
    return " ".join(shown.split()) + "\0" + ",".join(sorted(kinds))


def test_build_writes_a_catalog_per_service() -> None:
    files = emit_package(build_of(EVERY))
    catalogs = sorted(p for p in files if p.endswith("README.md"))
    assert catalogs == ["billing/README.md", "shop/README.md"]
    assert all(files[p].startswith(HEADER + "\n") for p in catalogs)
    assert HEADER.startswith("<!-- DO NOT EDIT") and HEADER.endswith("-->")


def test_orders_catalog_documents_events_with_fields_example_and_users() -> None:
    build = build_of(REPO / "specs")
    text = emit_catalog(build, build.services[0])
    created = section(text, "### `OrderCreated`")
    assert "A customer placed an order." in created
    assert "| `orderId` | `string` | yes | The order's id. |" in created
    assert '```json\n{\n  "orderId": "order-1"\n}\n```' in created
    assert "Emitted by: nothing in this build." in created
    assert "Consumed by: subscription `processOrderPayment`." in created
    paid = section(text, "### `PaymentProcessed`")
    assert "Emitted by: subscription `processOrderPayment`." in paid
    assert "Consumed by: subscription `shipOrderAfterPayment`." in paid
    status = section(text, "### `OrderStatus`")
    assert '| `status` | `"Created" or "Paid" or "Shipped"` | yes |  |' in status
    task = section(text, "### `shipOrder`")
    assert "- handler: `handlers/ship_order.py`\n- input: `string`\n- output: `string`" in task
    workflow = section(text, "### `processOrder`")
    assert "- output: `object` (model `ProcessOrderOutput`)" in workflow
    assert "| `shippingId` | `string` | yes |  |" in workflow


def test_catalog_diagrams_are_the_service_graph_and_each_flowchart() -> None:
    build = build_of(EVERY)
    shop = build.service("shop")
    assert shop is not None
    text = emit_catalog(build, shop)
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    expected = [event_graph(build, focus="shop")] + [flowchart(shop, w) for w in shop.workflows]
    assert blocks == [to_mermaid(g) for g in expected]


def test_catalog_names_users_in_other_services_and_makes_examples() -> None:
    build = build_of(EVERY)
    shop = build.service("shop")
    assert shop is not None
    text = emit_catalog(build, shop)
    ping = section(text, "### `Ping`")
    assert "Emitted by: subscription `onOrder`, workflow `fulfil`." in ping
    assert "Consumed by: subscription `billing.onPing`." in ping
    assert "Payload: `string`." in ping
    cancelled = section(text, "### `OrderCancelled`")
    assert "Example (made from the schema; the spec gives none):" in cancelled
    made = json.loads(re.findall(r"```json\n(.*?)```", cancelled, re.DOTALL)[0])
    assert made == {"orderId": "string"}
    placed = section(text, "### `OrderPlaced`")
    assert "| `items[].quantity` | `integer, ≥ 1` | yes |  |" in placed
    assert "| `first-name` | `string` | no |  |" in placed
    assert "- retry: 3 attempts, 1s backoff ×2 up to 10s, full jitter, on `Timeout`" in text
    assert "- starts workflow: `fulfil`\n- input: `${{ event }}`" in text


def test_no_example_is_shown_when_a_made_one_would_not_fit(check_spec: object) -> None:
    result = check_spec(  # type: ignore[operator]
        "service: s\nevents:\n  Code: {schema: {type: string, pattern: '^x+$'}}\n"
    )
    text = emit_catalog(result.build, result.build.services[0])
    assert "Example" not in section(text, "### `Code`")


def test_spec_text_with_markup_shows_as_written_in_the_catalog() -> None:
    build = build_of(EVERY)
    shop = build.service("shop")
    assert shop is not None
    header, body = emit_catalog(build, shop).split("\n", 1)
    assert MARKDOWN.parse(header)[0].type == "html_block"  # the DO NOT EDIT comment
    seen = visible_text(body)
    assert plain(shop.description.replace("\0", "\ufffd")) in seen
    assert "html" not in seen.split("\0")[1]  # no raw HTML anywhere else...
    assert "\0" not in emit_catalog(build, shop)  # ...and no NUL to make it binary


@given(st.text())
def test_markdown_text_shows_exactly_its_text(text: str) -> None:
    shown, kinds = visible_text(markdown_text(text)).split("\0")
    expected = " ".join(re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", "\ufffd",
                               text.replace("\r\n", "\n")).split())  # fmt: skip
    assert shown == expected
    assert set(kinds.split(",")) <= {"", "inline", "paragraph_open", "paragraph_close", "text",
                                     "softbreak"}  # fmt: skip


@given(st.text(), st.text())
def test_table_cells_and_code_spans_stay_in_their_cell(description: str, name: str) -> None:
    row = f"| {code(name).replace('|', chr(92) + '|')} | {table_cell(description)} |"
    tokens = MARKDOWN.parse(f"| a | b |\n| --- | --- |\n{row}\n")
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    inline = [t for t in tokens if t.type == "inline"][2:]
    spans = [c for c in inline[0].children or [] if c.type == "code_inline"]
    shown_name = " ".join(name.replace("\r\n", "\n").split("\n"))
    if shown_name.strip():
        assert [s.content for s in spans] == [_code_content(shown_name)]


def _code_content(text: str) -> str:
    """What CommonMark shows for a code span's text: line ends as spaces, a space each
    side stripped when both are there, control characters as our U+FFFD."""
    text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", "\ufffd", text.replace("\t", " "))
    padded = "`" in text
    if padded or (text.startswith(" ") and text.endswith(" ") and text.strip()):
        return text if padded else text[1:-1]
    return text


def test_catalog_is_owned_and_protected_like_other_generated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.eventualc]\nspecs = 'specs'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "orders.yaml").write_text((REPO / "specs" / "orders.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    manifest = json.loads((tmp_path / "generated" / MANIFEST).read_text())
    assert "orders/README.md" in manifest["files"]
    readme = tmp_path / "generated" / "orders" / "README.md"
    readme.write_text(readme.read_text() + "my notes\n")
    edited = CliRunner().invoke(cli, ["build"])
    assert edited.exit_code == 1
    assert "generated/orders/README.md: edited by hand" in edited.output
