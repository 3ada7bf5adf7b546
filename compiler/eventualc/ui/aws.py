"""The console's ``Source`` on a deployed stack: ``eventual.aws.Client`` and its bucket.

``AwsReads(client)`` answers the same pages as the engine's store, from what the AWS
runtime keeps: execution records (the state table, ``eventual.aws.table``: status,
input, ``vars``, pending timers), their history, the definitions they run on,
children (the records whose ids start ``<id>-``, as the orchestrator names them) and
the dead-letter queues. The list pages in the table's order (``Client.page``): the
table keeps no index by start time, so "newest first" would mean reading every record.

What the AWS runtime does not record is said in ``lacks`` and never guessed: the
event log (EventBridge keeps no log of the events put on a bus; dead letters are the
deliveries that failed) and restart from the failed step (the engine's; the stack's
orchestrator does not take reused outputs). Every AWS failure comes out as the
client's ``RequestError`` (an ``EngineError``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from eventual.aws import Client
from eventual.aws.client import Summary
from eventual.aws.record import CHUNK_ENTRIES
from eventual.aws.store import definition_key
from eventual.state import loads
from eventual.views import DeadLetterView, ExecutionView
from eventualc.ui.source import (
    PAGE,
    Details,
    EventRow,
    Filters,
    Page,
    Row,
    Source,
    Unavailable,
    row_of,
    timers_of,
)  # fmt: skip

LACKS = {
    "events": "The AWS runtime keeps no event log: EventBridge does not store the events "
    "put on a bus, so there is nothing to list here. Failed deliveries are under Dead "
    "letters; an execution a subscription started shows on the Executions page.",
    "restart": "Restart from the failed step runs on the embedded engine only: the "
    "deployed orchestrator does not take reused step outputs.",
}
NOTE = (
    "On AWS this list goes in the state table's order, not start time: the table keeps no "
    "index by time. "
    "Filters apply to the records each page reads."
)


class AwsReads:
    lacks: Mapping[str, str] = LACKS

    def __init__(self, client: Client) -> None:
        self.client = client
        self.label = f"AWS stack {client.stack_name}"

    def executions(self, filters: Filters, after: str | None = None,
                   limit: int = PAGE) -> Page:  # fmt: skip
        views, cursor = self.client.page(after, limit, lambda view: _matches(filters, view))
        return Page([row_of(view) for view in views], cursor, NOTE)

    def workflows(self) -> list[str]:
        definition = self._definition(None)
        return sorted(definition.get("workflows", {}))

    def execution(self, ref: str) -> ExecutionView:
        return self.client.get(ref)

    def history(self, execution: str) -> list[dict[str, Any]]:
        return self.client.history(execution)

    def _record(self, execution: str) -> dict[str, Any]:
        found = self.client.deployment.records.read(execution)
        return {} if found is None else dict(loads(found.text))

    def _definition(self, version: str | None) -> dict[str, Any]:
        store = self.client.deployment.store
        key = definition_key(version) if version else store.newest("definitions/")
        found = store.read(key) if key else None
        return {} if found is None else dict(json.loads(found.text))

    def details(self, execution: str) -> Details:
        record = self._record(execution)
        if not record:
            return Details()
        state = record.get("state") or {}
        count = record["history"]["chunks"] * CHUNK_ENTRIES + len(record["history"]["pending"])
        return Details(state.get("input"), state.get("vars"),
                       self._definition(record["definition"]), count, timers_of(state))  # fmt: skip

    def children(self, execution: str) -> list[Row]:
        found = []
        for text in self.client.deployment.records.scan(prefix=f"{execution}-"):
            data = loads(text.text)
            if (data.get("parent") or {}).get("id") == execution:
                found.append(row_of(Summary.of(text.text).view))
        return sorted(found, key=lambda row: (row.started, row.id))

    def version(self, execution: str) -> tuple[str, int]:
        record = self._record(execution)
        return (record["status"], int(record["revision"])) if record else ("", 0)

    def events(self, name: str = "", before: int | None = None,
               limit: int = PAGE) -> list[EventRow]:  # fmt: skip
        raise Unavailable(LACKS["events"])

    def dead_letters(self) -> list[DeadLetterView]:
        return self.client.dead_letters()

    def signal(self, execution: str, signal: str, payload: Any) -> None:
        self.client.signal(execution, signal, payload)

    def cancel(self, execution: str) -> None:
        self.client.cancel(execution)

    def query(self, execution: str, name: str) -> Any:
        return self.client.query(execution, name)

    def restart(self, execution: str) -> str:
        raise Unavailable(LACKS["restart"])

    def redrive(self, ids: Sequence[str]) -> int:
        return self.client.redrive(ids)


_source: type[Source] = AwsReads


def _matches(filters: Filters, view: ExecutionView) -> bool:
    started = view.started.astimezone(UTC).timestamp()
    return (
        (not filters.workflow or view.workflow == filters.workflow.rpartition(".")[2])
        and (not filters.status or view.status.value == filters.status.upper())
        and view.name.startswith(filters.prefix)
        and (filters.since is None or started >= filters.since)
        and (filters.until is None or started < filters.until)
    )
