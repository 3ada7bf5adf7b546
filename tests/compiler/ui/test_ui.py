"""The console over HTTP: pages, escaping of hostile text, CSRF, read-only, tokens."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from tests.compiler.ui.harness import HANDLERS, SAGA_SPEC, Live, free_port, live_console
from tests.support import MakeService

from eventual import Service
from eventual.engine import Engine
from eventualc.cli.ui import TOKEN_ENV, choose_token
from eventualc.ui.forms import field_for, parse
from eventualc.ui.server import Settings

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def shop(make_service: MakeService) -> Service:
    return make_service(SAGA_SPEC, **HANDLERS)


def _failed_saga(live: Live) -> str:
    execution = live.engine.start("saga", 3, name=HOSTILE)
    live.wait(lambda: any(e.get("id") == "ok" for e in live.engine.history(execution)))
    live.engine.signal(execution, "go", False)
    live.wait(lambda: live.engine.finished(execution))
    return execution


def test_pages_escape_names_payloads_and_spec_text(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path) as live:
        execution = _failed_saga(live)
        live.engine.publish("Big", {"amount": 5000})
        live.wait(lambda: len(live.engine.dead_letters()) == 1)
        pages = ["/", f"/executions/{execution}", "/events", "/dead-letters", "/service"]
        for path in pages:
            status, html = live.get(path)
            assert status == 200, path
            assert "<img src=x" not in html and "<script>alert" not in html, path
            assert "too big <b>" not in html, path
        _, listing = live.get("/")
        assert "&lt;img src=x onerror=alert(1)&gt;" in listing
        _, page = live.get(f"/executions/{execution}")
        assert "&lt;/text&gt;&lt;script&gt;alert(2)" in page  # spec text in the flowchart
        _, service = live.get("/service")
        assert "&lt;script&gt;alert(" in service  # the service's description, escaped


def test_execution_page_shows_step_states_and_error(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path) as live:
        execution = _failed_saga(live)
        _, html = live.get(f"/executions/{execution}")
    states = {
        label: state for state, label in re.findall(r'<tr class="st-(\w+)"><td>([^<]+)</td>', html)
    }
    assert states["one"] == "compensated" and states["two"] == "compensated"
    assert states["ok"] == "done" and states["steps[3].then[0]"] == "failed"
    assert 'id="error"' in html and "Rejected" in html and "no go for 3" in html
    assert html.count('class="node st-compensated"') == 2  # the flowchart, coloured


def test_execution_page_shows_the_workflows_queries(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path) as live:
        execution = _failed_saga(live)
        _, html = live.get(f"/executions/{execution}")
    queries = html[html.index('id="queries"') :]
    queries = queries[: queries.index("</table>")]
    assert re.search(r"<td>twice</td><td><pre>6</pre>", queries), queries
    assert "&lt;i&gt;q&lt;/i&gt;3" in queries and "<i>q</i>" not in queries


def test_posts_need_the_csrf_token_and_same_origin(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path, worker=False) as live:
        execution = live.engine.start("saga", 1)
        assert live.post(f"/executions/{execution}/cancel", {})[0] == 403
        assert live.post(f"/executions/{execution}/cancel", {"csrf": "forged"})[0] == 403
        fields = {"csrf": live.settings.csrf}
        assert live.post(f"/executions/{execution}/cancel", fields, "http://evil.test")[0] == 403
        status, html = live.post(f"/executions/{execution}/cancel", fields)
        assert status == 200 and "cancel requested" in html


def test_read_only_hides_actions_and_refuses_posts(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path, Settings(read_only=True), worker=False) as live:
        execution = live.engine.start("saga", 1)
        _, html = live.get(f"/executions/{execution}")
        assert "Cancel execution" not in html and '<form method="post"' not in html
        status, _ = live.post(f"/executions/{execution}/cancel", {"csrf": live.settings.csrf})
        assert status == 403


def test_a_token_guards_every_page(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path, Settings(token="s3cret"), worker=False) as live:
        assert live.get("/")[0] == 401
        assert live.get("/?token=wrong")[0] == 401
        assert live.get("/", cookie="eventualc_ui=s3cret")[0] == 200


def test_binding_beyond_loopback_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert choose_token("127.0.0.1", None) is None
    with pytest.raises(click.UsageError, match="--token"):
        choose_token("0.0.0.0", None)
    assert choose_token("0.0.0.0", "abc") == "abc"
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert choose_token("0.0.0.0", None) == "from-env"


def test_signal_form_fields_follow_the_schema() -> None:
    assert field_for("go", False, None).kind == "none"
    assert parse(field_for("go", True, {"type": "boolean"}), "false") is False
    assert parse(field_for("n", True, {"type": "integer"}), "7") == 7
    assert parse(field_for("o", True, {"$ref": "#/x"}), '{"a": [1]}') == {"a": [1]}
    with pytest.raises(ValueError, match="integer"):
        parse(field_for("n", True, {"type": "integer"}), "seven")
    with pytest.raises(ValueError, match="JSON"):
        parse(field_for("o", True, {}), "NaN")


def test_the_command_serves_the_store_and_says_what_is_wrong(shop: Service, tmp_path: Path) -> None:
    eventualc = [sys.executable, "-m", "eventualc", "ui"]
    missing = subprocess.run([*eventualc, "--db", "nothing.db"], capture_output=True, text=True)
    assert missing.returncode == 1 and "no engine store at nothing.db" in missing.stderr
    exposed = subprocess.run([*eventualc, "--host", "0.0.0.0"], capture_output=True, text=True)
    assert exposed.returncode == 2 and "--token" in exposed.stderr
    Engine(tmp_path / "s.db", [shop]).close()
    port = free_port()
    server = subprocess.Popen([*eventualc, "--db", "s.db", "--port", str(port), "--read-only"],
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.2)
        assert "read-only" in page and "No executions match." in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_events_show_what_they_started_and_timers_their_due_time(
    shop: Service, tmp_path: Path
) -> None:
    with live_console(shop, tmp_path) as live:
        event = live.engine.publish("Nap", {"n": 2})
        live.wait(lambda: bool(live.engine.executions(workflow="nap")))
        execution = live.engine.executions(workflow="nap")[0]
        live.wait(lambda: len(live.engine.history(execution.id)) >= 2)
        _, events = live.get("/events?name=Nap")
        _, page = live.get(f"/executions/{execution.id}")
    assert f'started <a href="/executions/{execution.id}">' in events
    assert "shop.startNap" in events
    assert f"started by event {event} through shop.startNap" in page
    found = re.search(r"<td>timer, due (\S+ \S+) UTC</td>", page)
    assert found is not None, page
    due = datetime.fromisoformat(found.group(1)).replace(tzinfo=UTC)
    assert abs((due - execution.started - timedelta(hours=1)).total_seconds()) < 2


def test_events_show_the_executions_they_signalled(shop: Service, tmp_path: Path) -> None:
    with live_console(shop, tmp_path) as live:
        execution = live.engine.start("saga", 2, name="s-1")
        live.wait(lambda: any(e.get("id") == "ok" for e in live.engine.history(execution)))
        live.engine.publish("Go", {"id": "s-1", "go": True})
        live.wait(lambda: live.engine.finished(execution))
        _, events = live.get("/events?name=Go")
    assert f'signalled <a href="/executions/{execution}">' in events
    assert "shop.goSaga" in events


def test_an_older_store_gains_the_event_links(shop: Service, tmp_path: Path) -> None:
    Engine(tmp_path / "old.db", [shop]).close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("DROP TABLE event_executions")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.close()
    engine = Engine(tmp_path / "old.db", [shop])
    try:
        tables = {r[0] for r in engine.store.db.execute("SELECT name FROM sqlite_master")}
        assert "event_executions" in tables
    finally:
        engine.close()


def test_the_command_on_aws_needs_a_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from eventualc.cli.ui import ui

    monkeypatch.delenv("EVENTUAL_STACK", raising=False)
    missing = CliRunner().invoke(ui, ["--aws"])
    assert missing.exit_code == 2 and "--aws needs a stack" in missing.output
    both = CliRunner().invoke(ui, ["--aws", "--stack", "s", "--db", "x.db"])
    assert both.exit_code == 2 and "not both" in both.output
