"""What the state table holds per execution (``eventual.aws.table``): its ``ExecutionRecord``.

Besides the interpreter's state (``eventual.state``) a record keeps:

- ``revision``: one more on every write; the table's writes are conditional on it;
- ``secret``: the key of its task runs' tokens (see ``messages.token``);
- ``applied``: the ids of the last messages applied, so a message delivered again
  is recognised and not applied twice;
- ``outbox``: what the last write must cause (messages, events, history chunks) and
  the ids of the messages that caused it. It is carried out after the write; a
  message delivered again because the function stopped in between finds its id
  there and carries the outbox out again. The next message of the execution's FIFO
  group comes only after that one is done, so the next write replaces the outbox;
- ``pending``: history entries not yet in a chunk. Short executions keep their whole
  history here; once ``CHUNK_ENTRIES`` accumulate they go to
  ``executions/<id>/history/<n>.json`` (through the outbox) and the record stays small;
- ``waits``: its markers in the index of executions that wait for events
  (``eventual.aws.waits``), deleted when it ends.

Top-level ``status``, ``result``, ``error``, ``started`` and ``ended`` repeat the
state's, so readers (``eventual.aws.client``) need not rebuild the state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventual.interpreter import ExecutionState
from eventual.state import dump_state, dumps, loads, state_from_data

FORMAT = 1
APPLIED = 64  # message ids remembered; FIFO redeliveries come back long before that
CHUNK_ENTRIES = 200  # history entries per chunk


@dataclass
class Outbox:
    messages: list[str] = field(default_factory=list)  # ids of the messages that caused it
    effects: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExecutionRecord:
    service: str
    definition: str  # the version (hash) of the service definition it runs on
    state: ExecutionState
    parent: dict[str, Any] | None = None  # {"id", "handle"} of the parent execution
    revision: int = 0
    ended: datetime | None = None
    applied: list[str] = field(default_factory=list)
    outbox: Outbox = field(default_factory=Outbox)
    chunks: int = 0  # history chunks written
    pending: list[dict[str, Any]] = field(default_factory=list)
    # Keys the tokens of the execution's task runs (``messages.token``); only the
    # orchestrator reads records, so a task cannot make a token for another run.
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    waits: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.state.id

    def to_text(self) -> str:
        state = self.state
        header = dumps({
            "format": FORMAT, "revision": self.revision, "id": state.id, "name": state.name,
            "service": self.service, "definition": self.definition, "workflow": state.workflow,
            "version": state.version,
            "status": state.status.value, "result": state.result, "error": state.error,
            "started": state.start_time, "ended": self.ended, "parent": self.parent,
            "applied": self.applied, "secret": self.secret,
            "outbox": {"messages": self.outbox.messages, "effects": self.outbox.effects},
            "history": {"chunks": self.chunks, "pending": self.pending}, "waits": self.waits,
        })  # fmt: skip
        return header[:-1] + ',"state":' + dump_state(state) + "}"

    @classmethod
    def from_text(cls, text: str) -> ExecutionRecord:
        data = loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported execution record format {data.get('format')!r}")
        outbox = data["outbox"]
        return cls(
            data["service"], data["definition"], state_from_data(data["state"]), data["parent"],
            data["revision"],
            data["ended"], data["applied"], Outbox(outbox["messages"], outbox["effects"]),
            data["history"]["chunks"], data["history"]["pending"], data.get("secret", ""),
            data.get("waits", []),
        )  # fmt: skip
