"""``eventual.invoke``: what the runtimes share to start executions."""

from __future__ import annotations

import itertools
import re

import pytest

from eventual import invoke


def test_execution_ids_sort_by_start_and_differ_within_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids: list[list[str]] = []
    for second in (1_700_000_000, 1_700_000_001, 1_800_000_000):
        monkeypatch.setattr(invoke.time, "time", lambda second=second: second + 0.5)
        ids.append([invoke.new_execution_id("order") for _ in range(200)])
    flat = [one for group in ids for one in group]
    assert len(set(flat)) == len(flat)
    assert all(re.fullmatch(r"order-[0-9a-f]{20}", one) for one in flat)
    for earlier, later in itertools.pairwise(ids):
        assert max(earlier) < min(later)
