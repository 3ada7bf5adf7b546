"""Type-checking of templates and CEL expressions: scopes, flow, targets."""

from __future__ import annotations

import pytest
from tests.support import CheckSpec, codes

HEAD = """\
service: shop
types:
  Money: {type: object, required: [amount, currency],
          properties: {amount: {type: number}, currency: {type: string, enum: [EUR, USD]}}}
events:
  Paid:
    schema: {type: object, required: [orderId, total],
             properties: {orderId: {type: string}, total: Money}}
tasks:
  price: {input: string, output: Money}
  charge: {input: Money, output: string, emits: [Paid]}
  note: {input: string}
  items: {output: {type: array, items: {type: integer}}}
subscriptions:
  onPaid: {events: [Paid]}
workflows:
  child: {input: Money, output: string, steps: [{return: "${{ input.currency }}"}]}
  flow:
    input: {type: object, required: [orderId], properties: {orderId: {type: string}}}
    output: {type: object, required: [id], properties: {id: {type: string}}}
    signals: {approve: boolean}
    steps:
"""


def steps(*lines: str) -> str:
    return HEAD + "".join(f"      {line}\n" for line in lines)


def messages(result: object) -> list[str]:
    return [f"{d.code} {d.message}" for d in result.diagnostics]  # type: ignore[attr-defined]


def test_well_typed_workflow_is_clean(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- {id: p, task: price, input: '${{ input.orderId }}'}",
        "- {id: c, task: charge, input: '${{ steps.p.output }}'}",
        "- {task: charge, input: {amount: '${{ steps.p.output.amount * 2 }}', currency: EUR}}",
        "- {workflow: child, input: '${{ steps.p.output }}'}",
        "- {emit: Paid, payload: {orderId: '${{ input.orderId }}', total: '${{ steps.p.output }}'}}",
        "- {id: i, task: items}",
        "- {for_each: '${{ steps.i.output }}', steps: [{task: note, input: 'n${{ item + index }}'}]}",
        "- {set: {big: '${{ steps.p.output.amount > 10.5 }}'}}",
        "- if: '${{ vars.big && steps.i.output.exists(x, x > 3) }}'",
        "  then: [{sleep: 5m}]",
        "  else: [{sleep_until: '${{ now + duration(\"1h\") }}'}]",
        "- {id: ok, wait_for_signal: approve, timeout: 1d}",
        "- {return: {id: '${{ steps.c.output + (steps.ok.output ? \"!\" : \"?\") }}'}}",
    ))  # fmt: skip
    assert messages(result) == []


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["- {task: note, input: '${{ inpt.orderId }}'}"],
         "E401 unknown variable 'inpt'; did you mean 'input'?"),
        (["- {task: note, input: '${{ input.orderID }}'}"],
         "E402 unknown field 'orderID' of {orderId}; did you mean 'orderId'?"),
        (["- if: '${{ true }}'", "  then: [{id: p, task: price, input: x}]",
          "- {task: charge, input: '${{ steps.p.output }}'}"],
         "E403 step 'p' may not have run here"),
        (["- {for_each: '${{ [1] }}', steps: [{id: p, task: price, input: x}]}",
          "- {task: charge, input: '${{ steps.p.output }}'}"],
         "E403 step 'p' may not have run here"),
        (["- if: '${{ true }}'", "  then: [{id: p, task: price, input: x}]",
          "  else: [{fail: {error: No, message: no}}]",
          "- {task: charge, input: '${{ steps.p.output }}'}",
          "- {try: [{id: q, task: price, input: y}], catch: [{steps: [{task: note, input: z}]}]}",
          "- {task: charge, input: '${{ steps.q.output }}'}"],
         "E403 step 'q' may not have run here"),
        (["- {task: note, input: '${{ input.orderId - 1 }}'}"],
         "E404 cannot apply '-' to string and int"),
        (["- {task: charge, input: {amount: 1, currency: GBP}}"],
         "E405 the input of task 'charge' does not fit: field 'currency': 'GBP' is not one of 'EUR', 'USD'"),
        (["- {task: charge, input: {amount: 1}}"],
         "E405 the input of task 'charge' is missing required field 'currency'"),
        (["- {task: note}"], "E405 task 'note' needs an input of type string"),
        (["- {return: {id: 1}}"],
         "E405 the output of workflow 'flow' does not fit: field 'id': expected string, got int"),
        (["- {task: note, input: '${{ input.orderId.( }}'}"],
         "E406 invalid expression: expected field name after '.'"),
        (["- {task: note, input: '${{ steps.nope.output }}'}"], "E407 unknown step 'nope'"),
        (["- {task: note, input: '${{ input.orderId.reversed() }}'}"],
         "E408 unknown function 'reversed'; did you mean 'reverse'?"),
        (["- if: '${{ true }}'", "  then: [{set: {v: a}}]", "- {task: note, input: '${{ vars.v }}'}"],
         "E409 variable 'vars.v' may not be set here"),
        (["- {if: '${{ input.orderId }}', then: []}"],
         "E405 an 'if' condition does not fit: expected bool, got string"),
        (["- {for_each: '${{ input }}', steps: []}"],
         "E405 a for_each list does not fit: expected list(any), got {orderId}"),
        (["- {emit: Paid, payload: {orderId: x, total: {amount: '1', currency: EUR}}}"],
         "E405 the payload of event 'Paid' does not fit: field 'total.amount': expected number, got string"),
    ],
)  # fmt: skip
def test_errors(check_spec: CheckSpec, lines: list[str], expected: str) -> None:
    assert messages(check_spec(steps(*lines))) == [expected]


