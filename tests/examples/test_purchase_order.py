"""examples/purchase-order: the Serverless Workflow purchase order (started by an event,
waits for the order's confirmation and shipment events, cancelled after 30 days), on
both local runtimes.

Needs from §2.8: ``wait_for_event`` with ``match`` (the original's event correlation
on ``orderid``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

DAY = 86400


def created(order: str) -> dict[str, Any]:
    return {"orderId": order, "customer": "Ada", "total": 99.5}


def shipped(order: str, carrier: str = "DHL") -> dict[str, Any]:
    return {"orderId": order, "carrier": carrier}


def run(example: Example, tmp_path: Path, steps: list[tuple[float, str, Any]]) -> Any:
    """Publishes each ``(at seconds, event, payload)``, then runs to 31 days; returns the
    orders' outcomes (by name), the events published and the ledger."""
    service = example("purchase-order")
    ledger = handler(service, "ledger")

    def scenario(runtime: Runtime) -> Any:
        now = 0.0
        for at, event, payload in steps:
            runtime.tick(at - now)
            now = at
            runtime.publish(event, payload)
        runtime.tick(31 * DAY - now)
        orders = [payload["orderId"] for _, event, payload in steps if event == "OrderCreated"]
        assert runtime.count("purchaseOrder") == len(orders)  # one per created order
        outcomes = {order: runtime.outcome(order) for order in orders}
        return [outcomes, runtime.emitted(), list(ledger.ENTRIES)]

    return on_both(service, tmp_path, scenario)


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "purchase-order" / "specs")])
    assert result.exit_code == 0, result.output


def test_an_order_is_confirmed_shipped_and_finished(example: Example, tmp_path: Path) -> None:
    outcomes, emitted, ledger = run(example, tmp_path, [
        (0, "OrderCreated", created("o1")),
        (DAY, "OrderConfirmed", {"orderId": "o1"}),
        (3 * DAY, "ShipmentSent", shipped("o1")),
    ])  # fmt: skip
    assert outcomes == {"o1": ["SUCCEEDED", "o1 shipped by DHL", None]}
    assert emitted == ["OrderCreated", "OrderConfirmed", "ShipmentSent", "OrderFinished"]
    assert ledger == ["created o1", "confirmed o1", "shipped o1"]


def test_events_that_arrive_before_their_wait_are_kept_for_it(
    example: Example, tmp_path: Path
) -> None:
    # the shipment is announced before the confirmation: the order still waits for the
    # confirmation first, then takes the shipment it kept
    outcomes, _, ledger = run(example, tmp_path, [
        (0, "OrderCreated", created("o1")),
        (10, "ShipmentSent", shipped("o1", "UPS")),
        (20, "OrderConfirmed", {"orderId": "o1"}),
    ])  # fmt: skip
    assert outcomes == {"o1": ["SUCCEEDED", "o1 shipped by UPS", None]}
    assert ledger == ["created o1", "confirmed o1", "shipped o1"]


def test_each_order_takes_only_its_own_events(example: Example, tmp_path: Path) -> None:
    outcomes, emitted, _ = run(example, tmp_path, [
        (0, "OrderCreated", created("o1")),
        (0, "OrderCreated", created("o2")),
        (10, "OrderConfirmed", {"orderId": "o2"}),
        (20, "ShipmentSent", shipped("o2")),
        (30, "ShipmentSent", shipped("o1", "UPS")),
        (40, "OrderConfirmed", {"orderId": "o1"}),
    ])  # fmt: skip
    assert outcomes == {"o1": ["SUCCEEDED", "o1 shipped by UPS", None],
                        "o2": ["SUCCEEDED", "o2 shipped by DHL", None]}  # fmt: skip
    assert emitted.count("OrderFinished") == 2


def test_an_order_not_shipped_in_30_days_is_cancelled(example: Example, tmp_path: Path) -> None:
    outcomes, emitted, ledger = run(example, tmp_path, [
        (0, "OrderCreated", created("o1")),
        (DAY, "OrderConfirmed", {"orderId": "o1"}),
    ])  # fmt: skip
    assert outcomes["o1"][0] == "TIMED_OUT"
    assert emitted == ["OrderCreated", "OrderConfirmed", "OrderCancelled"]
    assert ledger == ["created o1", "confirmed o1", "cancelled o1"]
