"""The Lambda handlers of a deployed service: ``orchestrator``, ``task``, ``subscription``.

Every function of the generated stack runs one of these (``eventual.aws.entry.<kind>``)
on SQS batches and answers with the messages that failed (ReportBatchItemFailures).
Importing this module costs next to nothing: the runtime, botocore, pydantic and the
service's handlers load on the first event. A container builds one ``Deployment``
from its environment (the ``EVENTUAL_*`` variables, see ``config``) and keeps it, with
its clients and imported code, for the events after. ``deployment=`` gives one
explicitly instead (tests, other clients).
"""

from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventual.aws.deployment import Deployment
    from eventual.aws.orchestrator import Orchestrator

_deployments: dict[tuple[Any, ...], Deployment] = {}
_orchestrators: weakref.WeakKeyDictionary[Deployment, Orchestrator] = weakref.WeakKeyDictionary()


def orchestrator(
    event: dict[str, Any], context: Any = None, *, deployment: Deployment | None = None
) -> dict[str, Any]:
    """The orchestrator, fed by the FIFO queue and the inbox."""
    from eventual.aws.orchestrator import Orchestrator

    chosen = deployment or _from_environment()
    if chosen not in _orchestrators:
        _orchestrators[chosen] = Orchestrator(chosen)
    return _orchestrators[chosen].handle(event)


def task(
    event: dict[str, Any], context: Any = None, *, deployment: Deployment | None = None
) -> dict[str, Any]:
    """A task's function, fed by the task's queue."""
    from eventual.aws.functions import run_tasks

    return run_tasks(deployment or _from_environment(), event)


def subscription(
    event: dict[str, Any], context: Any = None, *, deployment: Deployment | None = None
) -> dict[str, Any]:
    """A handler subscription's function, fed by the subscription's queue."""
    from eventual.aws.functions import run_subscription_batch

    return run_subscription_batch(deployment or _from_environment(), event)


def _from_environment() -> Deployment:
    from eventual.aws.config import Config
    from eventual.aws.deployment import Deployment

    config = Config.from_environment(os.environ)
    key = config.key()
    if key not in _deployments:
        _deployments[key] = Deployment(config)
    return _deployments[key]
