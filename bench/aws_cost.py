"""What a workflow step costs on AWS, measured on moto; and how fast a Lambda entry imports.

Builds and synthesizes the AWS suite's project (``tests/aws/project.py``: the seed
``orders`` service among others), creates its stacks on a moto server on 127.0.0.1
and runs, with the suite's harness playing Lambda's SQS event sources:

- orchestration: N executions of ``processOrder`` (three tasks and a return) started
  at once, as a busy service sees them;
- choreography: M ``OrderCreated`` events, each going through three subscriptions.

Every AWS request the functions and their event sources make is counted by kind
(botocore hooks on their clients); empty polls are left out (an event source's idle
polling costs the same whatever the load). It prints the requests per workflow step
(a step: one ``StepStarted`` in the history, as Step Functions counts a state
transition) and per event delivery, and their cost per million at list prices
(us-east-1): SQS $0.40/M requests ($0.50/M FIFO), S3 PUT $0.005/1k and GET $0.0004/1k,
EventBridge $1/M events, Lambda $0.20/M requests plus arm64 GB-s at 128 and 512 MB
for a typical 50 ms invocation; beside AWS Step Functions Standard at $25 per million
state transitions (target: at most a third). Timers still delayed at the end (task
timeouts that will find their task done) are priced as they will be when they fire.

Then the cold import of ``eventual.aws.entry`` in fresh processes (best of several),
beside ``import boto3, pydantic`` and beside a cold first-event setup (entry, service,
handler module and AWS clients). Target: the entry import <= 300 ms.

    python bench/aws_cost.py [--executions N] [--events M]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.aws.harness import (  # noqa: E402
    REGION,
    Harness,
    Requests,
    Stack,
    environment,
    moto_server,
    set_environment,
)
from tests.aws.project import make_project  # noqa: E402

from eventual.aws import Client  # noqa: E402
from eventual.aws.config import Clients, boto3_clients  # noqa: E402

PRICES = {  # dollars per request (per event for EventBridge)
    "sqs": 0.40e-6, "sqs-fifo": 0.50e-6, "s3:PutObject": 5e-6, "s3:GetObject": 0.4e-6,
    "s3:ListObjectsV2": 5e-6, "events": 1e-6,
}  # fmt: skip
LAMBDA_REQUEST = 0.20e-6
ARM_GB_SECOND = 0.0000133334
TYPICAL_SECONDS = 0.050
STEP_FUNCTIONS = 25.0  # dollars per million state transitions
# A timeout timer that fires after its task answered: its share of a receive and a
# delete of a batch of ten, and one S3 GET to find nothing waits for it.
LATE_TIMER = {"sqs:ReceiveMessage": 0.1, "sqs:DeleteMessageBatch": 0.1, "s3:GetObject": 1.0}


def price(kind: str) -> float:
    service = kind.split(":")[0]
    return PRICES.get(kind, PRICES.get(service, 0.0))


def measure(executions: int, events: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        print("building and synthesizing the project…", file=sys.stderr)
        project = make_project(root)
        sys.path.insert(0, str(root))
        with moto_server(root / "moto.log") as endpoint:
            set_environment(environment(endpoint))
            clients = Clients(boto3_clients(REGION, endpoint))
            stack = Stack.deploy(clients, "orders", project.templates["orders"])
            requests = Requests()
            harness = Harness([stack], endpoint, requests)
            client = Client("orders", REGION, endpoint)
            steps, timers = _orchestration(harness, client, clients, stack, executions)
            workflow = Counter(requests)
            invocations = sum(harness.invocations.values())
            requests.clear()
            harness.invocations.clear()
            _choreography(harness, client, events)
            _report("per workflow step", workflow, invocations, steps, timers, compare=True)
            deliveries = 3 * events
            _report("per event delivered to a subscription", requests,
                    sum(harness.invocations.values()), deliveries, 0, compare=False)  # fmt: skip


def _orchestration(
    harness: Harness, client: Client, clients: Clients, stack: Stack, count: int
) -> tuple[int, int]:
    """Runs ``count`` executions at once; (steps, timers still delayed)."""
    ids = [client.start("processOrder", f"order-{i}") for i in range(count)]
    began = time.perf_counter()

    def finished() -> bool:
        return len([v for v in client.list() if v.status.done]) >= count

    harness.run(until=finished, timeout=600)
    elapsed = time.perf_counter() - began
    steps = sum(1 for i in ids for e in client.history(i) if e["type"] == "StepStarted")
    delayed = "ApproximateNumberOfMessagesDelayed"
    inbox = stack.outputs["InboxQueueUrl"]
    attributes = clients.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=[delayed])
    print(f"{count} executions of processOrder, {steps} steps, in {elapsed:.1f} s on moto")
    return steps, int(attributes["Attributes"][delayed])


def _choreography(harness: Harness, client: Client, count: int) -> None:
    for i in range(count):
        client.publish("OrderCreated", {"orderId": f"event-{i}"})
    harness.run(timeout=600)


def _report(
    title: str, requests: Mapping[str, int], invocations: int, units: int, timers: int,
    compare: bool,
) -> None:  # fmt: skip
    counts = Counter({kind: n for kind, n in requests.items() if n > 0})
    for kind, share in LATE_TIMER.items():
        counts[kind] += round(share * timers)
    print(f"\nAWS requests {title} ({units} in the run):")
    total = 0.0
    for kind, n in sorted(counts.items()):
        cost = n * price(kind) / units * 1e6
        total += cost
        print(f"  {kind:<34} {n / units:6.2f}   ${cost:6.2f} per million")
    lambda_requests = invocations / units
    invoke = f"{lambda_requests:6.2f}   ${lambda_requests * 0.2:6.2f} per million"
    print(f"  {'lambda:Invoke':<34} {invoke}")
    total += lambda_requests * 0.2
    for memory in (128, 512):
        compute = lambda_requests * memory / 1024 * TYPICAL_SECONDS * ARM_GB_SECOND * 1e6
        line = f"  total at {memory} MB, 50 ms a call: ${total + compute:.2f} per million"
        if compare:
            ratio = (total + compute) / STEP_FUNCTIONS
            line += f" = {ratio:.0%} of Step Functions Standard (${STEP_FUNCTIONS:.0f})"
        print(line)
    if timers:
        print(f"  ({timers} timers (task and workflow timeouts) were still delayed at the end; "
              "priced as when they fire and find nothing waiting)")  # fmt: skip


def import_times(runs: int = 7) -> None:
    setup = (
        "import os, time\n"
        "t = time.perf_counter()\n"
        "import eventual.aws.entry as entry\n"
        "from eventual.aws.config import Config, Clients\n"
        "from eventual.aws.deployment import Deployment\n"
        "d = Deployment(Config.from_environment(os.environ))\n"
        "d.service.handler('shipOrder'); d.values.adapter('ShipOrderInput')\n"
        "d.clients.s3; d.clients.sqs\n"
        "print(time.perf_counter() - t)\n"
    )
    cases = {
        "import eventual.aws.entry": "import eventual.aws.entry",
        "import boto3, pydantic (baseline)": "import boto3, pydantic",
        "first-event setup (entry, service, handler, clients)": None,
    }
    env = {
        "EVENTUAL_SERVICE": "generated.orders", "EVENTUAL_BUS": "b", "EVENTUAL_BUCKET": "s",
        "EVENTUAL_ORCHESTRATOR_QUEUE": "q.fifo", "EVENTUAL_INBOX_QUEUE": "i",
        "AWS_REGION": REGION, "PYTHONPATH": f"{REPO}:{REPO / 'runtime'}",
    }  # fmt: skip
    print(f"\ncold imports in fresh processes (best of {runs}):")
    for label, statement in cases.items():
        code = setup if statement is None else (
            f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
        )  # fmt: skip
        best = min(_run_seconds(code, env) for _ in range(runs))
        print(f"  {label:<54} {best * 1000:6.1f} ms")


def _run_seconds(code: str, env: Mapping[str, str]) -> float:
    import os

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, **env}, cwd=REPO)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=40)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    measure(args.executions, args.events)
    import_times()


if __name__ == "__main__":
    main()
