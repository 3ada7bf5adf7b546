"""``wait_for_event``: a workflow waits for a correlated event (CONTRACT §2.8).

Behaviour runs on both local runtimes (``tests.parity.same``: same outcome, same
history); the ordering property runs on the TestEnvironment with hypothesis. The
compiler half: ``match`` and ``filter`` checked against the event, the output typed
by the event's schema, the step drawn, and the event counted as consumed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.parity import same
from tests.support import CheckSpec, MakeService, codes

from eventual import Service
from eventual.interpreter import ExecutionState
from eventual.state import dump_state, load_state
from eventual.steps.waits import EVENT_BUFFER
from eventual.testing import TestEnvironment
from eventualc.cli import cli
from eventualc.graphs.choreography import event_graph
from eventualc.graphs.flowchart import flowchart

SPEC = """\
service: shop
events:
  Shipped:
    schema:
      type: object
      required: [orderId, carrier]
      properties: {orderId: {type: string}, carrier: {type: string}, n: {type: integer}}
tasks:
  note: {input: string}
workflows:
  order:
    input: {type: object, required: [id], properties: {id: {type: string}}}
    output: string
    steps:
      - sleep: 10s
      - id: shipped
        wait_for_event: Shipped
        match: {orderId: "${{ input.id }}"}
        filter: {carrier: [{prefix: DHL}]}
        timeout: 1h
      - return: ${{ steps.shipped.output.carrier }}
  twice:
    input: string
    steps:
      - id: first
        wait_for_event: Shipped
        match: {orderId: "${{ input }}"}
      - id: second
        wait_for_event: Shipped
        match: {orderId: "${{ input }}"}
      - return: ["${{ steps.first.output.n }}", "${{ steps.second.output.n }}"]
