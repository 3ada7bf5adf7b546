"""The orchestrator function: workflow events in, one conditional write per execution.

It reads two queues. From the FIFO queue (one message group per execution) come
starts, task answers, signals, cancellations, children's results, heartbeats and
due timers. The messages of one execution in a batch are applied together, in order,
in one read-modify-write of its record in the state table (``eventual.aws.table``:
conditional on the revision read; on a conflict it reads again and reapplies). Only
after the write succeeds are the effects carried out (``effects``), and the record's
outbox keeps them until the next write, so a message delivered again after a crash
in between carries them out again and is not applied twice (``record``). The write
that ends an execution gives its item an expiry (its end plus the retention days:
the table's TTL) and then tags its history chunks ``eventual-finished=true``, so the
stack's lifecycle rule expires them (names and the shared payloads and definitions
stay).
From the standard inbox come timers (after their SQS delay or from their schedule;
sent to the execution's group if it still waits for them, dropped if not) and
EventBridge events for declarative subscriptions: a workflow start (each started once:
the id comes from the event id and the subscription, or the ``execution_name``), or a
signal to the running execution of that name (sent once per event and subscription;
while none runs, the event comes back to the inbox after the subscription's retry
backoff, and after its last attempt the error is logged).

Executions keep the definition they started with: the current one is stored under
``definitions/<version>.json`` on the first start, older ones are read from there.
A task that definition names but the deployed code lacks, or an input the deployed
model refuses, fails the step at once with a named error (``deploys``).
``handle`` answers Lambda with the messages that failed (partial batch failure); in
a FIFO group, a failure fails the rest of the group's messages with it.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventual.aws import messages
from eventual.aws.config import signal_queue_name
from eventual.aws.dead_letters import dead_letter
from eventual.aws.deployment import Deployment, log
from eventual.aws.deploys import checked_tasks, removed_waits
from eventual.aws.effects import carry_out, command_effects
from eventual.aws.events import is_bus_event, read_event
from eventual.aws.queues import Received, batch_response, received
from eventual.aws.record import APPLIED, CHUNK_ENTRIES, ExecutionRecord, Outbox
from eventual.aws.store import Conflict, definition_key, history_key
from eventual.aws.table import Stored
from eventual.aws.waits import WaitIndex, lookups, markers
from eventual.definition import Definition, Subscription, Task
from eventual.errors import ExecutionNotFound
from eventual.interpreter import ExecutionState, Interpreter, Interpreters, signal_payload
from eventual.invoke import failure, signal_request, start_request, subscribers
from eventual.port import Command, RunTask
from eventual.retry import retry_after

CONFLICT_TRIES = 8


@dataclass
class Change:
    record: ExecutionRecord | None  # to write; None: nothing changed
    effects: list[dict[str, Any]] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)  # wait markers to create before the write


class Orchestrator:
    def __init__(self, deployment: Deployment, rng: random.Random | None = None) -> None:
        self.deployment = deployment
        self.rng = rng or random.Random()
        self._interpreters = Interpreters(deployment.values.validate, self.rng)
        self._definitions: dict[str, Definition] = {}
        self._definition_stored = False
        self.waits = WaitIndex(deployment.store)

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """One Lambda batch from either queue; the partial batch failure answer."""
        groups: dict[str, list[Received]] = {}
        failed: list[str] = []
        for message in received(event):
            if message.fifo:
                groups.setdefault(message.attributes.get("MessageGroupId", ""), []).append(message)
            elif not self._attempt(self.inbox, message):
                failed.append(message.id)
        for execution, group in groups.items():
            if not self._attempt(self.apply_batch, execution, group):
                failed.extend(message.id for message in group)
        return batch_response(failed)

    def _attempt(self, action: Any, *args: Any) -> bool:
        try:
            action(*args)
        except Exception:  # the message comes back; after its queue's receives, to the DLQ
            log.exception("eventual: could not process %s", args[0])
            return False
        return True

    # the FIFO queue ----------------------------------------------------------------------

    def apply_batch(self, execution: str, batch: Sequence[Received]) -> None:
        """Applies ``batch`` (messages of ``execution``, in order) in one write, each
        message only if the queue it came from may carry it (``_admitted``)."""
        bodies, again = [], set()
        for message in batch:
            body = self.deployment.queues.body(message)
            if not self._admitted(message.queue_name, body):
                log.warning("eventual: %s is not what queue %s carries; dropped",
                            message.id, message.queue_name)  # fmt: skip
                continue
            bodies.append(body)
            if message.receive_count > 1:
                again.add(body["id"])
        self.apply(execution, bodies, again)

    def _admitted(self, queue: str, body: Any) -> bool:
        """Whether a message from FIFO queue ``queue`` may be applied. The orchestrator's
        own queue carries anything (only the orchestrator and operators may send to it);
        the results queue only tasks' answers (whose tokens ``fold`` checks); a function's
        signal queue, which only that function may send to, only the signals it declares."""
        config = self.deployment.config
        if config.orchestrator_queue.endswith("/" + queue):
            return True
        if not isinstance(body, dict):
            return False
        if config.results_queue and config.results_queue.endswith("/" + queue):
            return body.get("op") in messages.ANSWERS
        sender = str(body.get("sender"))
        kind, _, name = sender.partition("-")
        service = self.deployment.service
        senders: Mapping[str, Task | Subscription] = (
            service.tasks if kind == "task" else service.subscriptions if kind == "sub" else {}
        )
        spec = senders.get(name)
        return (
            body.get("op") == "signal"
            and spec is not None
            and config.queue_prefix is not None
            and queue == signal_queue_name(config.queue_prefix, sender)
            and f"{body.get('workflow')}.{body.get('name')}" in spec.signals
        )

    def apply(
        self, execution: str, bodies: Sequence[dict[str, Any]], again: Set[str] = frozenset()
    ) -> None:
        """Applies message ``bodies`` of ``execution`` in one conditional write, reading
        again and reapplying while another writer got there first; then carries out
        the effects. ``again``: the ids of messages received before (redeliveries)."""
        records = self.deployment.records
        # A batch that opens with a start is most likely a new execution: try creating
        # the record without reading it first (a conflict means it exists: read then).
        unread = bool(bodies) and bodies[0]["op"] == "start"
        for _ in range(CONFLICT_TRIES):
            found = None if unread else records.read(execution)
            unread = False
            record = ExecutionRecord.from_text(found.text) if found else None
            change = self.fold(record, bodies, again)
            # A record changed and over has just finished (an ended one changes no more).
            finished = change.record is not None and change.record.state.status.done
            if change.record is not None:
                self.waits.register(change.marks)
                try:
                    self._write(change.record, found, finished)
                except Conflict:
                    log.info("eventual: %s changed while applying; applying again", execution)
                    continue
            carry_out(self.deployment, change.effects)
            if finished and change.record is not None:
                # After carry_out: the chunk this batch may have written is tagged too.
                chunks = range(change.record.chunks)
                store = self.deployment.store
                store.tag_finished(history_key(execution, index) for index in chunks)
                self.waits.release(change.record.waits)
            return
        raise Conflict(f"{execution}: gave up after {CONFLICT_TRIES} conflicting writes")

    def _write(self, record: ExecutionRecord, found: Stored | None, finished: bool) -> None:
        """Writes ``record`` over ``found`` (the item read, ``None``: a new one); a
        finished one with its end, from which its item expires."""
        ended = record.ended if finished else None
        self.deployment.records.write(record.id, record.to_text(), record.revision, found, ended)

    def fold(
        self, record: ExecutionRecord | None, bodies: Sequence[dict[str, Any]], again: Set[str]
    ) -> Change:
        """``record`` after ``bodies`` (pure but for reading old definitions).

        A message applied already is skipped. If it is a redelivery (``again``) of a
        message whose write's effects are the outbox, the function that applied it
        may have stopped before carrying them out: they are carried out again. A copy
        received for the first time (a duplicate send) causes nothing."""
        now = self.deployment.clock()
        fresh: list[str] = []
        effects: list[dict[str, Any]] = []
        marks: list[str] = []
        resend = False
        waited = dict(record.state.dues) if record is not None else {}  # timers, by handle
        for body in bodies:
            if record is not None and body["id"] in record.applied:
                resend = resend or (body["id"] in again and body["id"] in record.outbox.messages)
                continue
            if body["op"] == "start":
                if record is not None:
                    continue  # started already: a start sent again
                record, commands = self.create(body, now)
                marks = self._marks(record, body)
            elif record is None or record.state.status.done:
                log.info("eventual: %s for %s: unknown or over", body["op"], body["execution"])
                continue
            elif body["op"] in messages.ANSWERS and not messages.genuine(record.secret, body):
                log.warning("eventual: %s for %s: not for a run it issued; dropped",
                            body["op"], body["execution"])  # fmt: skip
                continue
            elif body["op"] == "signal" and body.get("workflow", record.state.workflow) != (
                record.state.workflow
            ):
                log.warning("eventual: %s for %s: meant for workflow %s; dropped",
                            body["op"], body["execution"], body["workflow"])  # fmt: skip
                continue
            else:
                commands = self.step(record, body, now)
            if record is not None:
                fresh.append(body["id"])
                commands = self.deployable(record, commands, now)
                effects += command_effects(record, commands, now)
                waited.update(record.state.dues)
        if record is None or not fresh:
            return Change(None, record.outbox.effects if record is not None and resend else [])
        effects += messages.unschedules(record.id, waited, record.state.handles, now)
        return Change(record, self.advance(record, fresh, effects, resend, now), marks)

    def _marks(self, record: ExecutionRecord | None, body: Mapping[str, Any]) -> list[str]:
        """A new execution's wait markers (kept in its record, to delete at its end); those
        its start's sender did not create (``messages.start``), to create before it is
        written, so that no event published once it started is missed."""
        if record is None:
            return []
        state = record.state
        workflow = self.definition(record.definition).workflows[state.workflow]
        mine = markers(workflow, state.workflow, state.id, state.input)
        sent = body.get("waits")
        record.waits = sorted({*mine, *(sent or ())})
        return mine if sent is None else [key for key in mine if key not in sent]

    def advance(
        self, record: ExecutionRecord, fresh: list[str], effects: list[dict[str, Any]],
        resend: bool, now: datetime,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Brings ``record`` to its next revision; the effects of that write."""
        state = record.state
        record.revision += 1
        record.applied = (record.applied + fresh)[-APPLIED:]
        record.pending.extend(state.history)
        state.history.clear()
        if len(record.pending) >= CHUNK_ENTRIES:
            effects.append(messages.history(record.id, record.chunks, record.pending))
            record.chunks += 1
            record.pending = []
        if state.status.done and record.ended is None:
            record.ended = now
        old = record.outbox if resend else Outbox()
        record.outbox = Outbox([*old.messages, *fresh], [*old.effects, *effects])
        return record.outbox.effects

    def create(
        self, body: Mapping[str, Any], now: datetime
    ) -> tuple[ExecutionRecord | None, list[Command]]:
        service = self.deployment.service
        workflow = body["workflow"]
        if workflow not in service.workflows:
            log.error("eventual: %s has no workflow %r; start dropped", service.name, workflow)
            return None, []
        self._store_definition()
        interpreter = self.interpreter(service.version, workflow)
        state = ExecutionState(
            body["execution"], body["name"], workflow, interpreter.workflow.version,
            body["input"], now,
        )  # fmt: skip
        state.depth = (body.get("parent") or {}).get("depth", 0)
        record = ExecutionRecord(service.name, service.version, state, body.get("parent"))
        return record, interpreter.begin(state, now)

    def step(self, record: ExecutionRecord, body: dict[str, Any], now: datetime) -> list[Command]:
        interpreter = self.interpreter(record.definition, record.state.workflow)
        tasks = self.deployment.service.tasks
        removed = removed_waits(interpreter, record.state, tasks, now)
        return removed + self._step(interpreter, record, body, now)

    def deployable(
        self, record: ExecutionRecord, commands: list[Command], now: datetime
    ) -> list[Command]:
        """``commands`` less the task runs the deployed code cannot take (``deploys``)."""
        if not any(isinstance(command, RunTask) for command in commands):
            return commands
        interpreter = self.interpreter(record.definition, record.state.workflow)
        deployment = self.deployment
        return checked_tasks(
            interpreter, record.state, commands, deployment.service.tasks,
            deployment.values.validate, now,
        )  # fmt: skip

    def _step(
        self, interpreter: Interpreter, record: ExecutionRecord, body: dict[str, Any],
        now: datetime,
    ) -> list[Command]:  # fmt: skip
        return interpreter.apply(record.state, body, now)

    # definitions -------------------------------------------------------------------------

    def interpreter(self, version: str, workflow: str) -> Interpreter:
        return self._interpreters.get(version, workflow, lambda: self.definition(version))

    def definition(self, version: str) -> Definition:
        service = self.deployment.service
        if version == service.version:
            return service.definition
        if version not in self._definitions:
            found = self.deployment.store.read(definition_key(version))
            if found is None:
                raise LookupError(f"definition {version} is not in the state bucket")
            self._definitions[version] = Definition.loads(found.text)
        return self._definitions[version]

    def _store_definition(self) -> None:
        if not self._definition_stored:
            service = self.deployment.service
            text = service.definition_text()
            self.deployment.store.create(definition_key(service.version), text)
            self._definition_stored = True

    # the inbox ---------------------------------------------------------------------------

    def inbox(self, message: Received) -> None:
        body = self.deployment.queues.body(message)
        if is_bus_event(body):
            self.start_from_event(body)
        elif isinstance(body, dict) and body.get("kind") == "waited":
            self.offer_to_waits(body["event"])
        elif isinstance(body, dict) and body.get("kind") == "signal-retry":
            self.signal_from_event(body["subscription"], body["event"], body["attempt"])
        elif isinstance(body, dict) and body.get("kind") == "timer":
            self.timer(body)
        else:
            log.warning("eventual: unknown inbox message %s dropped", message.id)

    def timer(self, body: Mapping[str, Any]) -> None:
        """A timer from its delay or its schedule, while its execution still waits for
        it: to the execution's group (or, should it come early, delayed or scheduled
        again for the rest). A timer whose wait is over (the task answered, the
        execution ended) stops here: handles are never reused."""
        execution, handle = body["execution"], body["handle"]
        found = self.deployment.records.read(execution)
        state = ExecutionRecord.from_text(found.text).state if found else None
        if state is None or state.status.done or handle not in state.handles:
            return
        effect = messages.timer(execution, handle, body["due"], self.deployment.clock())
        carry_out(self.deployment, [effect])

    def start_from_event(self, body: Mapping[str, Any]) -> None:
        """Starts every workflow-starting subscription the event reaches, once each."""
        deployment = self.deployment
        service = deployment.service
        event = read_event(body, service.name, deployment.payloads)
        bare = event.meta.name.rpartition(".")[2]
        starts = []
        for name in subscribers(service, event.meta.source, bare, event.payload):
            subscription = service.subscriptions[name]
            if not subscription.workflow:
                continue  # handler subscriptions have their own rule, queue and function
            if subscription.signal:
                self.signal_from_event(name, body, 1)
                continue
            workflow, value, execution_name = start_request(subscription, event.payload, event.meta)
            seed = hashlib.sha256(f"{event.meta.id}/{name}".encode()).hexdigest()[:16]
            execution = f"{workflow}-{seed}"
            if execution_name is not None:
                execution = deployment.store.reserve_name(workflow, execution_name, execution)
            waits = markers(service.workflows[workflow], workflow, execution, value)
            starts.append(messages.start(execution, workflow, value, execution_name, waits=waits))
        carry_out(deployment, starts)

    def offer_to_waits(self, body: Mapping[str, Any]) -> None:
        """Hands a bus event to every running execution that may wait for it (found in
        the index of ``waits``), once each, in its own group: the interpreter keeps it
        until a wait takes it."""
        service = self.deployment.service
        event = read_event(body, service.name, self.deployment.payloads)
        local = event.meta.name  # as this service writes it: ``shop.OrderPlaced``
        letters = []
        for workflow in service.waiting.get(local, ()):
            prefixes = lookups(service.workflows[workflow], workflow, local, event.payload)
            for execution in self.waits.executions(prefixes):
                dedup = messages.dedup_id(event.meta.id, execution, "event")
                letters.append(messages.to_orchestrator(
                    execution, "event", dedup, name=local, payload=event.payload
                ))  # fmt: skip
        carry_out(self.deployment, letters)

    def signal_from_event(self, name: str, body: Mapping[str, Any], attempt: int) -> None:
        """Attempt ``attempt`` of subscription ``name``'s declarative signal for bus event
        ``body``: sent to the running execution (deduplicated by event and subscription),
        or tried again later through the inbox, or, attempts spent, logged."""
        deployment = self.deployment
        subscription = deployment.service.subscriptions[name]
        event = read_event(body, deployment.service.name, deployment.payloads)
        try:
            workflow, execution_name, signal, payload = signal_request(
                subscription, event.payload, event.meta
            )
            execution = self._running(workflow, execution_name)
            signals = self.definition(deployment.service.version).workflows[workflow].signals
            value = signal_payload(workflow, signals, signal, payload, deployment.values.validate)
        except Exception as exc:  # no such execution yet, a template or payload that fails
            error = failure(exc)
        else:
            dedup = messages.dedup_id(event.meta.id, name, "signal")
            letter = messages.to_orchestrator(
                execution, "signal", dedup, name=signal, payload=value
            )
            carry_out(deployment, [letter])
            return
        delay = retry_after(subscription.retry, error, attempt, self.rng)
        if delay is None:
            log.error("eventual: subscription %s gave up on event %s after %d attempts: %s: %s",
                      name, event.meta.id, attempt, error["error"], error["message"])  # fmt: skip
            dead_letter(deployment, name, body, error, attempt)
            return
        again = {
            "kind": "signal-retry",
            "subscription": name,
            "event": body,
            "attempt": attempt + 1,
        }
        later = {
            "kind": "send",
            "to": "inbox",
            "delay": min(math.ceil(delay), messages.MAX_DELAY),
            "body": again,
        }
        carry_out(deployment, [later])

    def _running(self, workflow: str, execution_name: str) -> str:
        """The id of the running execution ``execution_name`` of ``workflow``."""
        store = self.deployment.store
        execution = store.named(workflow, execution_name)
        found = self.deployment.records.read(execution)
        if found is None or ExecutionRecord.from_text(found.text).state.status.done:
            raise ExecutionNotFound(
                f"no running execution {execution_name!r} of workflow {workflow!r}"
            )
        return execution
