"""``eventual.aws.Client`` refusing what it cannot do, the command line's
``eventualc.cli.factory.aws_client``, and the Lambda entry module: light to import,
configured from its environment."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from tests.runtime.aws.support import Aws

from eventual.aws import Client, RequestError, entry
from eventual.aws.config import Config, ConfigError
from eventual.engine import EngineError
from eventual.status import ExecutionStatus
from eventualc.cli.factory import aws_client


def test_requests_that_cannot_be_carried_out_raise_request_errors(aws: Aws) -> None:
    client = aws.client("trips")
    with pytest.raises(RequestError, match="no workflow 'bookCar'"):
        client.start("bookCar")
    with pytest.raises(RequestError, match=r"^input of bookTrip: "):
        client.start("bookTrip", 42)  # the input is a string
    with pytest.raises(RequestError, match="no execution 'nobody'"):
        client.get("nobody")
    with pytest.raises(RequestError, match="no event 'Nothing'"):
        client.publish("Nothing", {})
    with pytest.raises(RequestError, match="TripRequested"):
        client.publish("TripRequested", {"trip": 1})
    with pytest.raises(RequestError, match="no-such-stack"):
        Client("no-such-stack", "us-east-1", aws.endpoint).get("x")
    assert issubclass(RequestError, EngineError)


def test_without_the_service_the_orchestrator_checks_the_input(aws: Aws) -> None:
    client = aws.client("orders", with_service=False)
    execution = client.start("processOrder", 42, name="numeric-order")
    view = aws.finish(client, execution)
    assert view.status is ExecutionStatus.FAILED
    assert view.error is not None and view.error["error"] == "ValidationError"
    assert client.get("numeric-order").id == execution


def test_the_command_line_finds_the_stack_from_flags_or_environment(aws: Aws) -> None:
    with pytest.raises(click.UsageError, match="EVENTUAL_STACK"):
        aws_client(None, None, environ={})
    services = [aws.service("orders"), aws.service("trips")]
    chosen = aws_client(None, None, services, environ={"EVENTUAL_STACK": "trips",
                                                       "AWS_REGION": "us-east-1"})  # fmt: skip
    assert chosen.stack_name == "trips" and chosen.service is services[1]
    assert aws_client("orders", "us-east-1", services[:1], environ={}).service is services[0]
    assert aws_client("elsewhere", "us-east-1", services, environ={}).service is None
    execution = chosen.start("bookTrip", "cli-1")  # AWS_ENDPOINT_URL leads it to moto
    assert aws.finish(chosen, execution).status is ExecutionStatus.SUCCEEDED


def test_importing_the_entry_module_loads_neither_boto3_nor_pydantic() -> None:
    code = (
        "import sys, eventual, eventual.aws, eventual.aws.entry\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'pydantic') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_clients_are_made_by_botocore_without_boto3() -> None:
    """boto3 (and s3transfer, half its import time) is of no use to the runtime."""
    code = (
        "import sys\n"
        "from eventual.aws.config import Clients, boto3_clients\n"
        "clients = Clients(boto3_clients('eu-west-1', 'http://localhost:1'))\n"
        "print(clients.s3.meta.endpoint_url, clients.sqs.meta.region_name,\n"
        "      clients.s3.meta.config.retries['mode'], 'boto3' in sys.modules,\n"
        "      's3transfer' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["http://localhost:1", "eu-west-1", "standard", "False", "False"]


def test_a_botocore_too_old_for_conditional_writes_is_refused_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore

    from eventual.aws.config import BotocoreTooOld, Clients, boto3_clients, check_botocore

    check_botocore("1.35.70")
    check_botocore("1.40.0")
    for old in ("1.35.69", "1.34.162", "1.29.0"):
        with pytest.raises(BotocoreTooOld, match=rf"botocore {old} is too old.*>= 1\.35\.70"):
            check_botocore(old)
    monkeypatch.setattr(botocore, "__version__", "1.34.101")  # Lambda's built-in, say
    with pytest.raises(BotocoreTooOld):
        Clients(boto3_clients("eu-west-1", "http://localhost:1")).s3  # noqa: B018


def test_functions_read_their_configuration_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = {
        "EVENTUAL_SERVICE": "generated.orders", "EVENTUAL_BUS": "orders",
        "EVENTUAL_BUCKET": "state", "EVENTUAL_ORCHESTRATOR_QUEUE": "https://q/o.fifo",
        "EVENTUAL_INBOX_QUEUE": "https://q/inbox", "EVENTUAL_FUNCTION": "shipOrder",
        "EVENTUAL_QUEUE_PREFIX": "orders",
    }  # fmt: skip
    config = Config.from_environment(variables)
    assert (config.function, config.queue_prefix) == ("shipOrder", "orders")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert entry.task({"Records": []}, None) == {"batchItemFailures": []}
    monkeypatch.delenv("EVENTUAL_BUCKET")
    with pytest.raises(ConfigError, match="EVENTUAL_BUCKET"):
        entry.orchestrator({"Records": []}, None)


def test_the_orchestrator_s_table_and_retention_come_from_its_environment() -> None:
    from eventual.aws.deployment import Deployment

    variables = {
        "EVENTUAL_SERVICE": "generated.orders", "EVENTUAL_BUS": "orders",
        "EVENTUAL_BUCKET": "state", "EVENTUAL_ORCHESTRATOR_QUEUE": "https://q/o.fifo",
        "EVENTUAL_INBOX_QUEUE": "https://q/inbox",
    }  # fmt: skip
    task = Config.from_environment(variables)
    assert (task.state_table, task.retention_days) == (None, 90)
    with pytest.raises(ConfigError, match="EVENTUAL_STATE_TABLE is not set"):
        assert Deployment(task, clients=object()).records  # type: ignore[arg-type]
    orchestrator = Config.from_environment(
        {**variables, "EVENTUAL_STATE_TABLE": "orders-State", "EVENTUAL_RETENTION_DAYS": "7"}
    )
    assert (orchestrator.state_table, orchestrator.retention_days) == ("orders-State", 7)
    with pytest.raises(ConfigError, match="EVENTUAL_RETENTION_DAYS must be a whole number"):
        Config.from_environment({**variables, "EVENTUAL_RETENTION_DAYS": "soon"})


def test_the_operator_lists_running_and_finished_executions_from_the_table(aws: Aws) -> None:
    """``list`` and ``page`` read the state table (no S3 listing finds a record), so
    an execution shows from its first write, running or over."""
    client = aws.client("trips")
    running = client.start("approval", "list-running")
    finished = client.start("bookTrip", "list-finished")
    aws.finish(client, finished)
    aws.harness.run(until=lambda: _started(client, running), timeout=30)
    views = {view.id: view for view in client.list()}
    assert views[running].status is ExecutionStatus.IN_PROGRESS
    assert views[finished].status is ExecutionStatus.SUCCEEDED
    assert running in {v.id for v in client.list("trips.approval", "in_progress")}
    assert finished not in {v.id for v in client.list(status="IN_PROGRESS")}
    paged, after = [], None
    while True:
        found, after = client.page(after, limit=2)
        assert len(found) <= 2
        paged += [view.id for view in found]
        if not after:
            break
    assert len(paged) == len(set(paged)) and set(paged) == set(views)
    kept, _ = client.page(None, limit=50, keep=lambda view: view.id == running)
    assert [view.id for view in kept] == [running]


def _started(client: Client, execution: str) -> bool:
    try:
        client.get(execution)
    except RequestError:
        return False
    return True
