"""Speed of CEL in eventual: parse, compile and evaluate, against cel-python if installed.

For ~10 representative expressions and a few templates, prints microseconds per parse
(``eventual.cel.parse``), per compile (``compile_expression`` / ``compile_template``) and per
evaluation (calling the compiled function with the variables). When ``cel-python``
(``pip install cel-python``, import name ``celpy``; not a dependency of this project) is
installed, the same expressions are timed with it side by side: parse is
``Environment.compile``, compile is ``Environment.program``, evaluation is
``Runner.evaluate`` on an activation converted to CEL values beforehand (that conversion,
``json_to_cel``, is timed separately, as it is needed for every new set of variables).

Each figure is the best of ``--repeat`` (default 5) timing runs of a loop sized to take about
``--budget`` seconds (default 0.1). Run from anywhere:  python bench/cel_eval.py
The brief's target is <= 3 us per evaluation of the first expression (CPython 3.11).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventual.cel import compile_expression, compile_template, parse, parse_template

VARIABLES: dict[str, Any] = {
    "input": {
        "id": "o-1",
        "name": "Ada Lovelace",
        "region": "eu",
        "count": 3,
        "total": 120.5,
        "tags": ["gold", "early"],
        "coupon": "SPRING",
        "items": [
            {"sku": "a", "price": 10, "qty": 1},
            {"sku": "b", "price": 25, "qty": 2},
            {"sku": "c", "price": 5.5, "qty": 4},
        ],
    },
    "steps": {"pay": {"output": {"amount": 150, "currency": "EUR"}}},
    "now": datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
}

EXPRESSIONS = [
    'steps.pay.output.amount > 100 && input.region == "eu"',
    "input.count",
    "input.items.map(i, i.price * i.qty)",
    "input.items.exists(i, i.price > 20)",
    'size(input.tags) > 0 ? input.tags[0] : "none"',
    'input.name.startsWith("A") || input.name.contains("love")',
    'string(input.count) + " items"',
    "input.total / double(input.count) * 1.5",
    '"gold" in input.tags && has(input.coupon)',
    'timestamp("2024-01-01T00:00:00Z") + duration("1h30m") < now',
    '{"id": input.id, "lines": input.items.filter(i, i.qty > 1).map(i, i.sku)}',
]

TEMPLATES: list[tuple[str, Any]] = [
    ("typed placeholder", "${{ steps.pay.output.amount }}"),
    ("interpolation", "Hello ${{ input.name }}, ${{ input.count }} items for ${{ input.total }}"),
    ("constant", {"kind": "static", "values": [1, 2, 3], "nested": {"a": "b"}}),
    (
        "nested object",
        {
            "order": "${{ input.id }}",
            "amount": "${{ steps.pay.output.amount }}",
            "customer": {"name": "${{ input.name }}", "vip": "${{ 'gold' in input.tags }}"},
            "lines": "${{ input.items.map(i, i.sku) }}",
            "meta": {"source": "bench", "version": 1},
        },
    ),
]


def per_call(fn: Callable[[], Any], budget: float, repeat: int) -> float:
    """Microseconds per call: best of `repeat` runs of a loop lasting about `budget` s."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 10 or number >= 10**7:
            break
        number *= 10
    number = max(1, int(number * budget / max(elapsed, 1e-9)))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / number * 1e6


def celpy_timings(text: str, budget: float, repeat: int) -> tuple[str, str, str] | None:
    """(parse, compile, evaluate) figures for cel-python, or None when it is not installed."""
    try:
        import celpy
    except ImportError:
        return None
    env = celpy.Environment()
    activation = {name: celpy.json_to_cel(value) for name, value in VARIABLES.items()}
    try:
        ast = env.compile(text)
        program = env.program(ast)
        result = program.evaluate(activation)
        if isinstance(result, celpy.CELEvalError):
            raise RuntimeError(result)
    except Exception as err:  # unsupported syntax or function in cel-python
        return ("n/a", "n/a", f"n/a ({type(err).__name__})")
    return (
        f"{per_call(lambda: env.compile(text), budget, repeat):9.1f}",
        f"{per_call(lambda: env.program(ast), budget, repeat):9.1f}",
        f"{per_call(lambda: program.evaluate(activation), budget, repeat):9.2f}",
    )


def expression_row(text: str, budget: float, repeat: int, with_celpy: bool) -> str:
    node = parse(text)
    evaluator = compile_expression(node)
    evaluator(VARIABLES)
    row = (
        f"{text[:58]:58} {per_call(lambda: parse(text), budget, repeat):9.1f}"
        f" {per_call(lambda: compile_expression(node), budget, repeat):9.1f}"
        f" {per_call(lambda: evaluator(VARIABLES), budget, repeat):9.2f}"
    )
    theirs = celpy_timings(text, budget, repeat) if with_celpy else None
    if theirs is not None:
        row += f" | {theirs[0]:>11} {theirs[1]:>9} {theirs[2]:>9}"
    return row


def template_row(name: str, template: Any, budget: float, repeat: int) -> str:
    renderer = compile_template(template)
    renderer(VARIABLES)
    strings = _strings(template)
    parse_us = per_call(lambda: [parse_template(s) for s in strings], budget, repeat)
    return (
        f"{name:58} {parse_us:9.1f}"
        f" {per_call(lambda: compile_template(template), budget, repeat):9.1f}"
        f" {per_call(lambda: renderer(VARIABLES), budget, repeat):9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=0.1, help="seconds per timing run")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs per figure")
    args = parser.parse_args()
    budget, repeat = args.budget, args.repeat
    with_celpy = importlib.util.find_spec("celpy") is not None
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), us per op")
    header = f"{'expression':58} {'parse':>9} {'compile':>9} {'eval':>9}"
    if with_celpy:
        header += f" | {'celpy parse':>11} {'compile':>9} {'eval':>9}"
    print(header)
    print("-" * len(header))
    for text in EXPRESSIONS:
        print(expression_row(text, budget, repeat, with_celpy))
    if with_celpy:
        import celpy

        def convert() -> Any:
            return {k: celpy.json_to_cel(v) for k, v in VARIABLES.items()}

        convert_us = per_call(convert, budget, repeat)
        print(f"cel-python: converting the variables (json_to_cel): {convert_us:.1f} us")
    else:
        print("cel-python is not installed (pip install cel-python): no comparison")
    print()
    title = "template (parse: parse_template of its strings)"
    print(f"{title:58} {'parse':>9} {'compile':>9} {'render':>9}")
    print("-" * 88)
    for name, template in TEMPLATES:
        print(template_row(name, template, budget, repeat))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


if __name__ == "__main__":
    main()
