"""examples/money-transfer: Temporal's money transfer (withdraw, deposit, refund on a
failed deposit and re-raise its error), on both local runtimes.

Needs from §2.8: ``retry.except`` (Temporal's non-retryable error types) and
``fail: ${{ error }}`` (re-raise the caught error as it was).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

TRANSFER = {"source_account": "85-150", "target_account": "43-812", "amount": 250,
            "reference_id": "ref-1"}  # fmt: skip


def transfer(example: Example, tmp_path: Path, details: dict[str, Any], outage: int = 0) -> Any:
    service = example("money-transfer")
    bank = handler(service, "bank")

    def scenario(runtime: Runtime) -> Any:
        bank.outage(outage)
        execution = runtime.start("moneyTransfer", details)
        runtime.tick(30)
        return [runtime.outcome(execution), dict(bank.ACCOUNTS), list(bank.CALLS)]

    return on_both(service, tmp_path, scenario)


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "money-transfer" / "specs")])
    assert result.exit_code == 0, result.output


def test_a_transfer_withdraws_then_deposits(example: Example, tmp_path: Path) -> None:
    outcome, accounts, calls = transfer(example, tmp_path, TRANSFER)
    assert outcome == ["SUCCEEDED", "Transfer complete (transaction IDs: W0001, D0002)", None]
    assert accounts == {"85-150": 1750, "43-812": 250}
    assert calls == ["withdraw ref-1-withdraw", "deposit ref-1-deposit"]


def test_a_bank_outage_is_retried_until_it_passes(example: Example, tmp_path: Path) -> None:
    outcome, accounts, calls = transfer(example, tmp_path, TRANSFER, outage=2)
    assert outcome[0] == "SUCCEEDED"
    assert accounts == {"85-150": 1750, "43-812": 250}
    assert calls == ["withdraw ref-1-withdraw"] * 3 + ["deposit ref-1-deposit"]


def test_a_failed_deposit_is_refunded_and_its_error_raised_as_it_was(
    example: Example, tmp_path: Path
) -> None:
    details = {**TRANSFER, "target_account": "00-000"}
    outcome, accounts, calls = transfer(example, tmp_path, details)
    assert outcome == ["FAILED", None, {"error": "InvalidAccountError",
                                        "message": "account number 00-000 is invalid"}]  # fmt: skip
    assert accounts == {"85-150": 2000, "43-812": 0}  # refunded
    # InvalidAccountError is not retried: one deposit attempt, then the refund
    assert calls == ["withdraw ref-1-withdraw", "deposit ref-1-deposit", "refund ref-1-refund"]


def test_insufficient_funds_fail_at_once_without_a_deposit(
    example: Example, tmp_path: Path
) -> None:
    outcome, accounts, calls = transfer(example, tmp_path, {**TRANSFER, "amount": 5000})
    assert outcome == ["FAILED", None, {"error": "InsufficientFundsError",
                                        "message": "insufficient funds in 85-150"}]  # fmt: skip
    assert accounts == {"85-150": 2000, "43-812": 0}
    assert calls == ["withdraw ref-1-withdraw"]
