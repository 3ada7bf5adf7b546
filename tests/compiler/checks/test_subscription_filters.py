"""Routing events to subscriptions: every runtime's ``invoke.subscribers`` matches filters
with the compiled EventBridge matcher, compiled once per subscription of a loaded service.
"""

from __future__ import annotations

import gc
import json
import textwrap
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import CheckSpec

from eventual import invoke
from eventual.patterns import matches
from eventual.service import Service
from eventualc.diagnostics import Diagnostic

RETRY = {"attempts": 3, "backoff": 1.0, "multiplier": 2.0, "max_backoff": None, "jitter": "none",
         "errors": None}  # fmt: skip


def service(filters: dict[str, Any]) -> Service:
    subscriptions = {
        name: {
            "handler": name,
            "events": ["Order", "shop.Paid"],
            "filter": f,
            "emits": [],
            "retry": RETRY,
            "timeout": 30.0,
            "memory": 512,
            "workflow": None,
            "input": None,
            "execution_name": None,
        }
        for name, f in filters.items()
    }
    definition = {
        "format": 1,
        "service": "billing",
        "version": "0" * 64,
        "events": {"Order": {"model": "Order", "description": ""}},
        "tasks": {},
        "subscriptions": subscriptions,
        "workflows": {},
    }
    return Service(definition, "billing_pkg")


FILTERS: dict[str, Any] = {
    "big": {"amount": [{"numeric": [">", 100]}]},
    "local": {"ip": ["10.0.0.1"]},  # 10.0.0.01 is the same address
    "legacyOr": {"$or": {"kind": ["a"]}},  # "$or" as an ordinary field name
    "all": None,
    "paths": {"path": [{"wildcard": "*a*a*a*b"}]},
}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"amount": 150}, ["big", "all"]),
        ({"amount": 50, "ip": "10.0.0.01"}, ["local", "all"]),
        ({"$or": {"kind": "a"}}, ["legacyOr", "all"]),
        ({"kind": "a"}, ["all"]),
        ({"path": "xaayab"}, ["all", "paths"]),
    ],
)
def test_subscribers_match_filters_like_eventbridge(
    payload: dict[str, Any], expected: list[str]
) -> None:
    svc = service(FILTERS)
    assert invoke.subscribers(svc, "billing", "Order", payload) == expected
    assert invoke.subscribers(svc, "shop", "Paid", payload) == expected
    assert invoke.subscribers(svc, "shop", "Order", payload) == []  # another service's Order
    for name in expected:
        if FILTERS[name]:
            assert matches(FILTERS[name], payload)


def test_each_filter_is_compiled_once_per_service() -> None:
    svc = service(FILTERS)
    invoke.subscribers(svc, "billing", "Order", {"amount": 1})
    compiled = dict(invoke._FILTERS[svc])
    assert set(compiled) == {"big", "local", "legacyOr", "paths"}
    for amount in (1, 200, 300):
        invoke.subscribers(svc, "billing", "Order", {"amount": amount})
    assert all(invoke._FILTERS[svc][name] is match for name, match in compiled.items())
    other = service({"big": {"amount": [{"numeric": ["<", 0]}]}})
    assert invoke.subscribers(other, "billing", "Order", {"amount": -1}) == ["big"]
    assert invoke._FILTERS[other]["big"] is not compiled["big"]


def test_compiled_filters_go_with_their_service() -> None:
    svc = service(FILTERS)
    invoke.subscribers(svc, "billing", "Order", {})
    before = len(invoke._FILTERS)
    del svc
    gc.collect()
    assert len(invoke._FILTERS) == before - 1


def test_a_hostile_value_does_not_stall_routing() -> None:
    svc = service(FILTERS)
    start = time.perf_counter()
    reached = invoke.subscribers(svc, "billing", "Order", {"path": "a" * 8000})
    assert time.perf_counter() - start < 2  # a stall guard: 16 s with the backtracking regex at 800
    assert reached == ["all"]


# --------------------------------------------------------------------------- eventualc check

SPEC = """
service: ops
events:
  Changed:
    schema:
      type: object
      required: [id]
      properties:
        id: {type: string}
        n: {type: integer}
        $or: {type: object, properties: {kind: {type: string}}}
subscriptions:
  onChange:
    events: [Changed]
    filter:
{filter}
"""


def check_filter(check_spec: CheckSpec, filter_yaml: str) -> list[Diagnostic]:
    text = SPEC.replace("{filter}", textwrap.indent(textwrap.dedent(filter_yaml), " " * 6))
    return check_spec(text).diagnostics


def test_check_reads_a_legacy_or_as_a_field(check_spec: CheckSpec) -> None:
    assert check_filter(check_spec, "$or: {kind: [a]}") == []
    (found,) = check_filter(check_spec, "$or: {knd: [a]}")
    assert found.code == "E502" and "did you mean 'kind'" in found.message


