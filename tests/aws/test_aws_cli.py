"""The engine commands with ``--aws``, as users run them, against the moto stacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.aws.conftest import Aws
from tests.aws.harness import REGION


def eventualc(aws: Aws, *args: str, stack: str | None = None) -> subprocess.CompletedProcess[str]:
    """``eventualc ARGS`` in the project, the stack (when given) from the environment."""
    variables = {"AWS_REGION": REGION, **({"EVENTUAL_STACK": stack} if stack else {})}
    result = subprocess.run(
        [sys.executable, "-m", "eventualc", *args], cwd=aws.project.root, capture_output=True,
        text=True, timeout=120, env={**os.environ, **variables},
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_start_show_history_list_and_publish_on_the_deployed_service(aws: Aws) -> None:
    started = eventualc(aws, "start", "processOrder", "--input", '"cli-1"', "--name", "cli-1",
                        "--aws", "--stack", "orders")  # fmt: skip
    assert started.returncode == 0, started.stderr
    execution = started.stdout.strip()
    client = aws.client("orders")
    assert aws.finish(client, execution).status.value == "SUCCEEDED"
    # the stack from the environment this time
    shown_text = eventualc(aws, "executions", "show", "cli-1", "--aws", "--json", stack="orders")
    shown = json.loads(shown_text.stdout)
    history = eventualc(aws, "executions", "history", execution, "--aws", stack="orders").stdout
    listed = eventualc(aws, "executions", "list", "--aws", "--workflow", "processOrder",
                       stack="orders")  # fmt: skip
    published = eventualc(aws, "publish", "OrderCreated", "--payload", '{"orderId": "cli-2"}',
                          "--aws", stack="orders")  # fmt: skip
    wrong = eventualc(aws, "publish", "OrderCreatd", "--aws", stack="orders")
    assert shown["status"] == "SUCCEEDED" and shown["result"]["orderId"] == "cli-1"
    assert history.splitlines()[0].split()[1] == "ExecutionStarted"
    assert execution in listed.stdout
    assert published.returncode == 0 and len(published.stdout.strip()) > 0
    assert wrong.returncode == 2 and "no event 'OrderCreatd'" in wrong.stderr
    missing = eventualc(aws, "cancel", "nope", "--aws", "--stack", "orders")
    assert missing.returncode == 1 and "nope" in missing.stderr
