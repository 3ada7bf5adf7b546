"""examples/checkout: the Step Functions checkout whose payment and shipping services
call back (``.waitForTaskToken``), on both local runtimes.

Needs from §2.8: ``ctx.signal`` with a subscription's ``signals:`` (the payment
service answers its checkout, as ``SendTaskSuccess`` does) and a subscription's
declarative ``signal:`` (the shipping service's answer, an event, is handed to the
checkout that waits for it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

CART = {"cartId": "c1", "email": "ada@example.com", "address": "1 Orchard Road, Singapore",
        "items": {"orange": 2, "banana": 1, "lemon": 3}, "totalCost": 42.5}  # fmt: skip


def checkouts(example: Example, tmp_path: Path, *carts: dict[str, Any]) -> Any:
    service = example("checkout")
    orders = handler(service, "orders")

    def scenario(runtime: Runtime) -> Any:
        for cart in carts:
            runtime.start("checkout", cart, name=cart["cartId"])
        runtime.tick(10)
        outcomes = [runtime.outcome(cart["cartId"]) for cart in carts]
        emitted, notices = runtime.emitted(), list(orders.NOTICES)
        if len(carts) > 1:  # checkouts run side by side interleave as each runtime schedules
            emitted, notices = sorted(emitted), sorted(notices)
        return [outcomes, emitted, {k: dict(v) for k, v in orders.ORDERS.items()}, notices]

    return on_both(service, tmp_path, scenario)


def statuses(payment: str, shipping: str) -> dict[str, str]:
    return {"email": "ada@example.com", "order_status": "pending",
            "payment_status": payment, "shipping_status": shipping}  # fmt: skip


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "checkout" / "specs")])
    assert result.exit_code == 0, result.output


def test_a_checkout_is_paid_then_shipped(example: Example, tmp_path: Path) -> None:
    outcomes, emitted, orders, notices = checkouts(example, tmp_path, CART)
    assert outcomes == [["SUCCEEDED", "ShippingSuccessful", None]]
    assert emitted == ["PaymentRequested", "ShippingRequested", "ShippingAnswered",
                       "ShippingSuccessful"]  # fmt: skip
    assert orders == {"c1": {**statuses("Successful", "Successful"), "total_cost": "42.5"}}
    assert notices == ["ShippingSuccessful c1"]


def test_a_declined_payment_ends_the_checkout_before_shipping(
    example: Example, tmp_path: Path
) -> None:
    cart = {**CART, "totalCost": 1500}
    outcomes, emitted, orders, notices = checkouts(example, tmp_path, cart)
    assert outcomes == [["SUCCEEDED", "PaymentFailed", None]]
    assert emitted == ["PaymentRequested", "PaymentFailed"]
    assert orders["c1"]["payment_status"] == "Unsuccessful"
    assert orders["c1"]["shipping_status"] == "pending"
    assert notices == ["PaymentFailed c1"]


def test_a_shipment_that_cannot_be_made_is_reported(example: Example, tmp_path: Path) -> None:
    cart = {**CART, "address": "5 Rue de Rivoli, Paris, France"}
    outcomes, _, orders, notices = checkouts(example, tmp_path, cart)
    assert outcomes == [["SUCCEEDED", "ShippingFailed", None]]
    assert (orders["c1"]["payment_status"], orders["c1"]["shipping_status"]) == (
        "Successful", "Unsuccessful")  # fmt: skip
    assert notices == ["ShippingFailed c1"]


def test_each_answer_reaches_its_own_checkout(example: Example, tmp_path: Path) -> None:
    carts = [
        {**CART, "cartId": "c1", "totalCost": 2000},
        {**CART, "cartId": "c2"},
        {**CART, "cartId": "c3", "address": "Berlin, Germany"},
    ]
    outcomes, _, _, notices = checkouts(example, tmp_path, *carts)
    assert [o[1] for o in outcomes] == ["PaymentFailed", "ShippingSuccessful", "ShippingFailed"]
    assert sorted(notices) == ["PaymentFailed c1", "ShippingFailed c3", "ShippingSuccessful c2"]


def test_an_answer_for_no_checkout_is_dead_lettered(example: Example, tmp_path: Path) -> None:
    service = example("checkout")

    def scenario(runtime: Runtime) -> Any:
        runtime.publish("ShippingAnswered", {"cartId": "nobody", "status": "ShippingSuccessful"})
        runtime.tick(60)  # the subscription's retry window: 3 attempts, 1 s then 2 s apart
        return runtime.dead_letters()

    assert on_both(service, tmp_path, scenario) == [["shippingAnswered", "ShippingAnswered"]]