def test_flow_after_parallel_try_and_catch(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- parallel:",
        "    a: [{id: pa, task: price, input: x}]",
        "    b: [{id: pb, task: price, input: y}]",
        "- {task: charge, input: '${{ steps.pa.output }}'}",
        "- id: t",
        "  try: [{id: inner, task: price, input: z}]",
        "  catch: [{steps: [{task: note, input: '${{ error.message }}'}]}]",
        "- {task: note, input: '${{ steps.t.output.currency }}'}",
        "- {task: charge, input: '${{ steps.inner.output }}'}",
    ))  # fmt: skip
    # `t` is either the block's Money or the catch's null: `.currency` reads through null.
    assert messages(result) == ["E403 step 'inner' may not have run here"]


def test_compensation_sees_its_own_step(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- id: c",
        "  task: charge",
        "  input: {amount: 1, currency: EUR}",
        "  compensate: [{task: note, input: '${{ steps.c.output }}'}]",
    ))  # fmt: skip
    assert messages(result) == []


def test_declarative_subscription_templates(check_spec: CheckSpec) -> None:
    spec = (
        HEAD.replace(
            "  onPaid: {events: [Paid]}",
            "  onPaid: {events: [Paid]}\n"
            "  start: {events: [Paid], workflow: child, input: '${{ event.total }}',\n"
            "          execution_name: '${{ event.orderid }}'}",
        )
        + "      - {return: {id: x}}\n"
    )
    assert messages(check_spec(spec)) == [
        "E402 unknown field 'orderid' of Paid; did you mean 'orderId'?"
    ]


def test_expression_errors_point_inside_the_string(check_spec: CheckSpec) -> None:
    result = check_spec(steps("- {task: note, input: 'id-${{ input.nope }}'}"))
    (diagnostic,) = result.diagnostics
    assert diagnostic.span is not None
    line = (HEAD + "      - {task: note, input: 'id-${{ input.nope }}'}\n").splitlines()[
        diagnostic.span.line - 1
    ]
    assert line[diagnostic.span.column - 1 : diagnostic.span.end_column - 1] == "input.nope"
    assert codes(result) == ["E402"]


def test_a_block_that_cannot_complete_gives_no_type(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- id: t",
        "  try: [{id: inner, task: price, input: z}]",
        "  catch:",
        "    - {errors: [Timeout], steps: [{fail: {error: Late}}]}",
        "    - {steps: [{task: note, input: x}, {return: {id: gave-up}}]}",
        "- {task: charge, input: '${{ steps.t.output }}'}",
        "- {task: charge, input: '${{ steps.inner.output }}'}",
        "- id: p",
        "  task: price",
        "  input: y",
        "  catch: [{steps: [{if: '${{ true }}', then: [{fail: {error: A}}], else: [{fail: {error: B}}]}]}]",
        "- {task: charge, input: '${{ steps.p.output }}'}",
    ))  # fmt: skip
    # Every catch ends the execution, so after `t` and `p` their blocks surely completed.
    assert messages(result) == []


