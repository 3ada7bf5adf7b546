"""The console over a deployed stack (``eventualc ui --aws``), on the moto stacks: the
list with filters and paging, an execution page with step states, a timer's due time
and history, a signal sent from its form, dead letters redriven, and the pages that
say what the AWS runtime does not record."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tests.compiler.ui.harness import Http, served
from tests.runtime.aws.support import Aws, waiting_for_signal

from eventual.status import ExecutionStatus
from eventualc.pipeline import load
from eventualc.ui.aws import AwsReads
from eventualc.ui.pages import Console
from eventualc.ui.source import Filters

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def console(aws: Aws) -> Iterator[Http]:
    root = aws.project.root
    build = load([root / "specs" / "trips.yaml"], root).build
    with served(Console(AwsReads(aws.client("trips")), build)) as http:
        yield http


def test_the_list_filters_and_pages_by_cursor(aws: Aws, console: Http) -> None:
    client = aws.client("trips")
    done = client.start("bookTrip", "ui-list", name=HOSTILE)
    aws.finish(client, done)
    status, html = console.get("/?workflow=bookTrip&status=SUCCEEDED")
    assert status == 200 and f'href="/executions/{done}"' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "not start time" in html  # how AWS pages, said on the page
    rows = re.findall(r"<td>trips\.(\w+)</td>", html)
    assert rows and set(rows) == {"bookTrip"}
    _, other = console.get("/?workflow=approval")
    assert f"/executions/{done}" not in other
    reads = AwsReads(client)
    seen: list[str] = []
    page = reads.executions(Filters(), None, limit=3)
    while True:
        seen += [row.id for row in page.rows]
        if not page.after:
            break
        page = reads.executions(Filters(), page.after, limit=3)
    assert len(seen) == len(set(seen)) and sorted(seen) == sorted(v.id for v in client.list())


def test_an_execution_page_shows_states_due_time_and_takes_a_signal(
    aws: Aws, console: Http
) -> None:
    client = aws.client("trips")
    execution = client.start("approval", "ui-signal")
    aws.harness.run(until=lambda: waiting_for_signal(client, execution), timeout=30)
    status, html = console.get(f"/executions/{execution}")
    assert status == 200 and 'id="status">IN_PROGRESS' in html
    step = re.search(r'<tr class="st-waiting"><td>decision</td><td>[^<]*</td>'
                     r'<td><span class="state">waiting</span></td><td>([^<]*)</td>', html)  # fmt: skip
    assert step is not None and step.group(1).startswith("signal approve, timeout at 20")
    assert 'id="history"' in html and "ExecutionStarted" in html
    status, page = console.post(f"/executions/{execution}/signal",
                                {"csrf": console.settings.csrf, "signal": "approve",
                                 "payload": '{"by": "ui"}'})  # fmt: skip
    assert status == 200 and "signal approve sent" in page
    view = aws.finish(client, execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, "ui-signal approved by ui")
    _, html = console.get(f"/executions/{execution}")
    assert "ui-signal approved by ui" in html and "Send approve" not in html
    assert '<tr class="st-done"><td>decision</td>' in html


def test_children_dead_letters_and_what_aws_does_not_record(aws: Aws, console: Http) -> None:
    client = aws.client("trips")
    parent = client.start("family", "ui-fam")
    aws.finish(client, parent)
    _, html = console.get(f"/executions/{parent}")
    child = next(v for v in client.list(workflow="bookTrip") if v.parent == parent)
    assert f'href="/executions/{child.id}"' in html
    client.publish("Glitch", {"n": 9173})
    mine = lambda: [d for d in client.dead_letters() if d.payload == {"n": 9173}]  # noqa: E731
    aws.harness.run(until=lambda: bool(mine()), timeout=30)
    _, letters = console.get("/dead-letters")
    assert "glitch 9173" in letters
    fields = {"csrf": console.settings.csrf, "selected": "1", "id": str(mine()[0].id)}
    status, page = console.post("/dead-letters/redrive", fields)
    assert status == 200 and "1 redriven" in page and not mine()
    _, events = console.get("/events")
    assert 'id="events-unavailable"' in events and "no event log" in events
    failed = client.start("bookTrip", "broke-ui")
    assert aws.finish(client, failed).status is ExecutionStatus.FAILED
    _, html = console.get(f"/executions/{failed}")
    assert "embedded engine only" in html and f"/executions/{failed}/restart" not in html
    status, _ = console.post(f"/executions/{failed}/restart", {"csrf": console.settings.csrf})
    assert status == 200  # back to its page, which says why
