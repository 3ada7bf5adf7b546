"""examples/subscription: Temporal's subscription workflow (trial, billing periods,
cancellation by signal, state read by queries), on both local runtimes.

Needs from §2.8: workflow ``queries``, ``while``, and ``timeout: ${{ }}`` on a signal
wait (the trial and billing periods come from the customer's input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

CUSTOMER = {
    "id": "c1", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
    "subscription": {"trialPeriod": 30, "billingPeriod": 60, "maxBillingPeriods": 3,
                     "initialBillingPeriodCharge": 120},
}  # fmt: skip
QUERIES = ["customerIdName", "billingPeriodNumber", "billingPeriodChargeAmount", "status"]


def queries(runtime: Runtime, execution: str) -> dict[str, Any]:
    return {name: runtime.query(execution, name) for name in QUERIES}


def run(example: Example, tmp_path: Path, cancel_at: float | None) -> Any:
    """Runs one subscription for 300 s, cancelling at ``cancel_at``; the queries' answers
    at 10 s and 100 s, the outcome and what was sent."""
    service = example("subscription")
    outbox = handler(service, "outbox")

    def scenario(runtime: Runtime) -> Any:
        execution = runtime.start("subscription", CUSTOMER, name="sub-c1")
        seen, now = {}, 0.0
        for at in sorted({10.0, 100.0, 300.0, *([cancel_at] if cancel_at else [])}):
            runtime.tick(at - now)
            now = at
            if at == cancel_at:
                runtime.signal(execution, "cancelSubscription")
                runtime.tick(0)
            if at in (10.0, 100.0):
                seen[str(int(at))] = queries(runtime, execution)
        return [runtime.outcome(execution), seen, list(outbox.SENT)]

    return on_both(service, tmp_path, scenario)


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "subscription" / "specs")])
    assert result.exit_code == 0, result.output


def test_a_subscription_bills_every_period_then_ends(example: Example, tmp_path: Path) -> None:
    outcome, seen, sent = run(example, tmp_path, cancel_at=None)
    assert outcome == ["SUCCEEDED", "Completed sub-c1, Total Charged: 390", None]
    assert sent == ["welcome c1", "charge c1 120", "charge c1 130", "charge c1 140",
                    "subscription-over c1"]  # fmt: skip
    assert seen["10"] == {"customerIdName": "c1", "billingPeriodNumber": 0,
                          "billingPeriodChargeAmount": 120, "status": "trial"}  # fmt: skip
    # trial over at 30 s; periods charged at 30 s and 90 s: the second one is running
    assert seen["100"] == {"customerIdName": "c1", "billingPeriodNumber": 1,
                           "billingPeriodChargeAmount": 130, "status": "billing"}  # fmt: skip


def test_a_cancellation_during_the_trial_ends_it_without_a_charge(
    example: Example, tmp_path: Path
) -> None:
    outcome, seen, sent = run(example, tmp_path, cancel_at=20.0)
    assert outcome == ["SUCCEEDED", "Subscription finished for: c1", None]
    assert sent == ["welcome c1", "trial-cancellation c1"]
    assert seen["100"]["status"] == "cancelled"  # queries answer after the end too


def test_a_cancellation_while_billing_stops_the_charges(example: Example, tmp_path: Path) -> None:
    outcome, seen, sent = run(example, tmp_path, cancel_at=120.0)
    assert outcome == ["SUCCEEDED", "Subscription finished for: c1", None]
    assert sent == ["welcome c1", "charge c1 120", "charge c1 130", "cancellation c1"]
    assert seen["100"]["billingPeriodNumber"] == 1
