"""Restarting a failed execution from its failed step, as Step Functions' redrive does.

``reusable_outputs(history)`` reads the history of an execution that ended and gives
the outputs of the task and child-workflow steps it completed, keyed by step path as
JSON: a new execution started with them (``ExecutionState.reuse``) completes those
steps with their outputs when it reaches them, so their work is not done again, and
runs everything else. Steps inside a ``for_each`` body, a ``catch`` handler or a
``compensate`` block run again (their paths repeat or belong to the failure), as do
steps started more than once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

REUSABLE = ("task", "workflow")  # steps whose work happens outside the workflow
_RERUN_BLOCKS = ("steps", "catch", "compensate")  # for_each bodies, handlers, undo


def reusable_outputs(history: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Step path (JSON) -> output, for each reusable step the run completed once."""
    kinds: dict[str, str] = {}
    starts: Counter[str] = Counter()
    outputs: dict[str, Any] = {}
    for entry in history:
        if "step" not in entry:
            continue
        path = list(entry["step"])
        key = json.dumps(path)
        if entry["type"] == "StepStarted":
            kinds[key] = str(entry.get("kind"))
            starts[key] += 1
        elif entry["type"] == "StepCompleted" and _outside_repeats(path):
            outputs[key] = entry.get("output")
    return {k: v for k, v in outputs.items() if kinds.get(k) in REUSABLE and starts[k] == 1}


def _outside_repeats(path: list[Any]) -> bool:
    return not any(part in _RERUN_BLOCKS for part in path[1:])
