"""A stand-in for the bank's API (the original's ``BankingService`` is one too).

Accounts and balances live in memory. Every call names a reference: a call repeated
with the same reference returns the first call's confirmation and moves no money, so
retried tasks are safe. ``outage(n)`` makes the next ``n`` calls fail with
``BankUnavailable``, a transient error that the tasks' retry policy retries.
"""

from __future__ import annotations

ACCOUNTS: dict[str, int] = {}
CONFIRMED: dict[str, str] = {}  # reference -> confirmation
CALLS: list[str] = []  # "withdraw <reference>", ... in call order
_OUTAGE = [0]


class InvalidAccountError(Exception):
    """The account does not exist: retrying cannot help."""


class InsufficientFundsError(Exception):
    """The account holds less than the amount: retrying cannot help."""


class BankUnavailable(Exception):
    """The bank did not answer: worth retrying."""


def reset(accounts: dict[str, int] | None = None) -> None:
    ACCOUNTS.clear()
    ACCOUNTS.update(accounts or {"85-150": 2000, "43-812": 0})
    CONFIRMED.clear()
    CALLS.clear()
    _OUTAGE[0] = 0


def outage(calls: int) -> None:
    _OUTAGE[0] = calls


def move(kind: str, account: str, amount: int, reference: str) -> str:
    """Adds ``amount`` (negative: takes it) to ``account``; the confirmation id."""
    CALLS.append(f"{kind} {reference}")
    if _OUTAGE[0] > 0:
        _OUTAGE[0] -= 1
        raise BankUnavailable("the bank did not answer")
    if reference in CONFIRMED:
        return CONFIRMED[reference]
    if account not in ACCOUNTS:
        raise InvalidAccountError(f"account number {account} is invalid")
    if ACCOUNTS[account] + amount < 0:
        raise InsufficientFundsError(f"insufficient funds in {account}")
    ACCOUNTS[account] += amount
    CONFIRMED[reference] = f"{kind[0].upper()}{len(CONFIRMED) + 1:04d}"
    return CONFIRMED[reference]


reset()
