"""A ``while`` loop on the deployed stack (moto): the same interpreter as the local
runtimes, its iterations carried by the orchestrator's inbox (a sleep and a task each)."""

from __future__ import annotations

import time

from tests.runtime.aws.support import Aws

from eventual.status import ExecutionStatus


def test_a_while_loop_runs_its_turns_skips_one_and_stops_at_its_limit(aws: Aws) -> None:
    client = aws.client("trips")
    began = time.monotonic()
    execution = client.start("rounds", 3)
    view = aws.finish(client, execution)
    assert (view.status, view.result) == (ExecutionStatus.SUCCEEDED, 3)
    assert time.monotonic() - began >= 2.0  # two turns slept 1 s each; turn 2 continued
    assert [c for c in aws.calls("bookHotel") if c.startswith("round-")] == [
        "round-1",
        "round-3",
    ]
    limited = aws.finish(client, client.start("rounds", 9))
    assert limited.status is ExecutionStatus.FAILED
    assert limited.error is not None and limited.error["error"] == "LoopLimit"
