"""``eventual.invoke``: what the runtimes share to start executions."""

from __future__ import annotations

import itertools
import re
import threading
import time
from typing import Any

import pytest
from tests.support import MakeService

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


SLOW_IMPORT = """\
import time

import eventual

time.sleep(0.3)  # a handler module slow to import: a second thread asks meanwhile


def slow(input: int, ctx: eventual.TaskContext) -> int:
    return input
"""


def test_a_handler_asked_for_while_its_module_imports_is_the_handler(
    make_service: MakeService,
) -> None:
    service = make_service(
        "service: slowimport\ntasks:\n  slow: {input: integer, output: integer}\n",
        slow=SLOW_IMPORT,
    )
    found: list[Any] = []
    threads = [threading.Thread(target=lambda: found.append(service.handler("slow")))
               for _ in range(2)]  # fmt: skip
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert len(found) == 2 and all(callable(function) for function in found)
