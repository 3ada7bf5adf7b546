"""The console's ``Source`` on the embedded engine: store queries, each one short,
read-only and on an index, and the engine's own actions.

``Reads(engine)`` answers the pages: executions by filters with a cursor (the
``(started, id)`` indexes the engine keeps, never OFFSET), one execution's details
(input, ``vars``, its definition, pending timers, the event that started it,
children), the event log by name with each event's deliveries and the executions it
started, and dead letters. Every query runs on the calling thread's own connection
(``Store.db``), outside any write transaction, so the console never holds a lock a
worker waits for. SQLite failures come out as ``StoreError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eventual.state import loads
from eventual.views import DeadLetterView, ExecutionView
from eventualc.ui.source import (
    PAGE,
    Delivery,
    Details,
    EventLink,
    EventRow,
    Filters,
    Page,
    Row,
    Source,
    timers_of,
)  # fmt: skip

if TYPE_CHECKING:
    from eventual.engine import Engine

_COLUMNS = "id, name, service, workflow, status, started, ended, error"


class Reads:
    lacks: Mapping[str, str] = {}

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.label = str(engine.store.path)

    def _rows(self, query: str, args: Sequence[Any] = ()) -> list[Any]:
        with self.engine.store.errors():
            return self.engine.store.db.execute(query, args).fetchall()

    def executions(self, filters: Filters, after: str | None = None,
                   limit: int = PAGE) -> Page:  # fmt: skip
        """A page of executions, newest first, after the execution ``after``."""
        where, args = _where(filters)
        if after:
            where.append("(started, id) < ((SELECT started FROM executions WHERE id = ?), ?)")
            args += [after, after]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM executions{clause} ORDER BY started DESC, id DESC LIMIT ?",
            [*args, limit],
        )
        found = [_row(r) for r in rows]
        return Page(found, found[-1].id if len(found) == limit else "")

    def workflows(self) -> list[str]:
        """Every workflow name the store's definitions know (for the filter)."""
        names: set[str] = set()
        for (body,) in self._rows("SELECT body FROM definitions"):
            names.update(json.loads(body).get("workflows", {}))
        return sorted(names)

    def execution(self, ref: str) -> ExecutionView:
        return self.engine.execution(ref)

    def history(self, execution: str) -> list[dict[str, Any]]:
        return self.engine.history(execution)

    def details(self, execution: str) -> Details:
        """Input, ``vars``, definition, history length, pending timers and trigger."""
        rows = self._rows(
            "SELECT e.input, e.state, d.body, e.history FROM executions e "
            "JOIN definitions d ON d.version = e.version WHERE e.id = ?",
            (execution,),
        )
        if not rows:
            return Details()
        given, text, body, count = rows[0]
        state = {} if text is None else loads(text)
        links = self._rows(
            "SELECT event_id, execution, how, service, subscription FROM event_executions "
            "INDEXED BY event_executions_by_execution WHERE execution = ? AND how = 'started'",
            (execution,),
        )
        return Details(
            None if given is None else loads(given), state.get("vars"), json.loads(body),
            count, timers_of(state), EventLink(*links[0]) if links else None,
        )  # fmt: skip

    def children(self, execution: str) -> list[Row]:
        rows = self._rows(
            # the parent index, always: most executions have no parent, and statistics
            # (ANALYZE) then make SQLite prefer scanning the whole table
            f"SELECT {_COLUMNS} FROM executions INDEXED BY executions_by_parent "
            "WHERE parent = ? ORDER BY started, id",
            (execution,),
        )
        return [_row(r) for r in rows]

    def version(self, execution: str) -> tuple[str, int]:
        """``(status, history length)``: what live pages poll to know something changed."""
        rows = self._rows("SELECT status, history FROM executions WHERE id = ?", (execution,))
        return (rows[0][0], rows[0][1]) if rows else ("", 0)

    def events(self, name: str = "", before: int | None = None,
               limit: int = PAGE) -> list[EventRow]:  # fmt: skip
        """The event log, newest first, of one name or all, before position ``before``."""
        where: list[str] = []
        args: list[Any] = []
        if name:
            where.append("name = ?")
            args.append(name)
        if before is not None:
            where.append("seq < ?")
            args.append(before)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(
            f"SELECT seq, id, source, name, time, payload FROM events{clause} "
            "ORDER BY seq DESC LIMIT ?",
            [*args, limit],
        )
        return [
            EventRow(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else loads(r[5]),
                     self.deliveries(r[1], r[2], r[3], r[5]), self.touched(r[1]))
            for r in rows
        ]  # fmt: skip

    def touched(self, event_id: str) -> tuple[EventLink, ...]:
        """The executions the event started (or found by name) or signalled."""
        rows = self._rows(
            "SELECT event_id, execution, how, service, subscription FROM event_executions "
            "WHERE event_id = ? ORDER BY how, execution", (event_id,))  # fmt: skip
        return tuple(EventLink(*r) for r in rows)

    def deliveries(self, event_id: str, source: str, name: str, payload: str | None
                   ) -> tuple[Delivery, ...]:  # fmt: skip
        """Each subscription the event reached (routed again, as the engine routes it)
        and where its delivery is: queued or retrying, dead-lettered, else delivered."""
        orchestrator = self.engine.orchestrator
        if source not in orchestrator.values:
            return ()
        value = None if payload is None else loads(payload)
        try:
            reached = orchestrator.route(source, name, value, validated=True).reached
        except (ValueError, KeyError):
            return ()
        pending = {
            (body["service"], body["subscription"]): body.get("attempt")
            for (text,) in self._rows(
                "SELECT body FROM work WHERE kind IN ('delivery', 'start') "
                "AND json_extract(body, '$.event.id') = ?", (event_id,))
            for body in [json.loads(text)]
        }  # fmt: skip
        dead = {
            (r[0], r[1]): (r[2], loads(r[3])) for r in self._rows(
                "SELECT service, subscription, attempts, error FROM dead_letters "
                "WHERE event_id = ?", (event_id,))
        }  # fmt: skip
        found = []
        for key in reached:
            if key in pending:
                found.append(Delivery(*key, "pending", pending[key]))
            elif key in dead:
                found.append(Delivery(*key, "dead-lettered", dead[key][0], dead[key][1]))
            else:
                found.append(Delivery(*key, "delivered", None))
        return tuple(found)

    # actions -----------------------------------------------------------------------------

    def dead_letters(self) -> list[DeadLetterView]:
        return self.engine.dead_letters()

    def signal(self, execution: str, signal: str, payload: Any) -> None:
        self.engine.signal(execution, signal, payload)

    def cancel(self, execution: str) -> None:
        self.engine.cancel(execution)

    def query(self, execution: str, name: str) -> Any:
        return self.engine.query(execution, name)

    def restart(self, execution: str) -> str:
        return self.engine.restart(execution)

    def redrive(self, ids: Sequence[str]) -> int:
        try:
            numbers = [int(i) for i in ids]
        except ValueError as exc:
            raise ValueError("dead letter ids are numbers") from exc
        return self.engine.redrive(numbers)


_source: type[Source] = Reads


def _row(r: Sequence[Any]) -> Row:
    error = None if r[7] is None else loads(r[7])
    return Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], error)


def _where(filters: Filters) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if filters.workflow:
        where.append("workflow = ?")
        args.append(filters.workflow.rpartition(".")[2])
    if filters.status:
        where.append("status = ?")
        args.append(filters.status.upper())
    if filters.prefix:
        where.append("name >= ? AND name < ?")
        args += [filters.prefix, filters.prefix + "\U0010ffff"]
    if filters.since is not None:
        where.append("started >= ?")
        args.append(filters.since)
    if filters.until is not None:
        where.append("started < ?")
        args.append(filters.until)
    return where, args
