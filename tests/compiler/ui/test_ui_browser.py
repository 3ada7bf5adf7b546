"""The console in a real browser: Debian's headless chromium driven by Playwright.

Each test starts the console on a free port over a new store, drives the pages as a
person would, fails on any console error or uncaught exception in a page, and keeps a
screenshot of each page under ``.ci/artifacts/ui/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.compiler.ui.harness import HANDLERS, SAGA_SPEC, Live, live_console
from tests.support import REPO, MakeService

from eventual import Service

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / ".ci" / "artifacts" / "ui"


@pytest.fixture
def shop(make_service: MakeService) -> Service:
    return make_service(SAGA_SPEC, **HANDLERS)


class Browser:
    """One page; every console error and page exception is collected in ``errors``."""

    def __init__(self, page: object, live: Live) -> None:
        self.page: playwright.Page = page  # type: ignore[assignment]
        self.live = live
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str) -> playwright.Page:
        self.page.goto(self.live.url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("the console's browser tests need Debian's chromium at /usr/bin/chromium")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def _browser(chromium: object, live: Live) -> Browser:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    return Browser(context.new_page(), live)


def test_a_failed_saga_shows_its_states_timeline_and_error(
    shop: Service, tmp_path: Path, chromium: object
) -> None:
    with live_console(shop, tmp_path) as live:
        execution = live.engine.start("saga", 3, name="order <b>42</b>")
        live.wait(lambda: any(e.get("id") == "ok" for e in live.engine.history(execution)))
        live.engine.signal(execution, "go", False)
        live.wait(lambda: live.engine.finished(execution))
        browser = _browser(chromium, live)
        page = browser.open("/")
        row = page.locator("#executions tbody tr").first
        assert "FAILED" in row.inner_text() and "order <b>42</b>" in row.inner_text()
        row.locator("a").click()
        page.wait_for_url(f"**/executions/{execution}")
        states = {
            r.locator("td").nth(0).inner_text(): r.locator(".state").inner_text()
            for r in page.locator("#steps tbody tr").all()
        }
        assert states["one"] == "compensated" and states["two"] == "compensated"
        assert states["ok"] == "done" and states["steps[3].then[0]"] == "failed"
        assert page.locator("#flowchart g.node.st-compensated").count() == 2
        assert page.locator("#flowchart g.node.st-failed").count() >= 1
        assert page.locator("#timeline rect").count() >= len(states)
        error = page.locator("#error").inner_text()
        assert "Rejected" in error and "no go for 3" in error
        assert page.locator("#actions").count() == 0  # an ended execution has no actions
        browser.shot("execution")
        browser.shot("execution-view", full_page=False)  # the README's picture
        for name, path in [("executions", "/"), ("events", "/events"),
                           ("dead-letters", "/dead-letters"), ("service", "/service")]:  # fmt: skip
            browser.open(path)
            browser.shot(name)
        assert page.locator("#choreography svg").count() == 1
        page = browser.open(f"/executions/{execution}")
        with page.expect_navigation():
            page.get_by_role("button", name="Restart from the failed step").click()
        assert f"restarted from {execution}" in page.locator(".notice").inner_text()
        restarted = page.url.rsplit("/", 1)[1].split("?")[0]
        assert restarted != execution
        page.locator("#steps tr.st-waiting", has_text="ok").wait_for(timeout=20_000)
        states = {
            r.locator("td").nth(0).inner_text(): r.locator(".state").inner_text()
            for r in page.locator("#steps tbody tr").all()
        }
        assert states["one"] == "done" and states["two"] == "done"  # reused, not run
        tasks = [e for e in live.engine.history(restarted) if e["type"] == "TaskScheduled"]
        assert tasks == []
        browser.shot("execution-restarted")
        assert browser.errors == []


def test_a_signal_sent_from_the_form_finishes_the_execution_live(
    shop: Service, tmp_path: Path, chromium: object
) -> None:
    with live_console(shop, tmp_path, worker=False) as live:
        execution = live.engine.start("saga", 5)
        browser = _browser(chromium, live)
        page = browser.open(f"/executions/{execution}")
        assert page.locator("#status").inner_text() == "IN_PROGRESS"
        form = page.locator("form.signal")
        form.locator("select[name=payload]").select_option("true")
        with page.expect_navigation():
            form.locator("button").click()
        assert "signal go sent" in page.locator(".notice").inner_text()
        assert page.locator("#status").inner_text() == "IN_PROGRESS"  # no worker yet
        loads: list[str] = []
        page.on("load", lambda _: loads.append(page.url))
        live.start_worker()
        page.locator("#status", has_text="SUCCEEDED").wait_for(timeout=20_000)
        assert page.locator("#result").inner_text() == "10"
        assert page.locator("#steps .state", has_text="running").count() == 0  # return: done
        assert page.locator("#actions").count() == 0
        assert loads == []  # updated in place, never reloaded
        browser.shot("execution-signalled")
        assert browser.errors == []


def test_a_dead_letter_is_redriven_from_the_page(
    shop: Service, tmp_path: Path, chromium: object
) -> None:
    with live_console(shop, tmp_path) as live:
        live.engine.publish("Big", {"amount": 5000})
        live.wait(lambda: len(live.engine.dead_letters()) == 1)
        browser = _browser(chromium, live)
        page = browser.open("/dead-letters")
        assert "TooBig" in page.locator("#dead-letters").inner_text()
        browser.shot("dead-letters-before")
        (tmp_path / "allow-big").write_text("")  # the handler succeeds from now on
        page.locator("input[name=id]").first.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Redrive selected").click()
        assert "1 redriven" in page.locator(".notice").inner_text()
        live.wait(lambda: live.engine.idle())
        page = browser.open("/events")
        assert "onBig: delivered" in page.locator("#events").inner_text()
        assert live.engine.dead_letters() == []
        assert browser.errors == []
