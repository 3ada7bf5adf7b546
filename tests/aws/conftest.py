"""The AWS suite's session: one project built and synthesized, one moto server on
127.0.0.1, the ``orders`` and ``trips`` stacks created from their templates, and the
harness that plays Lambda. Tests share them and keep apart by their own names."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.aws.harness import (
    REGION,
    Harness,
    Stack,
    environment,
    moto_server,
    restore_environment,
    set_environment,
)
from tests.aws.project import Project, make_project
from tests.conftest import forget

from eventual import Service
from eventual.aws import Client, RequestError
from eventual.aws.config import Clients, boto3_clients


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
    try:
        history = client.history(execution)
    except RequestError:  # not started yet
        return False
    return any(e["type"] == "StepStarted" and e["kind"] == "wait_for_signal" for e in history)


def _done(client: Client, execution: str) -> bool:
    try:
        return client.get(execution).status.done
    except RequestError:  # not started yet
        return False


@pytest.fixture(scope="session")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aws]:
    root = tmp_path_factory.mktemp("aws")
    project = make_project(root)
    sys.path.insert(0, str(root))
    log = root / "calls.jsonl"
    try:
        with moto_server(root / "moto.log") as endpoint:
            old = set_environment({**environment(endpoint), "TRIPS_LOG": str(log)})
            try:
                clients = Clients(boto3_clients(REGION, endpoint))
                stacks = [Stack.deploy(clients, name, t) for name, t in project.templates.items()]
                yield Aws(project, endpoint, clients, Harness(stacks, endpoint), log)
            finally:
                restore_environment(old)
    finally:
        sys.path.remove(str(root))
        forget(project.package)
