"""examples/eventbridge-atm: one producer, three consumers selected by EventBridge rules
(aws-samples/amazon-eventbridge-producer-consumer-example), on both local runtimes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

# The producer's batch, as the original's events file: ATMs in three states.
TRANSACTIONS = [
    {"transactionId": "t-1", "action": "withdrawal", "location": "MA-BOS-01", "amount": 300,
     "result": "approved", "partnerBank": "Example Bank", "remainingFunds": 722.34},
    {"transactionId": "t-2", "action": "withdrawal", "location": "NY-NYC-001", "amount": 20,
     "result": "approved", "partnerBank": "Example Bank", "remainingFunds": 212.52},
    {"transactionId": "t-3", "action": "withdrawal", "location": "NY-NYC-002", "amount": 60,
     "result": "denied", "partnerBank": "Example Bank", "remainingFunds": 5.77},
    {"transactionId": "t-4", "action": "deposit", "location": "CA-SFO-07", "amount": 1200.5,
     "result": "approved"},
    {"transactionId": "t-5", "action": "withdrawal", "location": "MA-BOS-02", "amount": 500,
     "result": "denied"},
]  # fmt: skip
CONSUMERS = ["approved_transactions", "new_york_transactions", "unapproved_transactions"]


def received(runtime: Runtime, service: Any) -> dict[str, list[str]]:
    return {name: list(handler(service, name).RECEIVED) for name in CONSUMERS}


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "eventbridge-atm" / "specs")])
    assert result.exit_code == 0, result.output


def test_each_consumer_receives_only_what_its_rule_matches(
    example: Example, tmp_path: Path
) -> None:
    atm = example("eventbridge-atm")

    def scenario(runtime: Runtime) -> Any:
        producer = runtime.start("produceTransactions", TRANSACTIONS)
        runtime.tick()
        return [runtime.outcome(producer), runtime.emitted(), received(runtime, atm)]

    outcome, emitted, consumers = on_both(atm, tmp_path, scenario)
    assert outcome == ["SUCCEEDED", None, None]
    assert emitted == ["Transaction"] * 5
    assert consumers == {
        "approved_transactions": ["t-1", "t-2", "t-4"],
        "new_york_transactions": ["t-2", "t-3"],
        "unapproved_transactions": ["t-3", "t-5"],
    }


def test_events_from_outside_the_service_are_routed_the_same(
    example: Example, tmp_path: Path
) -> None:
    atm = example("eventbridge-atm")

    def scenario(runtime: Runtime) -> Any:
        runtime.publish("Transaction", TRANSACTIONS[2])
        runtime.publish("Transaction", {**TRANSACTIONS[2], "transactionId": "t-6",
                                        "location": "ny-nyc-003"})  # fmt: skip
        runtime.tick()
        return received(runtime, atm)

    # prefix matching is case-sensitive, as on EventBridge
    assert on_both(atm, tmp_path, scenario) == {
        "approved_transactions": [],
        "new_york_transactions": ["t-3"],
        "unapproved_transactions": ["t-3", "t-6"],
    }
