"""The task and subscription functions: user handlers run on SQS deliveries.

``run_tasks``: each message asks for one attempt of a task. The handler runs with a
``TaskContext`` (its idempotency key ``<execution>/<handle>/<attempt>`` is the same on
every delivery of that attempt) and its output or error goes to the orchestrator's
results queue (FIFO) in the execution's group, deduplicated by that key, with the
token the task message carried: the orchestrator takes an answer only for the run it
issued, and a task can send nothing else (no start, signal or cancel). A handler's failure is
an answer (the workflow's retry policy decides); only failing to answer leaves the
message to come back.

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
from eventual.aws.deployment import Deployment, log
from eventual.aws.deploys import not_deployed
from eventual.aws.effects import outgoing
from eventual.aws.events import read_event
from eventual.aws.queues import Outgoing, Received, batch_response, received
from eventual.context import SubscriptionContext
from eventual.invoke import emitter, run_subscription, run_task, task_context
from eventual.retry import retry_after

MESSAGE_LIMIT = 4000  # characters of an error message kept on a dead letter


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
    ctx = task_context(
        spec, execution, handle, attempt, deployment.clock(), _publisher(deployment),
        _heartbeat(deployment, body),
    )  # fmt: skip
    outcome = run_task(deployment.values, name, body["input"], ctx)
    answer = messages.task_outcome(body, outcome.output, outcome.error)
    deployment.queues.send([outgoing(deployment, answer)])
    return True


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
    ctx = SubscriptionContext(
        event.meta.id, event.meta, deployment.clock(), emitter(subscription.emits, publish)
    )
    error = run_subscription(deployment.values, name, event.meta.name, event.payload, ctx)
    if error is None:
        return True
    attempt = message.receive_count
    delay = retry_after(subscription.retry, error, attempt, rng)
    if delay is not None:
        deployment.queues.retry_later(message, delay)
        return False
    _dead_letter(deployment, name, body, error, attempt)
    return True


def _dead_letter(
    deployment: Deployment, subscription: str, body: Any, error: dict[str, str], attempts: int
) -> None:
    queue = deployment.config.dead_letter_queue
    if queue is None:
        raise LookupError("EVENTUAL_DEAD_LETTER_QUEUE is not set")
    attributes = {
        "error": error["error"], "message": error["message"][:MESSAGE_LIMIT],
        "subscription": subscription, "attempts": str(attempts),
    }  # fmt: skip
    deployment.queues.send([Outgoing(queue, body, attributes=attributes)])
