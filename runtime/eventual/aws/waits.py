"""The index of running executions that wait for events, in the state bucket.

Each running execution of a workflow with ``wait_for_event`` steps has one marker
object per wait key (``eventual.routing``), created right after its start message is
sent (or, if its sender could not, before the orchestrator first writes it) and
deleted when it ends::

    waits/<event>/<workflow>/<key>/<execution>

For an event, the orchestrator lists the prefix of each of its keys: one listing per
distinct ``match`` field set plus ``any``, never a scan of the running executions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from eventual.aws.store import StateStore
from eventual.definition import Workflow
from eventual.routing import event_keys, wait_keys

PREFIX = "waits/"


def _prefix(event: str, workflow: str, key: str) -> str:
    return f"{PREFIX}{quote(event, safe='.')}/{workflow}/{key}/"


def markers(workflow: Workflow, name: str, execution: str, input: Any) -> list[str]:
    """The marker keys of an execution of ``workflow`` (named ``name`` in its service)
    started with ``input``: none when it waits for no event."""
    keys = wait_keys(workflow, input)
    return sorted(_prefix(event, name, key) + execution for event, key in keys)


def lookups(workflow: Workflow, name: str, event: str, payload: Any) -> list[str]:
    """The prefixes under which the executions of ``workflow`` that may want ``event``
    with ``payload`` have their markers."""
    return sorted(_prefix(event, name, key) for key in event_keys(workflow, event, payload))


class WaitIndex:
    """The markers in the state bucket."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def register(self, keys: list[str]) -> None:
        for key in keys:
            self.store.create(key, "")

    def release(self, keys: list[str]) -> None:
        for key in keys:
            self.store.delete(key)

    def executions(self, prefixes: list[str]) -> list[str]:
        """The executions marked under ``prefixes``, each once, in a stable order."""
        found = {key.rpartition("/")[2] for prefix in prefixes for key in self.store.keys(prefix)}
        return sorted(found)