"""


@pytest.fixture
def shop(make_service: MakeService) -> Service:
    return make_service(SPEC)


def publish(runtime: Any, payload: dict[str, Any]) -> None:
    if isinstance(runtime, TestEnvironment):
        runtime.publish("Shipped", payload)
    else:
        runtime.engine.publish("Shipped", payload)


def test_an_event_published_before_the_step_is_kept_for_it(shop: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("order", {"id": "o1"})
        runtime.tick(1)
        publish(runtime, {"orderId": "o2", "carrier": "DHL Express"})  # another order's
        publish(runtime, {"orderId": "o1", "carrier": "UPS"})  # filtered out
        publish(runtime, {"orderId": "o1", "carrier": "DHL Express"})
        runtime.tick(60)

    (status, result, _, history), = same(shop, tmp_path, scenario)  # fmt: skip
    assert (status, result) == ("SUCCEEDED", "DHL Express")
    assert [e["type"] for e in history].count("StepCompleted") >= 1


def test_an_event_published_while_waiting_completes_the_step(shop: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("order", {"id": "o1"})
        runtime.tick(100)
        publish(runtime, {"orderId": "o1", "carrier": "DHL"})
        runtime.tick(1)

    (status, result, _, _), = same(shop, tmp_path, scenario)  # fmt: skip
    assert (status, result) == ("SUCCEEDED", "DHL")


def test_no_matching_event_times_out(shop: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("order", {"id": "o1"})
        runtime.tick(100)
        publish(runtime, {"orderId": "o1", "carrier": "FedEx"})
        runtime.tick(2 * 3600)
        publish(runtime, {"orderId": "o1", "carrier": "DHL"})  # too late
        runtime.tick(1)

    (status, _, error, _), = same(shop, tmp_path, scenario)  # fmt: skip
    assert status == "FAILED"
    assert error["error"] == "Timeout"


def test_events_before_the_execution_started_are_not_seen(shop: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        publish(runtime, {"orderId": "o1", "carrier": "DHL", "n": 0})
        runtime.tick(1)
        start("twice", "o1")
        runtime.tick(1)
        publish(runtime, {"orderId": "o1", "carrier": "DHL", "n": 1})
        runtime.tick(1)

    (status, _, _, _), = same(shop, tmp_path, scenario)  # fmt: skip
    assert status == "IN_PROGRESS"


def test_each_event_is_taken_once_in_publish_order(shop: Service, tmp_path: Path) -> None:
    def scenario(runtime: Any, start: Any) -> None:
        start("twice", "o1")
        start("twice", "o2")
        runtime.tick(1)
        for n in range(3):
            publish(runtime, {"orderId": "o1", "carrier": "DHL", "n": n})
        publish(runtime, {"orderId": "o2", "carrier": "DHL", "n": 9})
        publish(runtime, {"orderId": "o2", "carrier": "DHL", "n": 8})
        runtime.tick(1)

    (s1, r1, _, _), (s2, r2, _, _) = same(shop, tmp_path, scenario)
    assert (s1, r1) == ("SUCCEEDED", [0, 1])
    assert (s2, r2) == ("SUCCEEDED", [9, 8])


def test_the_kept_events_survive_the_state_codec_and_are_bounded(shop: Service) -> None:
    env = TestEnvironment(shop)
    execution = env.start_execution("order", {"id": "o1"})
    env.tick(1)
    for n in range(EVENT_BUFFER + 5):
        env.publish("Shipped", {"orderId": "other", "carrier": "DHL", "n": n})
    env.tick(1)
    state: ExecutionState = env._executions[execution.id].state
    kept = state.events["Shipped"]
    assert len(kept) == EVENT_BUFFER
    assert kept[0]["n"] == 5  # the oldest were dropped
    restored = load_state(dump_state(state))
    assert restored.events == state.events
    env.tick(20)
    restored = load_state(dump_state(state))
    assert restored.event_waits == state.event_waits
    assert restored.event_waits["Shipped"][0][1] == {"orderId": "o1"}


# The service is read-only; each example makes its own TestEnvironment.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(st.sampled_from(["a", "b"]), max_size=4),
    after=st.lists(st.sampled_from(["a", "b"]), max_size=4),
)
def test_each_wait_takes_the_first_unconsumed_matching_event(
    shop: Service, before: list[str], after: list[str]
) -> None:
    """Events published in random order, some before the waits start, some after: each
    wait of ``twice`` (for its key) takes the first matching event not yet taken."""
    env = TestEnvironment(shop)
    env.tick(1)
    runs = {key: env.start_execution("twice", key) for key in "ab"}
    published = [*before, *after]
    for n, key in enumerate(before):
        env.publish("Shipped", {"orderId": key, "carrier": "DHL", "n": n})
    env.tick(1)  # the waits start
    for n, key in enumerate(after, start=len(before)):
        env.publish("Shipped", {"orderId": key, "carrier": "DHL", "n": n})
    env.tick(1)
    for key, execution in runs.items():
        mine = [n for n, k in enumerate(published) if k == key]
        status = execution.get_status()
        if len(mine) >= 2:
            assert status.result == mine[:2]
        else:
            assert status.status.value == "IN_PROGRESS"


# -- the compiler ---------------------------------------------------------------------


def test_a_clean_spec_checks_without_warnings(check_spec: CheckSpec) -> None:
    assert codes(check_spec(SPEC)) == []


@pytest.mark.parametrize(
    ("step", "code", "words"),
    [
        ('{wait_for_event: Shipped, match: {orderld: "x"}}', "E405", "has no field 'orderld'"),
        ("{wait_for_event: Shipped, match: {n: abc}}", "E405", "does not fit"),
        ("{wait_for_event: Shiped}", "E306", "unknown event 'Shiped'"),
        ("{wait_for_event: Shipped, filter: {carier: [DHL]}}", "E502", "carier"),
        ("{wait_for_event: Shipped, filter: {n: [{prefix: x}]}}", "E503", ""),
    ],
)
def test_match_and_filter_are_checked_against_the_event(
    check_spec: CheckSpec, step: str, code: str, words: str
) -> None:
    spec = SPEC.split("workflows:")[0] + f"workflows:\n  w:\n    steps:\n      - {step}\n"
    result = check_spec(spec)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, result.diagnostics
    assert words in found[0].message
    assert found[0].span is not None


def test_the_output_is_typed_by_the_event(check_spec: CheckSpec) -> None:
    spec = SPEC.replace("steps.shipped.output.carrier", "steps.shipped.output.carier")
    assert "E4" in " ".join(codes(check_spec(spec)))


def test_an_event_only_waited_for_is_consumed(check_spec: CheckSpec) -> None:
    assert "W701" not in codes(check_spec(SPEC))
    unused = SPEC.replace("wait_for_event: Shipped", "wait_for_event: shop.Shipped", 1)
    assert "W701" not in codes(check_spec(unused))


def test_the_wait_is_drawn(check_spec: CheckSpec) -> None:
    build = check_spec(SPEC).build
    assert build is not None
    service = build.services[0]
    chart = flowchart(service, service.workflows[0])
    titles = [" ".join(n.lines) for n in chart.nodes]
    assert any("wait for event Shipped by orderId" in t for t in titles), titles
    graph = event_graph(build)
    event = next(n.id for n in graph.nodes if n.kind == "event")
    awaited = [e for e in graph.edges if e.source == event and e.label == "awaited"]
    assert len(awaited) == 2  # one edge per workflow node: order and twice


def test_the_catalog_lists_the_waiting_workflow_as_a_consumer(
    check_spec: CheckSpec, tmp_path: Path
) -> None:
    check_spec(SPEC)
    result = CliRunner().invoke(cli, ["build", "specs", "--out", "gen"])
    assert result.exit_code == 0, result.output
    catalog = next(tmp_path.rglob("*.md")).read_text()
    assert "Consumed by: workflow `order`, workflow `twice`." in catalog
    assert "wait for event Shipped by orderId" in catalog