def test_check_reads_a_list_of_patterns_as_or(check_spec: CheckSpec) -> None:
    assert check_filter(check_spec, "$or: [{id: [a]}, {n: [1]}]") == []
    (found,) = check_filter(check_spec, "$or: [{id: [a]}, {prefix: [x]}]")
    assert found.code == "E501" and found.span is not None and found.span.line == 16


def test_check_rejects_wildcards_eventbridge_finds_too_complex(check_spec: CheckSpec) -> None:
    filter_yaml = """\
        $or:
          - n: [1]
          - id:
              - wildcard: "*:stack/SharedStack/*"
              - wildcard: "*:stack/TrackerStack/*"
              - wildcard: "*:stack/DriverStack/*"
              - wildcard: "*:stack/WorkerStack/*"
        """
    (found,) = check_filter(check_spec, filter_yaml)
    assert found.code == "E504" and "'id'" in found.message
    assert found.span is not None and (found.span.line, found.span.column) == (18, 11)
    fewer = filter_yaml.replace('- wildcard: "*:stack/WorkerStack/*"', "")
    assert check_filter(check_spec, fewer) == []  # three score 9: EventBridge accepts them


def test_check_locates_a_number_eventbridge_cannot_compare(check_spec: CheckSpec) -> None:
    (found,) = check_filter(check_spec, "n: [1, {anything-but: [1, 9223372036854775808]}]")
    assert found.code == "E501" and "float64" in found.message
    assert found.span is not None and (found.span.line, found.span.column) == (16, 29)


BILLING = """
service: billing
events:
  Paid:
    schema:
      type: object
      properties:
        $or: {type: object, properties: {kind: {type: string}}}
tasks:
  pay:
    input: string
    emits: [Paid]
"""


def test_check_rejects_a_legacy_or_in_a_rule_for_several_services(check_spec: CheckSpec) -> None:
    spec = SPEC.replace("events: [Changed]", "events: [Changed, billing.Paid]")
    legacy = spec.replace("{filter}", "      $or: {kind: [a]}")
    (found,) = check_spec(legacy, **{"specs__billing.yaml": BILLING}).diagnostics
    assert found.code == "E501" and "several services" in found.message
    assert found.span is not None and found.span.line == 16
    either = spec.replace("{filter}", "      $or: [{$or: {kind: [a]}}, {id: [b]}]")
    assert check_spec(either, **{"specs__billing.yaml": BILLING}).diagnostics != []
    one = SPEC.replace("{filter}", "      $or: {kind: [a]}")
    assert check_spec(one).diagnostics == []


# ----------------------------------------------------------- check agrees with the runtime

ANY_FIELDS = """
service: ops
events:
  Changed:
    schema:
      type: object
      properties: {a: {}, b: {}, c: {}, $or: {}}
subscriptions:
  onChange:
    events: [Changed]
    filter: {filter}
"""
KEY = st.sampled_from(["a", "b", "c"])
MATCHER = st.sampled_from(
    ["x", 1, None, True, {"prefix": "p"}, {"numeric": [">", 0]}, {"exists": False},
     {"wildcard": "*x*"}, {"anything-but": ["x"]}, {"cidr": "10.0.0.0/8"}, {"prefix": ["p"]}]
)  # fmt: skip
LEAF = st.dictionaries(KEY, st.lists(MATCHER, min_size=1, max_size=2), min_size=1, max_size=2)
OR_VALUE = st.one_of(
    st.lists(LEAF, min_size=2, max_size=3),  # a disjunction
    st.lists(LEAF, min_size=1, max_size=1),  # one branch: invalid either way
    LEAF,  # legacy: $or is a field holding an object
    st.lists(MATCHER, min_size=1, max_size=2),  # $or is a field holding matchers
    st.lists(
        st.dictionaries(st.sampled_from(["a", "prefix"]), st.just(["x"]), min_size=1),
        min_size=2,
        max_size=2,
    ),
)
FILTERS_WITH_OR = st.builds(lambda leaf, value: {**leaf, "$or": value}, LEAF, OR_VALUE) | st.builds(
    lambda value: {"a": {"$or": value}}, OR_VALUE
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(FILTERS_WITH_OR)
def test_check_accepts_exactly_the_filters_the_runtime_accepts(
    check_spec: CheckSpec, pattern: dict[str, Any]
) -> None:
    from eventual.patterns import PatternError, compile_pattern

    try:
        compile_pattern(pattern)
        runtime_accepts = True
    except PatternError:
        runtime_accepts = False
    found = check_spec(ANY_FIELDS.replace("{filter}", json.dumps(pattern))).diagnostics
    assert (found == []) is runtime_accepts, found