def test_a_catch_that_completes_still_contributes_its_null(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- id: t",
        "  try: [{task: price, input: z}]",
        "  catch: [{steps: [{fail: {error: Late}}]}, {steps: [{task: note, input: x}]}]",
        "- {task: charge, input: '${{ steps.t.output }}'}",
    ))  # fmt: skip
    assert messages(result) == [
        "E405 the input of task 'charge' does not fit: expected Money, got null"
    ]


MAYBE = "- {id: maybe, if: '${{ input.orderId == \"\" }}', then: [{task: price, input: x}]}"


def test_conditions_narrow_away_null(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        MAYBE,
        "- if: '${{ steps.maybe.output != null }}'",
        "  then: [{task: charge, input: '${{ steps.maybe.output }}'}]",
        "  else: [{task: note, input: x}]",
        "- if: '${{ !(null == steps.maybe.output) && input.orderId != \"\" }}'",
        "  then: [{task: charge, input: '${{ steps.maybe.output }}'}]",
        "- task: charge",
        "  input: '${{ steps.maybe.output != null ? steps.maybe.output : {\"amount\": 0, \"currency\": \"EUR\"} }}'",
        "- task: note",
        "  input: '${{ has(steps.maybe.output.currency) && steps.maybe.output.currency.size() > 0 ? \"a\" : \"b\" }}'",
        "- if: '${{ has(steps.maybe.output.currency) }}'",
        "  then: [{task: charge, input: '${{ steps.maybe.output }}'}]",
        "- if: '${{ steps.maybe.output == null || input.orderId == \"\" }}'",
        "  then: [{fail: {error: NoPrice}}]",
        "- {task: charge, input: '${{ steps.maybe.output }}'}",
    ))  # fmt: skip
    assert messages(result) == []


@pytest.mark.parametrize(
    "lines",
    [
        [MAYBE, "- {task: charge, input: '${{ steps.maybe.output }}'}"],
        [MAYBE, "- if: '${{ steps.maybe.output == null }}'",
         "  then: [{task: charge, input: '${{ steps.maybe.output }}'}]"],
        [MAYBE, "- if: '${{ steps.maybe.output != null || true }}'",
         "  then: [{task: charge, input: '${{ steps.maybe.output }}'}]"],
        [MAYBE, "- if: '${{ steps.maybe.output == null }}'", "  then: [{task: note, input: x}]",
         "- {task: charge, input: '${{ steps.maybe.output }}'}"],
    ],
)  # fmt: skip
def test_what_does_not_narrow(check_spec: CheckSpec, lines: list[str]) -> None:
    assert messages(check_spec(steps(*lines))) == [
        "E405 the input of task 'charge' does not fit: expected Money, got null"
    ]


def test_a_null_step_output_points_at_where_the_null_comes_from(check_spec: CheckSpec) -> None:
    result = check_spec(steps(
        "- {id: maybe, if: '${{ input.orderId == \"\" }}', then: [{task: price, input: x}]}",
        "- {task: charge, input: '${{ steps.maybe.output }}'}",
        "- id: t",
        "  try: [{task: price, input: x}]",
        "  catch: [{steps: [{task: note, input: x}]}]",
        "- {task: charge, input: '${{ steps.t.output }}'}",
        "- {task: charge, input: {amount: 1, currency: '${{ steps.maybe.output }}'}}",
    ))  # fmt: skip
    notes = [[(n.message, n.span and n.span.line) for n in d.notes] for d in result.diagnostics]
    assert notes == [
        [("steps.maybe.output may be null: its 'if' has no 'else' steps", 23)],
        [("steps.t.output may be null: task 'note' declares no output", 27)],
        [],  # a Money is no string, null or not: no note
    ]
