"""Retry policies (``retry:`` in a spec) and the decision every runtime makes with them.

A light module of its own: task and subscription functions on Lambda decide retries
without loading the workflow compiler or CEL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from eventual.errors import VALIDATION_ERROR, names_error


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A retry policy as ``definition.json`` carries it (every field explicit there)."""

    attempts: int = 1
    backoff: float = 0.0
    multiplier: float = 2.0
    max_backoff: float | None = None
    jitter: str = "none"
    errors: tuple[str, ...] | None = None

    def retries(self, error: str, attempt: int) -> bool:
        """Whether attempt ``attempt`` failing with ``error`` is tried again."""
        if attempt >= self.attempts:
            return False
        if self.errors is None:
            return error != VALIDATION_ERROR
        return names_error(self.errors, error)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        delay = self.backoff * self.multiplier ** (attempt - 1)
        if self.max_backoff is not None:
            delay = min(delay, self.max_backoff)
        return rng.uniform(0.0, delay) if self.jitter == "full" else delay


def retry_after(
    policy: RetryPolicy, error: dict[str, str], attempt: int, rng: random.Random
) -> float | None:
    """Seconds until a delivery that failed ``attempt`` with ``error`` is tried again
    under the retry ``policy`` of its subscription; ``None`` when it is not."""
    return policy.delay(attempt, rng) if policy.retries(error["error"], attempt) else None
