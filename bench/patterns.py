"""Speed of EventBridge pattern matching: the reference matcher against the compiled one.

Every runtime matches subscription filters with ``eventual.patterns.compile_pattern``
(compiled once per subscription); ``eventual.patterns.matches`` is the direct reading the
tests check it against. For a few representative filters this prints microseconds per
match of each, and then the time of hostile wildcard and ignore-case filters against long
values (a backtracking regex took 16 s for ``*a*a*a*b`` against 800 characters), and the
routing of one event to a service whose subscriptions have all the filters above
(``invoke.subscribers``, as the runtimes call it), as deliveries decided per second.

Each figure is the best of ``--repeat`` (default 5) timing runs of a loop sized to take
about ``--budget`` seconds (default 0.1). Run from anywhere:  python bench/patterns.py
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from eventual.patterns import compile_pattern, matches

EVENT: dict[str, Any] = {
    "orderId": "o-1",
    "amount": 150.5,
    "currency": "USD",
    "customer": {"id": "c-9", "tier": "gold", "ip": "10.0.3.7"},
    "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}],
    "path": "/usr/lib/libc.so.6",
}

FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("2 fields", {"amount": [{"numeric": [">", 100]}], "currency": ["EUR", {"prefix": "US"}]}),
    ("nested exact", {"customer": {"tier": ["gold", "silver"]}}),
    ("array element", {"items": {"sku": ["b"], "qty": [{"numeric": [">=", 2]}]}}),
    ("$or of 3", {"$or": [{"currency": ["EUR"]}, {"customer": {"tier": ["gold"]}}, {"x": [1]}]}),
    ("wildcard", {"path": [{"wildcard": "*/lib/*.so*"}]}),
    (
        "cidr + anything-but",
        {"customer": {"ip": [{"cidr": "10.0.0.0/16"}]}, "currency": [{"anything-but": "EUR"}]},
    ),
    (
        "ignore case",
        {
            "currency": [{"equals-ignore-case": "usd"}],
            "path": [{"suffix": {"equals-ignore-case": ".SO.6"}}],
        },
    ),
]

HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("wildcard *a*a*a*b, 800 chars", {"v": [{"wildcard": "*a*a*a*b"}]}, "a" * 800),
    ("wildcard *a*a*a*b, 8,000 chars", {"v": [{"wildcard": "*a*a*a*b"}]}, "a" * 8000),
    ("wildcard *a*a*a*b, 8,000 chars, match", {"v": [{"wildcard": "*a*a*a*b"}]}, "a" * 7999 + "b"),
    ("wildcard *a{50}b*, 8,000 chars", {"v": [{"wildcard": "*" + "a" * 50 + "b*"}]}, "a" * 8000),
    (
        "anything-but wildcard, 8,000 chars",
        {"v": [{"anything-but": {"wildcard": ["*a*a*a*b", "*b*b*c"]}}]},
        "a" * 8000,
    ),
    (
        "suffix ignore case, 8,000 chars",
        {"v": [{"suffix": {"equals-ignore-case": "A" * 50 + "b"}}]},
        "a" * 8000,
    ),
    (
        "prefix ignore case, 8,000 chars",
        {"v": [{"prefix": {"equals-ignore-case": "A" * 50 + "b"}}]},
        "a" * 8000,
    ),
    (
        "equals-ignore-case, 8,000 chars",
        {"v": [{"equals-ignore-case": "a" * 7999 + "b"}]},
        "a" * 8000,
    ),
]


def per_call(function: Callable[[], Any], budget: float, repeat: int) -> float:
    """Best seconds per call of ``function`` over ``repeat`` loops of about ``budget`` s."""
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(budget / once))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            function()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def routing(budget: float, repeat: int) -> None:
    """One event routed through ``invoke.subscribers``: the filters of ``FILTERS``, each on
    its own subscription, against the reference matcher called for each of them."""
    from eventual.invoke import subscribers
    from eventual.service import Service

    subscriptions = {
        f"sub{i}": {"handler": f"sub{i}", "events": ["Order"], "filter": pattern}
        for i, (_, pattern) in enumerate(FILTERS)
    }
    definition = {"format": 1, "service": "shop", "version": "0", "events": {}, "tasks": {}}
    service = Service({**definition, "subscriptions": subscriptions, "workflows": {}}, "shop")
    after = per_call(partial(subscribers, service, "shop", "Order", EVENT), budget, repeat)
    before = per_call(partial(_reference_route, subscriptions, EVENT), budget, repeat)
    print(f"\nrouting one event to {len(FILTERS)} filtered subscriptions:")
    print(
        f"  reference {before * 1e6:8.1f} µs ({len(FILTERS) / before:>9,.0f} deliveries decided/s)"
    )
    print(f"  compiled  {after * 1e6:8.1f} µs ({len(FILTERS) / after:>9,.0f} deliveries decided/s)")


def _reference_route(subscriptions: dict[str, Any], event: Any) -> list[str]:
    return [name for name, sub in subscriptions.items() if matches(sub["filter"], event)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"# eventual.patterns, {platform.python_implementation()} {platform.python_version()}")
    print(f"{'filter':<24} {'reference µs':>13} {'compiled µs':>12} {'speed-up':>9}")
    for name, pattern in FILTERS:
        compiled = compile_pattern(pattern)
        assert compiled(EVENT) == matches(pattern, EVENT)
        slow = per_call(partial(matches, pattern, EVENT), args.budget, args.repeat) * 1e6
        fast = per_call(partial(compiled, EVENT), args.budget, args.repeat) * 1e6
        print(f"{name:<24} {slow:>13.2f} {fast:>12.2f} {slow / fast:>8.1f}x")
    print(f"\n{'hostile filter':<38} {'reference ms':>13} {'compiled ms':>12}")
    for name, pattern, value in HOSTILE:
        event = {"v": value}
        compiled = compile_pattern(pattern)
        assert compiled(event) == matches(pattern, event)
        slow = per_call(partial(matches, pattern, event), args.budget, 3) * 1e3
        fast = per_call(partial(compiled, event), args.budget, args.repeat) * 1e3
        print(f"{name:<38} {slow:>13.3f} {fast:>12.3f}")
    routing(args.budget, args.repeat)


if __name__ == "__main__":
    main()
