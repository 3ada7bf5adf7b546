"""EventBridge out and in: ``Bus.put`` publishes events, ``read_event`` reads one that a
rule delivered (through SQS) as the receiving service names it.

An event is put with ``Source`` = the service that owns it and ``DetailType`` = its
name, as the spec and the generated rules say. ``Detail`` must be a JSON object: other
payloads travel wrapped as ``{"$eventual:value": payload}``, and payloads over 200 KB
by reference (``payloads``); ``read_event`` undoes both. A rule's ``detail`` filter
cannot see into a payload sent by reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventual.aws.payloads import Payloads
from eventual.context import EventMeta
from eventual.state import dumps

BATCH = 10  # entries per PutEvents
WRAPPED = "$eventual:value"


class PublishError(RuntimeError):
    """EventBridge refused some events."""


@dataclass(frozen=True, slots=True)
class BusEvent:
    meta: EventMeta  # name as the receiving service writes it (``billing.X`` if foreign)
    payload: Any


class Bus:
    def __init__(self, events: Any, name: str, payloads: Payloads, service: str) -> None:
        self.events = events
        self.name = name
        self.payloads = payloads
        self.service = service

    def put(self, published: Sequence[tuple[str, Any]]) -> list[str]:
        """Puts ``(event name as the spec writes it, JSON payload)`` pairs; their ids."""
        ids: list[str] = []
        for start in range(0, len(published), BATCH):
            chunk = published[start : start + BATCH]
            entries = [self._entry(name, payload) for name, payload in chunk]
            answer = self.events.put_events(Entries=entries)
            if answer.get("FailedEntryCount"):
                failed = [e for e in answer["Entries"] if e.get("ErrorCode")]
                reasons = "; ".join(
                    f"{e['ErrorCode']}: {e.get('ErrorMessage', '')}" for e in failed
                )
                raise PublishError(f"{len(failed)} events were refused: {reasons}")
            ids.extend(entry.get("EventId", "") for entry in answer["Entries"])
        return ids

    def _entry(self, name: str, payload: Any) -> dict[str, str]:
        source, _, bare = name.rpartition(".")
        detail = payload if isinstance(payload, dict) else {WRAPPED: payload}
        return {
            "Source": source or self.service, "DetailType": bare,
            "Detail": self.payloads.pack(dumps(detail)), "EventBusName": self.name,
        }  # fmt: skip


def read_event(body: Mapping[str, Any], service: str, payloads: Payloads) -> BusEvent:
    """The EventBridge event ``body`` (as a rule sends it to SQS), for ``service``."""
    source, bare = body["source"], body["detail-type"]
    detail = payloads.resolve(body.get("detail"))
    if isinstance(detail, dict) and len(detail) == 1 and WRAPPED in detail:
        detail = detail[WRAPPED]
    name = bare if source == service else f"{source}.{bare}"
    meta = EventMeta(str(body["id"]), name, source, _time(body.get("time")))
    return BusEvent(meta, detail)


def is_bus_event(body: Any) -> bool:
    return isinstance(body, dict) and "detail-type" in body and "source" in body


def _time(text: Any) -> datetime:
    if not text:
        return datetime.now(UTC)
    if isinstance(text, int | float):  # epoch seconds, as some emulators render the event
        return datetime.fromtimestamp(text, UTC)
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
