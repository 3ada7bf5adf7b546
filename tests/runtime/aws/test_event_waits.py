"""``wait_for_event`` on the deployed stack (moto): the ``WaitedEvents`` rule brings events
to the orchestrator's inbox, which hands each to the running executions the index of
``eventual.aws.waits`` names, keyed by their ``match`` values when the input decides them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.runtime.aws.support import Aws, reached

from eventual.aws.record import ExecutionRecord
from eventual.aws.waits import lookups, markers
from eventual.definition import Workflow
from eventual.routing import ANY
from eventual.status import ExecutionStatus


def _kept(aws: Aws, execution: str) -> dict[str, list[object]]:
    found = aws.client("trips").deployment.records.read(execution)
    assert found is not None
    return ExecutionRecord.from_text(found.text).state.events


def _markers(aws: Aws, execution: str) -> list[str]:
    store = aws.client("trips").deployment.store
    return [key for key in store.keys("waits/") if key.endswith("/" + execution)]


def test_events_published_before_the_wait_are_kept_routed_by_key_and_taken_once(
    aws: Aws,
) -> None:
    trips, orders = aws.client("trips"), aws.client("orders")
    tag = uuid.uuid4().hex[:8]
    one, two = trips.start("clearance", f"c1-{tag}"), trips.start("clearance", f"c2-{tag}")
    assert len(_markers(aws, one)) == 3  # two keyed by the input, one by a step's output
    # All published before either execution ran a step: none may be missed.
    trips.publish("Cleared", {"tripId": f"c1-{tag}", "by": f"ann-{tag}"})
    trips.publish("Cleared", {"tripId": f"elsewhere-{tag}", "by": f"ann-{tag}"})
    orders.publish("OrderCreated", {"orderId": f"c1-{tag}"})  # another service's event
    view = aws.finish(trips, one, timeout=60)
    assert (view.status, view.result) == (
        ExecutionStatus.SUCCEEDED,
        f"ann-{tag}/elsewhere-{tag}/c1-{tag}",
    )
    assert _markers(aws, one) == []  # released when it ended
    # The other execution keeps what its waits may want, in publish order: every Cleared
    # (its second wait matches on a step's output, known only then), but not the order
    # of another input (that wait is keyed by its input).
    kept = _kept(aws, two)
    assert [e["tripId"] for e in kept["Cleared"]] == [f"c1-{tag}", f"elsewhere-{tag}"]  # type: ignore[index]
    assert "orders.OrderCreated" not in kept
    trips.publish("Cleared", {"tripId": f"c2-{tag}", "by": f"bob-{tag}"})
    trips.publish("Cleared", {"tripId": f"later-{tag}", "by": f"bob-{tag}"})
    orders.publish("OrderCreated", {"orderId": f"c2-{tag}"})
    assert aws.finish(trips, two, timeout=60).result == f"bob-{tag}/later-{tag}/c2-{tag}"
    assert _markers(aws, two) == []


def test_a_wait_for_event_times_out_on_aws(aws: Aws) -> None:
    trips = aws.client("trips")
    execution = trips.start("clearance", f"late-{uuid.uuid4().hex[:8]}")
    aws.harness.run(until=lambda: reached(trips, execution, "wait_for_event"), timeout=30)
    offset = aws.harness.offset
    try:
        assert aws.harness.advance(timedelta(hours=1, minutes=1)) >= 1  # its timeout's schedule
        view = aws.finish(trips, execution, timeout=60)
    finally:
        aws.harness.offset = offset  # the clock the other tests of the session share
    assert view.status is ExecutionStatus.FAILED
    assert view.error is not None and view.error["error"] == "Timeout"
    assert _markers(aws, execution) == []


WORKFLOW = Workflow.from_json(
    {
        "version": "v",
        "input": None,
        "output": None,
        "timeout": None,
        "signals": {},
        "steps": [
            {"kind": "wait_for_event", "id": "a", "target": "Paid",
             "value": {"order": "${{ input.id }}", "n": "${{ input.n }}"}},
            {"kind": "wait_for_event", "id": "b", "target": "Paid",
             "value": {"order": "${{ vars.x }}"}},
            {"kind": "wait_for_event", "id": "c", "target": "Shipped", "value": {}},
        ],
    }
)  # fmt: skip


def test_markers_are_keyed_by_the_input_and_found_from_the_payload() -> None:
    keys = markers(WORKFLOW, "wf", "x1", {"id": "o-1", "n": 5})
    assert len(keys) == 3 and all(k.startswith("waits/") and k.endswith("/x1") for k in keys)
    assert sum(f"/{ANY}/" in k for k in keys) == 1  # the wait on a variable
    prefixes = set(lookups(WORKFLOW, "wf", "Paid", {"order": "o-1", "n": 5.0, "extra": 1}))
    paid = {k.rpartition("/")[0] + "/" for k in keys if k.startswith("waits/Paid/")}
    assert paid <= prefixes  # 5.0 finds the marker of 5; the open wait is always looked at
    other = set(lookups(WORKFLOW, "wf", "Paid", {"order": "o-2", "n": 5}))
    assert len(paid - other) == 1  # another order misses the keyed marker
    assert set(lookups(WORKFLOW, "wf", "Paid", "not an object")) == {f"waits/Paid/wf/{ANY}/"}
    shipped = {k.rpartition("/")[0] + "/" for k in keys if k.startswith("waits/Shipped/")}
    assert shipped <= set(lookups(WORKFLOW, "wf", "Shipped", {"anything": 1}))
