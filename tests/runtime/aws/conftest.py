"""The AWS suite's session: one project built and synthesized, one moto server on
127.0.0.1, the ``orders`` and ``trips`` stacks created from their templates, and the
harness that plays Lambda. Tests share them and keep apart by their own names."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from tests.runtime.aws.harness import REGION, Harness, Stack, environment
from tests.runtime.aws.project import make_project
from tests.runtime.aws.support import Aws
from tests.support import environment as environment_set
from tests.support import forget, moto_server

from eventual.aws.config import Clients, boto3_clients


@pytest.fixture(scope="session")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aws]:
    root = tmp_path_factory.mktemp("aws")
    project = make_project(root)
    sys.path.insert(0, str(root))
    log = root / "calls.jsonl"
    try:
        with (
            moto_server(root / "moto.log") as endpoint,
            environment_set(**environment(endpoint), TRIPS_LOG=str(log)),
        ):
            clients = Clients(boto3_clients(REGION, endpoint))
            stacks = [Stack.deploy(clients, name, t) for name, t in project.templates.items()]
            yield Aws(project, endpoint, clients, Harness(stacks, endpoint), log)
    finally:
        sys.path.remove(str(root))
        forget(project.package)
