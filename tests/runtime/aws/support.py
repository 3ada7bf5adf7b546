"""Plain helpers of the AWS suite: the session's handle (``Aws``, which the ``aws`` fixture
of ``conftest.py`` yields) and the waits its tests share. Tests import them from here."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.runtime.aws.harness import REGION, Harness
from tests.runtime.aws.project import Project

from eventual import Service
from eventual.aws import Client, RequestError
from eventual.aws.config import Clients


@dataclass
class Aws:
    project: Project
    endpoint: str
    clients: Clients  # uncounted clients for looking around
    harness: Harness
    log: Path  # the trips handlers' calls, one JSON line each

    def service(self, name: str) -> Service:
        found: Service = importlib.import_module(f"{self.project.package}.{name}").service
        return found

    def client(self, stack: str, with_service: bool = True) -> Client:
        service = self.service(stack) if with_service else None
        return Client(stack, REGION, self.endpoint, service=service)

    def calls(self, handler: str) -> list[Any]:
        """What ``handler`` of trips was called with, in order."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [e["value"] for e in map(json.loads, lines) if e["handler"] == handler]

    def finish(self, client: Client, execution: str, timeout: float = 30) -> Any:
        self.harness.run(until=lambda: _done(client, execution), timeout=timeout)
        return client.get(execution)


def waiting_for_signal(client: Client, execution: str) -> bool:
    """Whether ``execution`` has reached a ``wait_for_signal`` step."""
    return reached(client, execution, "wait_for_signal")


def reached(client: Client, execution: str, kind: str) -> bool:
    """Whether ``execution`` has started a step of ``kind``."""
    try:
        history = client.history(execution)
    except RequestError:  # not started yet
        return False
    return any(e["type"] == "StepStarted" and e["kind"] == kind for e in history)


def _done(client: Client, execution: str) -> bool:
    try:
        return client.get(execution).status.done
    except RequestError:  # not started yet
        return False


def run_orchestrator_until(aws: Aws, done: Callable[[], bool]) -> None:
    """Only the orchestrator works (tasks' queues keep their messages) until ``done()``."""
    sources = [s for s in aws.harness.stacks["trips"].sources if s.function.kind == "orchestrator"]
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, "the orchestrator did not get there"
        if not sum(aws.harness.poll(source) for source in sources):
            time.sleep(0.1)


def task_scheduled(client: Client, execution: str) -> bool:
    """Whether ``execution`` has scheduled a task (``False`` while it cannot be read)."""
    try:
        return any(e["type"] == "TaskScheduled" for e in client.history(execution))
    except Exception:
        return False
