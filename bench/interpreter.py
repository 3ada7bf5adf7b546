"""How fast the interpreter runs the example's order workflow in the TestEnvironment.

Runs ``processOrder`` (three tasks with mocked handlers, a return built from
expressions) N times (default 10,000) on one core, in memory, and prints executions
per second, microseconds per step and per expression evaluation; then the cold
import time of ``eventual`` in fresh processes beside ``import pydantic``.
Targets on this machine: >= 20,000 steps/s; ``import eventual`` <= 150 ms.

    python bench/interpreter.py [--executions N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generated.orders import service  # noqa: E402

from eventual import ExecutionStatus  # noqa: E402
from eventual.cel.render import compile_template  # noqa: E402
from eventual.testing import TestEnvironment  # noqa: E402


def run_executions(count: int) -> tuple[float, int]:
    env = TestEnvironment(service)
    env.mock_task("processPayment").invoke(lambda order, _ctx: f"pay-{order}")
    env.mock_task("shipOrder").invoke(lambda order, _ctx: f"ship-{order}")
    env.mock_task("setOrderStatus").succeed()
    started = time.perf_counter()
    executions = [env.start_execution("processOrder", input=f"order-{i}") for i in range(count)]
    env.tick()
    elapsed = time.perf_counter() - started
    assert all(e.get_status().status == ExecutionStatus.SUCCEEDED for e in executions)
    steps = sum(1 for e in executions for h in e.history() if h["type"] == "StepStarted")
    return elapsed, steps


def expression_cost(rounds: int = 100_000) -> float:
    render = compile_template(
        {"orderId": "${{ input }}", "paymentId": "${{ steps.payment.output }}"}
    )
    scope = {"input": "order-1", "steps": {"payment": {"output": "pay-1"}}}
    started = time.perf_counter()
    for _ in range(rounds):
        render(scope)
    return (time.perf_counter() - started) / (rounds * 2)


def cold_import(module: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    count = parser.parse_args().executions
    elapsed, steps = run_executions(count)
    per_expression = expression_cost()
    eventual_import, pydantic_import = cold_import("eventual"), cold_import("pydantic")
    rows = [
        ("executions", f"{count:,}", ""),
        ("executions/s", f"{count / elapsed:,.0f}", ""),
        ("steps", f"{steps:,}", ""),
        ("steps/s", f"{steps / elapsed:,.0f}", "PASS" if steps / elapsed >= 20_000 else "FAIL"),
        ("µs per step", f"{elapsed / steps * 1e6:.1f}", ""),
        ("µs per expression evaluation", f"{per_expression * 1e6:.2f}", ""),
        ("import eventual (ms, median, fresh process)", f"{eventual_import * 1e3:.1f}",
         "PASS" if eventual_import <= 0.150 else "FAIL"),
        ("import pydantic (ms, same run)", f"{pydantic_import * 1e3:.1f}", ""),
    ]  # fmt: skip
    for name, value, verdict in rows:
        print(f"{name:<46} {value:>12}  {verdict}")


if __name__ == "__main__":
    main()
