"""What a workflow step costs on AWS, measured on moto; and how fast a Lambda entry imports.

Builds and synthesizes the AWS suite's project (``tests/aws/project.py``: the seed
``orders`` service among others), creates its stacks on a moto server on 127.0.0.1
and runs, with the suite's harness playing Lambda's SQS event sources:

- orchestration, the realistic scenario: N executions of ``processOrder`` (three
  tasks and a return), one at a time, each also sleeping 30 days (``trips.longNap``:
  a sleep and a return, its timer one EventBridge Scheduler schedule fired by the
  harness's clock), ``processOrder``'s 1-hour workflow timeout a schedule too, which
  the write that ends the execution deletes (a deleted schedule never fires: Scheduler
  bills invocations, not API calls); Lambda compute at each function's
  configured memory and its measured duration per invocation (wall time on this
  machine with moto answering on 127.0.0.1: Lambda's differs both ways, its CPU is a
  share of a core below 1,769 MB, AWS answers slower than a local moto);
- choreography: M ``OrderCreated`` events, each going through three subscriptions.

Every AWS request the functions and their event sources make is counted by kind
(botocore hooks on their clients); empty polls are left out (an event source's idle
polling costs the same whatever the load). It prints the requests per workflow step
(a step: one ``StepStarted`` in the history, as Step Functions counts a state
transition) and per event delivery, and their cost per million at list prices
(us-east-1): SQS $0.40/M requests ($0.50/M FIFO), S3 PUT $0.005/1k and GET $0.0004/1k,
EventBridge $1/M events, Lambda $0.20/M requests plus arm64 GB-s for the measured
durations at each function's memory, the state table's requests by the request units
DynamoDB on demand bills for them (``DYNAMODB``: a write request unit per started KB
of the item written, a failed conditional write too; a read request unit per started
4 KB of the item read strongly consistent, at least one), measured from each
request's item; beside AWS Step Functions Standard at $25 per million state
transitions (target: at most a third), and EventBridge Scheduler $1/M invocations.
Timers still delayed at the end (task timeouts that will find their task done) are
priced as they will be when they fire. Besides the requests, the finished records'
table storage and point-in-time recovery for the retention days, from their sizes.

It also prints the size of the execution records written and the machine's load
average during the run, as the durations are wall time on it, and PASS or FAIL
against a third of Step Functions.

The cold start of a function is ``bench/cold_start.py``'s.

    python bench/aws_cost.py [--executions N] [--events M]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.runtime.aws.harness import REGION, Harness, Requests, Stack, environment  # noqa: E402
from tests.runtime.aws.project import make_project  # noqa: E402
from tests.support import moto_server  # noqa: E402

from eventual.aws import Client  # noqa: E402
from eventual.aws.config import Clients, boto3_clients  # noqa: E402
from eventualc.cdk.construct import ORCHESTRATOR_MEMORY  # noqa: E402

# DynamoDB on demand, us-east-1, standard table class (prices since November 2024).
DYNAMODB = {
    "write request unit": 0.625e-6, "read request unit": 0.125e-6,
    "storage GB-month": 0.25, "point-in-time recovery GB-month": 0.20,
}  # fmt: skip
WRITE_UNIT, READ_UNIT = 1024, 4096  # bytes per request unit (reads strongly consistent)
ITEM_OVERHEAD = 100  # bytes DynamoDB adds to each item's stored size
RETENTION_MONTHS = 90 / 30.4  # a finished record stays 90 days (the construct's default)
PRICES = {  # dollars per request (per event for EventBridge, per unit for DynamoDB)
    "sqs": 0.40e-6, "sqs-fifo": 0.50e-6, "s3:PutObject": 5e-6, "s3:GetObject": 0.4e-6,
    "s3:ListObjectsV2": 5e-6, "events": 1e-6, "scheduler:CreateSchedule": 0.0,
    "scheduler (invocations)": 1e-6,
    "dynamodb:PutItem": 0.0, "dynamodb:GetItem": 0.0,  # billed by their units, below
    "dynamodb write request units": DYNAMODB["write request unit"],
    "dynamodb read request units": DYNAMODB["read request unit"],
}  # fmt: skip
LAMBDA_REQUEST = 0.20e-6
ARM_GB_SECOND = 0.0000133334
STEP_FUNCTIONS = 25.0  # dollars per million state transitions
# A timeout timer that fires after its task answered: a receive, a delete, an
# invocation (at the orchestrator's mean measured duration) and one record read (an
# item under 4 KB: one read unit) to find nothing waits for it. One at a time, as
# the timers that fired during the run came: with one execution at a time they fall
# due seconds apart, never in one batch.
LATE_TIMER = {
    "sqs:ReceiveMessage": 1.0, "sqs:DeleteMessageBatch": 1.0, "dynamodb:GetItem": 1.0,
    "dynamodb read request units": 1.0,
}  # fmt: skip
LATE_INVOCATIONS = 1.0


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
            os.environ.update(environment(endpoint))
            clients = Clients(boto3_clients(REGION, endpoint))
            stacks = [Stack.deploy(clients, name, project.templates[name])
                      for name in ("orders", "trips")]  # fmt: skip
            requests = Requests()
            harness = Harness(stacks, endpoint, requests)
            orders = Client("orders", REGION, endpoint)
            trips = Client("trips", REGION, endpoint)
            records = _record_units(harness)
            steps, timers = _orchestration(harness, orders, trips, clients, executions)
            print(f"execution records written: {len(records)}, "
                  f"{sum(records) / max(1, len(records)) / 1024:.1f} KB on average, "
                  f"{max(records, default=0) / 1024:.1f} KB at most (a write request unit "
                  "per started KB)")  # fmt: skip
            workflow = Counter(requests)
            compute = _gb_seconds(harness) + LATE_INVOCATIONS * timers * _orchestrator_gb_s(harness)
            invocations = sum(harness.invocations.values()) + LATE_INVOCATIONS * timers
            kept = _stored_bytes(clients, harness)
            requests.clear()
            harness.invocations.clear()
            harness.durations.clear()
            _choreography(harness, orders, events)
            total = _report("per workflow step", workflow, invocations, compute, steps,
                            {"late": timers}, compare=True)  # fmt: skip
            _verdict(total, _storage(kept, steps))
            deliveries = 3 * events
            _report("per event delivered to a subscription", requests,
                    sum(harness.invocations.values()), _gb_seconds(harness), deliveries, {},
                    compare=False)  # fmt: skip


def _orchestrator_gb_s(harness: Harness) -> float:
    """GB-s of the orchestrator's mean measured invocation."""
    seconds = [s for memory, s in harness.durations if memory == ORCHESTRATOR_MEMORY]
    return ORCHESTRATOR_MEMORY / 1024 * sum(seconds) / max(1, len(seconds))


