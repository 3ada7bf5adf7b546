"""The task and subscription functions: user handlers run on SQS deliveries.

``run_tasks``: each message asks for one attempt of a task. The handler runs with a
``TaskContext`` (its idempotency key ``<execution>/<handle>/<attempt>`` is the same on
every delivery of that attempt) and its output or error goes to the orchestrator's
results queue (FIFO) in the execution's group, deduplicated by that key, with the
token the task message carried: the orchestrator takes an answer only for the run it
issued, and a task can send nothing else (no start, signal or cancel). A handler's failure is
an answer (the workflow's retry policy decides); only failing to answer leaves the
message to come back.

``ctx.signal`` (tasks and handler subscriptions that declare ``signals``): the named
execution is looked up by its name record (``ExecutionNotFound`` when the name was never
given; the function may read the names of the workflows it signals, nothing else), the
payload checked, and the signal sent to the function's own FIFO signal queue
(``EVENTUAL_SIGNAL_QUEUE``), which only it may send to and the orchestrator reads:
the orchestrator applies a signal only when the queue's sender declares it, and only
to an execution of the workflow named. Signals are sent once the handler succeeded,
as on the embedded engine; sent again on a redelivery, they are deduplicated (same
run, same n-th signal: same id).

``run_subscription_batch``: each message is an EventBridge event for this function's
subscription. A failing handler is retried by its ``retry`` policy: the message comes
back after the backoff (ChangeMessageVisibility); after the last attempt the function
sends the event to its dead-letter queue with the error as message attributes
(``error``, ``message``, ``subscription``, ``attempts``) and drops it. Events a handler
emits go on the bus at once, checked against their schemas.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from eventual.aws import messages
from eventual.aws.dead_letters import dead_letter
from eventual.aws.deployment import Deployment, log
from eventual.aws.deploys import not_deployed
from eventual.aws.effects import outgoing
from eventual.aws.events import read_event
from eventual.aws.queues import Outgoing, Received, batch_response, received
from eventual.interpreter import signal_payload
from eventual.invoke import run_subscription, run_task, subscription_context, task_context
from eventual.retry import retry_after


def _each(event: Mapping[str, Any], action: Callable[[Received], bool]) -> dict[str, Any]:
    """Runs ``action`` per message; those it reports undone (or that raise) come back."""
    failed = []
    for message in received(event):
        try:
            done = action(message)
        except Exception:  # infrastructure failure: the delivery is retried by SQS
            log.exception("eventual: could not process %s", message.id)
            done = False
        if not done:
            failed.append(message.id)
    return batch_response(failed)


def _publisher(deployment: Deployment) -> Callable[[str, Any], None]:
    def publish(name: str, payload: Any) -> None:
        value = deployment.values.payload(name, payload)
        deployment.bus.put([(name, value)])

    return publish


# tasks ---------------------------------------------------------------------------------


def run_tasks(deployment: Deployment, event: Mapping[str, Any]) -> dict[str, Any]:
    return _each(event, lambda message: _run_task(deployment, message))


def _run_task(deployment: Deployment, message: Received) -> bool:
    body = deployment.queues.body(message)
    name, execution = body["task"], body["execution"]
    handle, attempt = body["handle"], body["attempt"]
    spec = deployment.service.tasks.get(name)
    if spec is None:  # sent before a deploy that removed the task
        answer = messages.task_outcome(body, None, not_deployed(name))
        deployment.queues.send([outgoing(deployment, answer)])
        return True
    signals = _signals(deployment, f"task-{name}", f"{execution}/{handle}/{attempt}")
    ctx = task_context(
        spec, execution, handle, attempt, deployment.clock(), _publisher(deployment),
        _heartbeat(deployment, body), signals.send if signals else None,
    )  # fmt: skip
    outcome = run_task(deployment.values, name, body["input"], ctx)
    if signals is not None and outcome.error is None:
        signals.flush()
    answer = messages.task_outcome(body, outcome.output, outcome.error)
    deployment.queues.send([outgoing(deployment, answer)])
    return True


class _Signals:
    """``ctx.signal`` for one run of ``sender`` (``task-<name>``, ``sub-<name>``; ``run``
    makes its signals' ids): each signal is checked when the handler sends it and sent
    when the handler has succeeded (``flush``), as on the embedded engine."""

    def __init__(self, deployment: Deployment, sender: str, run: str) -> None:
        self.deployment, self.sender, self.run = deployment, sender, run
        self.pending: list[Outgoing] = []

    def send(self, workflow: str, execution_name: str, signal: str, payload: Any) -> None:
        deployment = self.deployment
        execution = deployment.store.named(workflow, execution_name)
        signals = deployment.service.workflows[workflow].signals
        value = signal_payload(workflow, signals, signal, payload, deployment.values.validate)
        dedup = messages.dedup_id(self.run, len(self.pending) + 1, "signal")
        body = {"op": "signal", "id": dedup, "execution": execution, "name": signal,
                "payload": value, "workflow": workflow, "sender": self.sender}  # fmt: skip
        queue = deployment.config.signal_queue
        assert queue is not None, "only a function with a signal queue sends signals"
        self.pending.append(Outgoing(queue, body, execution, dedup))

    def flush(self) -> None:
        if self.pending:
            self.deployment.queues.send(self.pending)
        self.pending = []


def _signals(deployment: Deployment, sender: str, run: str) -> _Signals | None:
    """The signals of a run, or ``None`` for a function that declares none (then
    every ``ctx.signal`` is undeclared)."""
    if deployment.config.signal_queue is None:
        return None
    return _Signals(deployment, sender, run)


def _heartbeat(deployment: Deployment, run: dict[str, Any]) -> Callable[[], None]:
    """Sends heartbeats of task message ``run`` to the orchestrator, at most one a second."""
    execution, handle = run["execution"], run["handle"]
    last = [0.0]

    def beat() -> None:
        moment = time.monotonic()
        if moment - last[0] < 1.0:
            return
        last[0] = moment
        dedup = messages.dedup_id(execution, handle, "heartbeat", time.time_ns())
        letter = messages.answer(execution, "heartbeat", dedup, handle=handle,
                                 attempt=run["attempt"], token=run.get("token"))  # fmt: skip
        deployment.queues.send([outgoing(deployment, letter)])

    return beat


# subscriptions -------------------------------------------------------------------------


def run_subscription_batch(
    deployment: Deployment, event: Mapping[str, Any], rng: random.Random | None = None
) -> dict[str, Any]:
    chosen = rng or random.Random()
    return _each(event, lambda message: _deliver(deployment, message, chosen))


def _deliver(deployment: Deployment, message: Received, rng: random.Random) -> bool:
    name = deployment.config.function
    if name is None:
        raise LookupError("EVENTUAL_FUNCTION names no subscription")
    subscription = deployment.service.subscriptions[name]
    body = deployment.queues.body(message)
    event = read_event(body, deployment.service.name, deployment.payloads)
    publish = _publisher(deployment)
    signals = _signals(deployment, f"sub-{name}", f"{event.meta.id}/{name}")
    send = signals.send if signals else None
    ctx = subscription_context(subscription, event.meta, deployment.clock(), publish, send)
    error = run_subscription(deployment.values, name, event.meta.name, event.payload, ctx)
    if error is None:
        if signals is not None:
            signals.flush()
        return True
    attempt = message.receive_count
    delay = retry_after(subscription.retry, error, attempt, rng)
    if delay is not None:
        deployment.queues.retry_later(message, delay)
        return False
    dead_letter(deployment, name, body, error, attempt)
    return True
