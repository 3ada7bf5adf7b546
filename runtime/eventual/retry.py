"""Retry policies (``retry:`` in a spec) and the decision every runtime makes with them.

A light module of its own: task and subscription functions on Lambda decide retries
without loading the workflow compiler or CEL.

A task, a task step or a subscription carries a list of policies (``Retries``): the
first policy that matches a failure's error decides, as Step Functions' retriers do.
When the matching policy is spent the failure stands: later policies are not
consulted. A task's policies each count their own attempts (the failures it matched,
plus the first attempt); a subscription's count the delivery's attempts, the one
count a delivery keeps (on AWS, its SQS receive count).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventual.errors import VALIDATION_ERROR, names_error


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A retry policy as ``definition.json`` carries it (every field explicit there).

    ``errors`` is an allow-list (``"*"`` for any error), ``except_`` a deny-list (as
    Temporal's ``non_retryable_error_types``); with neither, every error but
    ``ValidationError`` matches. A policy has at most one of them."""

    attempts: int = 1
    backoff: float = 0.0
    multiplier: float = 2.0
    max_backoff: float | None = None
    jitter: str = "none"
    errors: tuple[str, ...] | None = None
    except_: tuple[str, ...] | None = None

    def matches(self, error: str) -> bool:
        """Whether this policy is the one to decide a failure with ``error``."""
        if self.errors is not None:
            return names_error(self.errors, error)
        return error != VALIDATION_ERROR and error not in (self.except_ or ())

    def retries(self, error: str, attempt: int) -> bool:
        """Whether attempt ``attempt`` failing with ``error`` is tried again."""
        return attempt < self.attempts and self.matches(error)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        delay = self.backoff * self.multiplier ** (attempt - 1)
        if self.max_backoff is not None:
            delay = min(delay, self.max_backoff)
        return rng.uniform(0.0, delay) if self.jitter == "full" else delay

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "attempts": self.attempts, "backoff": self.backoff, "multiplier": self.multiplier,
            "max_backoff": self.max_backoff, "jitter": self.jitter,
            "errors": list(self.errors) if self.errors is not None else None,
        }  # fmt: skip
        if self.except_ is not None:  # absent otherwise: older definitions read the same
            data["except"] = list(self.except_)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetryPolicy:
        errors, excepted = data["errors"], data.get("except")
        return cls(
            data["attempts"], data["backoff"], data["multiplier"], data["max_backoff"],
            data["jitter"], tuple(errors) if errors is not None else None,
            tuple(excepted) if excepted is not None else None,
        )  # fmt: skip


Retries = tuple[RetryPolicy, ...]


def first_match(policies: Retries, error: str) -> int | None:
    """The index of the policy that decides a failure with ``error``, if any."""
    return next((i for i, p in enumerate(policies) if p.matches(error)), None)


def retry_after(
    policies: Retries, error: dict[str, str], attempt: int, rng: random.Random
) -> float | None:
    """Seconds until a delivery that failed ``attempt`` with ``error`` is tried again
    under the retry ``policies`` of its subscription (the first that matches
    ``error`` decides); ``None`` when it is not."""
    chosen = first_match(policies, error["error"])
    if chosen is None or not policies[chosen].retries(error["error"], attempt):
        return None
    return policies[chosen].delay(attempt, rng)