def _item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name and value (strings
    in UTF-8; numbers about one byte per two digits, plus one)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            size += len(value["N"].lstrip("-").replace(".", "")) // 2 + 2
    return size


def _record_units(harness: Harness) -> list[int]:
    """Counts the request units of the functions' state-table requests into the
    harness's ``requests`` as they are made (a write's units before it is sent: a
    failed conditional write is billed too); the sizes in bytes of the items written,
    filled in likewise."""
    sizes: list[int] = []
    requests = harness.requests

    def written(params: Mapping[str, Any], **_: Any) -> None:
        size = _item_bytes(params["Item"])
        sizes.append(size)
        requests["dynamodb write request units"] += math.ceil(size / WRITE_UNIT)

    def read(parsed: Mapping[str, Any], **_: Any) -> None:
        size = _item_bytes(parsed.get("Item", {}))
        requests["dynamodb read request units"] += max(1, math.ceil(size / READ_UNIT))

    dynamodb = harness.functions_clients.dynamodb
    dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", written)
    dynamodb.meta.events.register("after-call.dynamodb.GetItem", read)
    return sizes


def _stored_bytes(clients: Clients, harness: Harness) -> int:
    """The bytes the state tables hold at the end (every execution of the run is over:
    each is kept as it finished, for the retention days)."""
    total = 0
    for stack in harness.stacks.values():
        pages = clients.dynamodb.get_paginator("scan").paginate(
            TableName=stack.outputs["StateTableName"]
        )
        total += sum(_item_bytes(i) + ITEM_OVERHEAD for page in pages for i in page["Items"])
    return total


def _storage(kept: int, steps: int) -> float:
    """Dollars per million steps of keeping ``kept`` bytes (the run's finished records)
    for the retention, in the table and in its point-in-time recovery."""
    per_month = DYNAMODB["storage GB-month"] + DYNAMODB["point-in-time recovery GB-month"]
    return kept / 1e9 * RETENTION_MONTHS * per_month / steps * 1e6


def _gb_seconds(harness: Harness) -> float:
    """Lambda compute of the run: each invocation at its function's memory, for as long
    as it took here."""
    return sum(memory / 1024 * seconds for memory, seconds in harness.durations)


