"""Subscriptions and tasks signal running workflows (a subscription's ``signal:``, and
``ctx.signal`` limited to ``signals: [workflow.signal]``), on both local runtimes; the
graph and the catalog show who signals what.

The checkout example (tests/examples/test_checkout.py) runs the everyday paths; these
tests pin the errors: an undeclared signal, a signal to no running execution (raised
from code, retried then dead-lettered when declarative), a payload that does not fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.parity import same

from eventual import Service
from eventual.testing import TestEnvironment
from eventualc.emit.catalog import emit_catalog
from eventualc.emit.diagrams import to_mermaid
from eventualc.graphs.choreography import event_graph
from eventualc.pipeline import load

SPEC = """
service: orders
events:
  PaymentReceived:
    schema: {type: object, required: [orderId, amount], properties: {orderId: {type: string}, amount: {type: integer}}}
  Poke:
    schema: {type: object, required: [orderId, signal], properties: {orderId: {type: string}, signal: {type: string}}}
tasks:
  nudge:
    input: string
    signals: [processOrder.paid]
workflows:
  processOrder:
    input: string
    output: integer
    signals:
      paid: {type: object, required: [amount], properties: {amount: {type: integer}}}
    steps:
      - id: paid
        wait_for_signal: paid
        timeout: 1h
      - return: ${{ steps.paid.output.amount }}
  nudger:
    input: string
    steps:
      - task: nudge
        input: ${{ input }}
subscriptions:
  paymentArrived:
    events: [PaymentReceived]
    retry: {attempts: 3, backoff: 1s}
    signal:
      workflow: processOrder
      execution_name: ${{ event.orderId }}
      name: paid
      payload: {amount: "${{ event.amount }}"}
  poked:
    events: [Poke]
    retry: {attempts: 1}
    signals: [processOrder.paid]
"""

POKED = """
import eventual
from ..models import Poke

ERRORS: list[str] = []


def poked(event: Poke, ctx: eventual.SubscriptionContext) -> None:
    try:
        if event.signal == "bad-payload":
            ctx.signal("processOrder", event.orderId, "paid", {"amount": "many"})
        else:
            ctx.signal("processOrder", event.orderId, event.signal, {"amount": 7})
    except Exception as exc:
        ERRORS.append(f"{type(exc).__name__}: {exc}")
        raise
"""

NUDGE = """
import eventual


def nudge(input: str, ctx: eventual.TaskContext) -> None:
    ctx.signal("processOrder", input, "paid", {"amount": 3})
"""


@pytest.fixture
def orders(make_service: Any) -> Service:
    service: Service = make_service(SPEC, poked=POKED, nudge=NUDGE)
    return service


def dead_letters(runtime: Any) -> list[tuple[str, str]]:
    if isinstance(runtime, TestEnvironment):
        return [(d.subscription, d.error.error) for d in runtime.dead_letters]
    return [(d.subscription, d.error["error"]) for d in runtime.engine.dead_letters()]


def publish(runtime: Any, event: str, payload: Any) -> None:
    """Publishes on the TestEnvironment or on the engine a ``VirtualEngine`` drives."""
    getattr(runtime, "engine", runtime).publish(event, payload)


def test_a_declarative_signal_waits_for_its_execution_then_dead_letters(
    orders: Service, tmp_path: Path
) -> None:
    letters: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        publish(runtime, "PaymentReceived", {"orderId": "o1", "amount": 5})
        runtime.tick(1.5)  # first attempt failed, the second waits 1 s more
        start("processOrder", "o1", "o1")  # started within the retry window: delivered
        runtime.tick(10)
        publish(runtime, "PaymentReceived", {"orderId": "o2", "amount": 6})
        runtime.tick(60)  # never started: 3 attempts, then the dead letter
        letters.append(dead_letters(runtime))

    executions = same(orders, tmp_path, scenario)
    assert [e[:3] for e in executions] == [["SUCCEEDED", 5, None]]
    assert letters == [[("paymentArrived", "ExecutionNotFound")]] * 2


def test_ctx_signal_raises_for_undeclared_signals_and_missing_executions(
    orders: Service, tmp_path: Path
) -> None:
    import importlib

    poked = importlib.import_module(f"{orders.package}.handlers.poked")
    seen: list[Any] = []

    def scenario(runtime: Any, start: Any) -> None:
        poked.ERRORS.clear()
        start("processOrder", "o1", "o1")
        runtime.tick(1)
        for signal in ("cancel", "bad-payload"):
            publish(runtime, "Poke", {"orderId": "o1", "signal": signal})
        publish(runtime, "Poke", {"orderId": "nobody", "signal": "paid"})
        runtime.tick(1)
        publish(runtime, "Poke", {"orderId": "o1", "signal": "paid"})
        runtime.tick(1)
        seen.append([sorted(poked.ERRORS), sorted(dead_letters(runtime))])

    executions = same(orders, tmp_path, scenario)
    assert [e[:3] for e in executions] == [["SUCCEEDED", 7, None]]
    errors, letters = seen[0]
    assert seen[0] == seen[1]
    assert [e.split(":")[0] for e in errors] == [
        "ExecutionNotFound", "SignalRefused", "UndeclaredSignal",
    ]  # fmt: skip
    assert "'processOrder.cancel' is not in this handler's signals (processOrder.paid)" in errors[2]
    assert "amount" in errors[1]
    assert sorted(e for _, e in letters) == [
        "ExecutionNotFound", "SignalRefused", "UndeclaredSignal",
    ]  # fmt: skip


def test_a_task_signals_another_execution(orders: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("processOrder", "o1", "o1")
        runtime.tick(1)
        start("nudger", "o1")
        start("nudger", "nobody")
        runtime.tick(1)

    paid, nudged, failed = same(orders, tmp_path, scenario)
    assert paid[:3] == ["SUCCEEDED", 3, None]
    assert nudged[:3] == ["SUCCEEDED", None, None]
    assert failed[0] == "FAILED" and failed[2]["error"] == "ExecutionNotFound"


def test_the_graph_and_the_catalog_show_who_signals(orders: Service, tmp_path: Path) -> None:
    result = load([tmp_path / "spec.yaml"], tmp_path)
    assert result.build is not None
    text = to_mermaid(event_graph(result.build))
    assert 'sub_orders_paymentArrived -.->|"paid"|' in text
    assert 'sub_orders_poked -.->|"paid"|' in text
    assert 'task_orders_nudge -.->|"paid"|' in text
    page = emit_catalog(result.build, result.build.services[0])
    assert "- signals: `processOrder.paid`" in page
    assert "- may signal: `processOrder.paid`" in page


def test_older_definitions_read_without_signals() -> None:
    from eventual.definition import Subscription, Task

    task = Task("t", None, None, 1.0, None, (_retry(),), (), 128)
    data = {k: v for k, v in task.to_json().items() if k != "signals"}
    assert Task.from_json(data).signals == ()
    sub = Subscription("s", ("E",), None, (), (_retry(),), 1.0, 128, None, None, None)
    data = {k: v for k, v in sub.to_json().items() if k not in ("signal", "signals")}
    assert Subscription.from_json(data) == sub


def _retry() -> Any:
    from eventual.retry import RetryPolicy

    return RetryPolicy(attempts=1, backoff=0.0)
