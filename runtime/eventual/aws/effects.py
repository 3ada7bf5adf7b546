"""From the interpreter's commands to effects (``messages``), and carrying effects out.

``command_effects`` is pure: the effects one applied message causes for an execution
(run a task, start a timer, publish, start or cancel a child, tell the parent the
result). ``carry_out`` performs effects through a ``Deployment``: history chunks
first (so a reader never misses entries) and schedules (made and deleted in order),
then events, then messages,
each kind in as few requests as batching allows. It raises if any part fails; the caller then
leaves the message to come back, and the outbox makes the next try do it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventual.aws import messages
from eventual.aws.deployment import Deployment
from eventual.aws.queues import Outgoing
from eventual.aws.record import ExecutionRecord
from eventual.aws.store import history_key
from eventual.aws.waits import WaitIndex
from eventual.port import (
    CancelChild,
    Command,
    Finished,
    Port,
    Publish,
    RunTask,
    StartChild,
    StartTimer,
    dispatch,
)
from eventual.state import dumps


def command_effects(
    record: ExecutionRecord, commands: Sequence[Command], now: datetime
) -> list[dict[str, Any]]:
    effects = _Effects(record, now)
    dispatch(effects, commands)
    return effects.effects


class _Effects:
    """The port for one execution's applied message: each command as an effect."""

    def __init__(self, record: ExecutionRecord, now: datetime) -> None:
        self.record, self.now = record, now
        self.effects: list[dict[str, Any]] = []

    def run_task(self, command: RunTask) -> None:
        record = self.record
        self.effects.append(messages.task(
            command.task, record.id, command.handle, command.attempt, command.input, record.secret
        ))  # fmt: skip

    def start_timer(self, command: StartTimer) -> None:
        self.effects.append(messages.timer(self.record.id, command.handle, command.due, self.now))

    def publish(self, command: Publish) -> None:
        self.effects.append(messages.publish(command.event, command.payload))

    def start_child(self, command: StartChild) -> None:
        execution, handle = self.record.id, command.handle
        child = messages.child_id(execution, handle)
        parent = {"id": execution, "handle": handle, "depth": self.record.state.depth + 1}
        self.effects.append(messages.start(child, command.workflow, command.input, None, parent))

    def cancel_child(self, command: CancelChild) -> None:
        child = messages.child_id(self.record.id, command.handle)
        dedup = messages.dedup_id(child, "cancel", self.record.id)
        self.effects.append(messages.to_orchestrator(child, "cancel", dedup))

    def finished(self, command: Finished) -> None:
        if self.record.parent is not None:
            self.effects.append(_tell_parent(self.record))


_: type[Port] = _Effects


def _tell_parent(record: ExecutionRecord) -> dict[str, Any]:
    assert record.parent is not None
    parent, state = record.parent["id"], record.state
    dedup = messages.dedup_id(record.id, "finished")
    return messages.to_orchestrator(
        parent, "child", dedup, handle=record.parent["handle"], result=state.result,
        error=state.error,
    )  # fmt: skip


def outgoing(deployment: Deployment, effect: dict[str, Any]) -> Outgoing:
    """The SQS message of a ``send`` effect."""
    config, to = deployment.config, effect["to"]
    if to == "orchestrator":
        return Outgoing(config.orchestrator_queue, effect["body"], effect["group"], effect["dedup"])
    if to == "results":  # a stack from before the results queue: the orchestrator's
        queue = config.results_queue or config.orchestrator_queue
        return Outgoing(queue, effect["body"], effect["group"], effect["dedup"])
    if to == "inbox":
        return Outgoing(config.inbox_queue, effect["body"], delay=effect.get("delay", 0))
    return Outgoing(deployment.task_queue(effect["task"]), effect["body"])


def carry_out(deployment: Deployment, effects: Sequence[dict[str, Any]]) -> None:
    sends, published, waits = [], [], []
    for effect in effects:
        kind = effect["kind"]
        if kind == "history":
            key = history_key(effect["execution"], effect["index"])
            deployment.store.create(key, dumps(effect["entries"]))
        elif kind == "publish":
            published.append((effect["name"], effect["payload"]))
        elif kind == "schedule":
            deployment.schedules.create(effect["name"], effect["due"], dumps(effect["body"]))
        elif kind == "unschedule":
            deployment.schedules.delete(effect["name"])
        else:
            sends.append(outgoing(deployment, effect))
            if effect["to"] == "orchestrator" and effect["body"]["op"] == "start":
                waits += effect["body"].get("waits", ())
    if published:
        deployment.bus.put(published)
    if sends:
        deployment.queues.send(sends)
    # After the starts they mark: an event handed to a marked execution queues behind
    # its start; one published once its start was sent finds the marker.
    if waits:
        WaitIndex(deployment.store).register(waits)
