"""A live console for tests: a service, its engine with a worker thread, and the
console's server on a free port, all in this process; stopped on exit."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from tests.parity import DOUBLE

from eventual import Service
from eventual.engine import Engine
from eventualc.pipeline import load
from eventualc.ui.pages import Console
from eventualc.ui.server import Settings, create_app

SAGA_SPEC = """\
service: shop
description: "A shop <script>alert('spec')</script>"
events:
  Big:
    description: "big <img src=x onerror=alert(1)>"
    schema: {type: object, required: [amount], properties: {amount: {type: number}}}
  Nap:
    schema: {type: object, required: [n], properties: {n: {type: integer}}}
  Go:
    schema: {type: object, required: [id, go], properties: {id: {type: string}, go: {type: boolean}}}
tasks:
  double: {input: integer, output: integer}
  undo: {input: string}
subscriptions:
  onBig: {events: [Big], retry: {attempts: 2, backoff: 1s}}
  startNap: {events: [Nap], workflow: nap, input: "${{ event.n }}"}
  goSaga:
    events: [Go]
    signal: {workflow: saga, execution_name: "${{ event.id }}", name: go, payload: "${{ event.go }}"}
workflows:
  nap:
    input: integer
    steps:
      - id: rest
        sleep: 1h
      - return: ${{ input }}
  saga:
    input: integer
    signals: {go: boolean}
    queries: {twice: "${{ input * 2 }}", label: "${{ '<i>q</i>' + string(input) }}"}
    steps:
      - id: one
        task: double
        input: ${{ input }}
        compensate: [{task: undo, input: "one ${{ steps.one.output }}"}]
      - id: two
        task: double
        input: ${{ input }}
        compensate: [{task: undo, input: "two"}]
      - id: ok
        wait_for_signal: go
        timeout: 1h
      - if: ${{ !steps.ok.output && "</text><script>alert(2)</script>" != "" }}
        then: [{fail: {error: Rejected, message: "no go for ${{ input }}"}}]
      - return: ${{ steps.two.output }}
"""
UNDO = """\
import eventual

def undo(input: str, ctx: eventual.TaskContext) -> None:
    pass
"""
ON_BIG = """\
from pathlib import Path

import eventual
from ..models import Big

def on_big(event: Big, ctx: eventual.SubscriptionContext) -> None:
    if event.amount > 1000 and not Path("allow-big").exists():
        raise eventual.TaskError("TooBig", f"{event.amount} is too big <b>")
"""
HANDLERS = {"double": DOUBLE, "undo": UNDO, "on_big": ON_BIG}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Http:
    """Requests to a console served at ``url``."""

    url: str
    settings: Settings

    def get(self, path: str, cookie: str = "") -> tuple[int, str]:
        request = urllib.request.Request(self.url + path, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, fields: dict[str, str], origin: str | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Origin": origin} if origin else {}
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@dataclass
class Live(Http):
    engine: Engine
    stop: threading.Event
    workers: list[threading.Thread]

    def start_worker(self) -> None:
        """Runs the engine's work in a thread until the console stops."""
        worker = threading.Thread(target=self.engine.run, kwargs={"stop": self.stop}, daemon=True)
        self.workers.append(worker)
        worker.start()

    def wait(self, condition: Callable[[], bool], seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.05)


@contextmanager
def served(console: Console, settings: Settings | None = None) -> Iterator[Http]:
    """``console`` served on a free loopback port until the block ends."""
    settings = settings or Settings()
    port = free_port()
    app = create_app(console, settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Http(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        serving.join(timeout=10)


@contextmanager
def live_console(service: Service, root: Path, settings: Settings | None = None,
                 worker: bool = True) -> Iterator[Live]:  # fmt: skip
    """The console over a new store in ``root`` (whose ``spec.yaml`` made ``service``)."""
    engine = Engine(root / "ui.db", [service], threads=2)
    build = load([root / "spec.yaml"], root).build
    with served(Console.local(engine, build), settings) as http:
        live = Live(http.url, http.settings, engine, threading.Event(), [])
        if worker:
            live.start_worker()
        try:
            yield live
        finally:
            live.stop.set()
            for thread in live.workers:
                thread.join(timeout=10)
            engine.close()