def _orchestration(
    harness: Harness, orders: Client, trips: Client, clients: Clients, count: int
) -> tuple[int, int]:
    """Runs ``count`` executions one at a time, each a ``processOrder`` and a 30-day
    sleep; (steps, timers still delayed at the end)."""
    began = time.perf_counter()
    ids: list[tuple[Client, str]] = []
    for i in range(count):
        order = orders.start("processOrder", f"order-{i}")
        harness.run(until=functools.partial(_done, orders, order), timeout=120)
        nap = trips.start("longNap", f"nap-{i}")
        harness.run(until=functools.partial(_sleeping, trips, nap), timeout=120)
        harness.run(timeout=120)
        fired = harness.advance(timedelta(days=30, minutes=1))
        harness.requests["scheduler (invocations)"] += fired
        harness.requests["sqs:SendMessage (Scheduler)"] += fired
        harness.run(until=functools.partial(_done, trips, nap), timeout=120)
        ids += [(orders, order), (trips, nap)]
    elapsed = time.perf_counter() - began
    load = os.getloadavg()[1]  # over the last 5 minutes
    steps = sum(1 for c, i in ids for e in c.history(i) if e["type"] == "StepStarted")
    delayed = "ApproximateNumberOfMessagesDelayed"
    late = 0
    for stack in harness.stacks.values():
        inbox = stack.outputs["InboxQueueUrl"]
        attributes = clients.sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=[delayed])
        late += int(attributes["Attributes"][delayed])
    orchestrator = [s for m, s in harness.durations if m == ORCHESTRATOR_MEMORY]
    print(f"{count} executions of processOrder, each with a 30-day sleep, one at a time: "
          f"{steps} steps in {elapsed:.1f} s on moto")  # fmt: skip
    print(
        f"orchestrator at {ORCHESTRATOR_MEMORY} MB: {len(orchestrator)} invocations, "
        f"{sum(orchestrator) / max(1, len(orchestrator)) * 1000:.0f} ms each measured here "
        f"(wall time, moto's answers included; load average {load:.1f} on "
        f"{os.cpu_count()} cores: a busier machine measures longer)"
    )
    return steps, late


def _done(client: Client, execution: str) -> bool:
    try:
        return client.get(execution).status.done
    except Exception:
        return False


def _sleeping(client: Client, execution: str) -> bool:
    try:
        return any(e["type"] == "StepStarted" and e["kind"] == "sleep"
                   for e in client.history(execution))  # fmt: skip
    except Exception:
        return False


def _choreography(harness: Harness, client: Client, count: int) -> None:
    for i in range(count):
        client.publish("OrderCreated", {"orderId": f"event-{i}"})
    harness.run(timeout=600)


def _report(
    title: str, requests: Mapping[str, float], invocations: float, gb_seconds: float,
    units: int, timers: Mapping[str, int], compare: bool,
) -> float:  # fmt: skip
    """Prints the requests per ``units`` and their cost; the total per million."""
    counts = {kind: float(n) for kind, n in requests.items() if n > 0}
    for kind, share in LATE_TIMER.items():
        counts[kind] = counts.get(kind, 0.0) + share * timers.get("late", 0)
    print(f"\nAWS requests {title} ({units} in the run):")
    total = 0.0
    for kind, n in sorted(counts.items()):
        cost = n * price(kind) / units * 1e6
        total += cost
        _line(kind, n / units, cost)
    lambda_requests = invocations / units
    _line("lambda:Invoke", lambda_requests, lambda_requests * LAMBDA_REQUEST * 1e6)
    total += lambda_requests * LAMBDA_REQUEST * 1e6
    compute = gb_seconds / units * ARM_GB_SECOND * 1e6
    _line("lambda GB-s (measured durations)", gb_seconds / units, compute)
    line = f"  total: ${total + compute:.2f} per million"
    if compare:
        share = (total + compute) / STEP_FUNCTIONS
        line += f" = {share:.0%} of Step Functions Standard (${STEP_FUNCTIONS:.0f})"
        line += f"; without Lambda compute: ${total:.2f} = {total / STEP_FUNCTIONS:.0%}"
    print(line)
    if timers.get("late"):
        print(f"  ({timers['late']} timers (task timeouts) were still delayed at the end; "
              "priced as when they fire and find nothing waiting: one receive, delete, "
              "invocation and record read each)")  # fmt: skip
    return total + compute


def _verdict(requests: float, storage: float) -> None:
    """The per-step total with the records' storage, against a third of Step Functions."""
    print(f"  state table storage and point-in-time recovery of the finished records for "
          f"{RETENTION_MONTHS:.2f} months (${DYNAMODB['storage GB-month']:.2f} + "
          f"${DYNAMODB['point-in-time recovery GB-month']:.2f} per GB-month, "
          f"{ITEM_OVERHEAD} bytes per item added): ${storage:.2f} per million")  # fmt: skip
    print("  assumed: DynamoDB on demand, us-east-1, standard table class: "
          f"${DYNAMODB['write request unit'] * 1e6:.3f}/M write units (1 KB each, failed "
          f"conditional writes billed), ${DYNAMODB['read request unit'] * 1e6:.3f}/M "
          "read units (4 KB strongly consistent); S3 storage of history (unchanged) "
          "not counted")  # fmt: skip
    total, target = requests + storage, STEP_FUNCTIONS / 3
    verdict = "PASS" if total <= target else "FAIL"
    print(f"  {verdict}: ${total:.2f} per million steps with storage = "
          f"{total / STEP_FUNCTIONS:.0%} of Step Functions Standard; target at most a "
          f"third, ${target:.2f}")  # fmt: skip


def _line(kind: str, per_unit: float, cost: float) -> None:
    print(f"  {kind:<34} {per_unit:6.3f}   ${cost:6.2f} per million")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=40)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    measure(args.executions, args.events)


if __name__ == "__main__":
    main()
