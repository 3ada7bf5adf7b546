"""Which running executions a published event may concern: the keys of ``wait_for_event``.

An execution of a workflow with ``wait_for_event`` steps keeps every event of those
names published after it started, until a wait takes it (``steps.waits``). A runtime
that must not hand every such event to every running execution of the workflow indexes
the executions by ``(event, key)``: ``wait_keys`` gives an execution's keys when it
starts, ``event_keys`` the keys to look up for a published event.

``key`` is a digest of a step's ``match`` fields and values when those depend on the
input alone (then they are the same when the step starts: the input never changes), or
``ANY`` when they need more (``steps``, ``vars``, ``now``). For an event, the keys are
the digest of each distinct field set the workflow's waits on it match on, taken from
the payload, and ``ANY``. The interpreter still checks ``match`` and ``filter`` itself;
the index only spares it the events it cannot want.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from eventual.cel.render import compile_template
from eventual.definition import Workflow

ANY = "any"  # the key of a wait whose match values are known only when the step starts


def digest(values: Mapping[str, Any]) -> str:
    """The key of match ``values``: equal for values Python compares equal as JSON
    values do (``5`` and ``5.0``)."""

    def plain(value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value

    pairs = sorted((field, plain(value)) for field, value in values.items())
    text = json.dumps(pairs, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def wait_keys(workflow: Workflow, input: Any) -> set[tuple[str, str]]:
    """``(event, key)`` of each wait step of an execution of ``workflow`` started with
    ``input``: none when it waits for no event."""
    found = set()
    for step in workflow.event_waits():
        key = ANY
        if isinstance(step.value, dict) or step.value is None:
            try:
                values = compile_template(step.value or {})({"input": input})
            except Exception:  # needs more than the input: known when the step starts
                values = None
            if isinstance(values, dict):
                key = digest(values)
        found.add((str(step.target), key))
    return found


def event_keys(workflow: Workflow, event: str, payload: Any) -> set[str]:
    """The keys under which the executions of ``workflow`` that may want ``event`` with
    ``payload`` are indexed."""
    keys = {ANY}
    for step in workflow.event_waits():
        if step.target != event or not isinstance(step.value, dict | None):
            continue  # a wait on another event, or one indexed under ``ANY``
        fields = list(step.value or {})
        if all(isinstance(payload, dict) and field in payload for field in fields):
            keys.add(digest({field: payload[field] for field in fields}))
    return keys
