"""What workflows ported from Step Functions and Temporal write, run as written.

Interpolated ``sleep`` templates (``"${{ string(input) }}m"``), dotted error names
(``Lambda.ServiceException``) in ``retry``/``catch``/``fail``, and ``"*"`` in
``retry.errors``, which retries any error (``ValidationError`` too), as in ``catch``.
Each scenario runs on the TestEnvironment and on the SQLite engine, which must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.parity import same
from tests.support import MakeService

from eventual import Service
from eventual.retry import RetryPolicy

SPEC = """\
service: ported
tasks:
  charge: {input: integer, output: string}
  anyway: {input: integer, output: string, retry: {attempts: 3, backoff: 1s, errors: ["*"]}}
workflows:
  nap:
    input: integer
    output: string
    steps:
      - sleep: "${{ string(input) }}m"
      - sleep: "${{ input }}${{ 's' }}"
      - return: ${{ string(now) }}
  pay:
    input: integer
    output: string
    steps:
      - id: charge
        task: charge
        input: ${{ input }}
        retry: {attempts: 3, backoff: 5s, errors: [Lambda.ServiceException]}
        catch:
          - errors: [Payments.Declined]
            steps: [{fail: {error: Payments.Failed, message: "declined: ${{ error.message }}"}}]
      - return: ${{ steps.charge.output }}
  retryAnything:
    input: integer
    steps: [{task: anyway, input: "${{ input }}"}]
"""
CHARGE = """\
import eventual

CALLS: list[int] = []

def charge(input: int, ctx: eventual.TaskContext) -> str:
    CALLS.append(input)
    if input == 1 and ctx.attempt < 3:
        raise eventual.TaskError("Lambda.ServiceException", "try again")
    if input == 2:
        raise eventual.TaskError("Payments.Declined", "no funds")
    return f"paid {input} on attempt {ctx.attempt}"
"""
ANYWAY = """\
import eventual

def anyway(input: int, ctx: eventual.TaskContext) -> str:
    if ctx.attempt == 1:
        raise KeyError("first")
    if ctx.attempt == 2:
        return 42  # not a string: ValidationError, retried too under "*"
    return "third time"
"""


@pytest.fixture
def ported(make_service: MakeService) -> Service:
    return make_service(SPEC, charge=CHARGE, anyway=ANYWAY)


def test_an_interpolated_sleep_template_is_a_duration(ported: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("nap", 2)
        runtime.tick(121)
        runtime.tick(1)

    got = same(ported, tmp_path, scenario)
    assert got[0][:2] == ["SUCCEEDED", "1970-01-01T00:02:02Z"]


def test_dotted_error_names_are_retried_caught_and_raised(ported: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("pay", 1)
        start("pay", 2)
        runtime.tick(30)

    got = same(ported, tmp_path, scenario)
    assert got[0][:2] == ["SUCCEEDED", "paid 1 on attempt 3"]
    assert got[1][0] == "FAILED"
    assert got[1][2] == {"error": "Payments.Failed", "message": "declined: no funds"}


def test_star_in_retry_errors_retries_any_error(ported: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Callable[..., str]) -> None:
        start("retryAnything", 0)
        runtime.tick(10)

    got = same(ported, tmp_path, scenario)
    assert got[0][:2] == ["SUCCEEDED", None]
    failures = [h["error"]["error"] for h in got[0][3] if h["type"] == "TaskFailed"]
    assert failures == ["KeyError", "ValidationError"]


def test_retry_policies_match_names_exactly_or_by_star() -> None:
    dotted = RetryPolicy(attempts=2, errors=("Lambda.ServiceException",))
    assert dotted.retries("Lambda.ServiceException", 1)
    assert not dotted.retries("Lambda", 1)
    assert not dotted.retries("Lambda.ServiceException", 2)  # attempts are used up
    anything = RetryPolicy(attempts=2, errors=("*",))
    assert anything.retries("ValidationError", 1)
    assert not RetryPolicy(attempts=2).retries("ValidationError", 1)  # the default skips it
