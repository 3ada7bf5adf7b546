"""The engine commands with ``--aws``, as users run them, against the moto stacks."""

from __future__ import annotations

import json
import os
import subprocess

from tests import support
from tests.runtime.aws.harness import REGION
from tests.runtime.aws.support import Aws


def eventualc(aws: Aws, *args: str, stack: str | None = None) -> subprocess.CompletedProcess[str]:
    """``eventualc ARGS`` in the project, the stack (when given) from the environment."""
    variables = {"AWS_REGION": REGION, **({"EVENTUAL_STACK": stack} if stack else {})}
    return support.eventualc(aws.project.root, *args, env={**os.environ, **variables})


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


def test_dlq_list_and_redrive_on_the_deployed_service(aws: Aws) -> None:
    client = aws.client("trips")
    client.publish("Glitch", {"n": 41})
    queue = json.loads(aws.harness.stacks["trips"].outputs["DeadLetterQueues"])["glitchy"]

    def dead_lettered() -> bool:
        letters = json.loads(eventualc(aws, "dlq", "list", "--aws", "--json", stack="trips").stdout)
        return any(letter["payload"] == {"n": 41} for letter in letters)

    aws.harness.run(until=dead_lettered, timeout=60)
    letters = json.loads(eventualc(aws, "dlq", "list", "--aws", "--json", stack="trips").stdout)
    [letter] = [d for d in letters if d["payload"] == {"n": 41}]
    assert (letter["subscription"], letter["event"], letter["attempts"]) == ("glitchy", "Glitch", 2)
    assert letter["error"] == {"error": "RuntimeError", "message": "glitch 41"}
    table = eventualc(aws, "dlq", "list", "--aws", stack="trips").stdout
    assert letter["id"] in table and "glitch 41" in table  # listing left it in place
    redriven = eventualc(aws, "dlq", "redrive", letter["id"], "--aws", stack="trips")
    assert redriven.returncode == 0 and "1 dead letter queued again" in redriven.stderr
    aws.harness.run(until=lambda: aws.calls("glitchy").count(41) == 4, timeout=60)
    aws.harness.run(until=dead_lettered, timeout=60)  # failed its attempts again
    depth = aws.clients.sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert int(depth) >= 1
