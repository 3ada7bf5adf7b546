"""`eventualc invoke TASK --input JSON`: one handler, run locally with the engine's
validation, as users run it (a real process in a fresh project)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support import build_project, eventualc

SPEC = """\
service: shop
events:
  Charged:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
types:
  Order:
    type: object
    required: [orderId, amount]
    properties: {orderId: {type: string}, amount: {type: integer}}
tasks:
  charge: {input: Order, output: string, emits: [Charged]}
  refund: {input: string}
"""
CHARGE = """\
import eventual
from ..models import Charged, Order

def charge(input: Order, ctx: eventual.TaskContext) -> str:
    print(f"charging {input.orderId}")
    if input.amount > 100:
        raise eventual.TaskError("Declined", "over the limit")
    if input.amount == 13:
        ctx.emit("Charged", {"orderId": 13})
    ctx.emit(Charged(orderId=input.orderId))
    return f"paid-{input.orderId}"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("invoke")
    build_project(root, "shop", SPEC, {"charge.py": CHARGE}, out="generated")
    return root


def test_invoke_prints_the_output_alone_on_stdout(project: Path) -> None:
    done = eventualc(project, "invoke", "charge", "--input", '{"orderId": "o-1", "amount": 5}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "paid-o-1"
    lines = done.stderr.splitlines()
    assert "charging o-1" in lines  # the handler's print, kept off stdout
    assert '  → emitted Charged: {"orderId": "o-1"}' in lines
    assert lines[-1].startswith("eventualc: shop.charge succeeded in ")
    assert lines[-1].endswith("; 1 event emitted (not delivered)")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["charge", "--input", '{"orderId": "o-2"}'],
            1,
            "input of charge: Order: amount: Field required",
        ),
        (["charge", "--input", '{"orderId": "o-3", "amount": 500}'], 1, "charge failed in "),
        (["charge", "--input", '{"orderId": "o-3", "amount": 500}'], 1, "Declined: over the limit"),
        (["charge", "--input", '{"orderId": "o-4", "amount": 13}'], 1, ": ValidationError: "),
        (["charge", "--input", "{nope"], 2, "--input is not valid JSON"),
        (["chrage"], 2, "no task 'chrage'; did you mean 'charge'?"),
        (["refund", "--input", '"o-5"'], 1, "NotImplementedError: refund is not implemented yet"),
    ],
)
def test_invoke_fails_like_the_engine_would(
    project: Path, args: list[str], code: int, message: str
) -> None:
    done = eventualc(project, "invoke", *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert done.stdout == ""
