"""What a service deploys, as data: the rows its generated ``functions.py`` lists.

Names are the spec's; ``construct_id`` names a row's resources (and so their logical
IDs); ``emits`` lists the detail types a function may put on the bus; ``patterns`` are
the EventBridge patterns of a row's rules (``eventual.patterns.rule_pattern``; more
than one when the events do not fit one pattern, ``eventualc.deploy.quotas``); ``group``
0 keeps a function in the service's stack, n puts it in nested stack ``Functions<n>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Pattern = dict[str, Any] | str  # a string when the pattern holds null (CloudFormation's rule)


@dataclass(frozen=True)
class TaskFunction:
    """A task's function, fed by its own queue (``<construct_id>Queue``)."""

    name: str
    construct_id: str
    timeout: int  # seconds
    memory: int  # MB
    emits: tuple[str, ...]
    group: int
    signals: tuple[str, ...] = ()  # ``workflow.signal`` its ctx.signal may send


@dataclass(frozen=True)
class SubscriptionFunction:
    """A handler subscription's function, fed by its rule through its own queue."""

    name: str
    construct_id: str
    timeout: int  # seconds, per delivery
    memory: int  # MB
    emits: tuple[str, ...]
    attempts: int  # deliveries before the function dead-letters an event
    patterns: tuple[Pattern, ...]
    group: int
    signals: tuple[str, ...] = ()  # ``workflow.signal`` its ctx.signal may send


@dataclass(frozen=True)
class WorkflowStart:
    """A declarative subscription: its rule sends events to the orchestrator's inbox.
    With ``waits``, the rule of the events ``wait_for_event`` steps wait for instead:
    it sends each as ``{"kind": "waited", "event": ...}``, for the executions that may
    wait for it (``eventual.aws.waits``)."""

    name: str
    construct_id: str
    patterns: tuple[Pattern, ...]
    waits: bool = False
    signal: bool = False  # it signals a running execution (else it starts one)


@dataclass(frozen=True)
class Forward:
    """Another service of the build, subscribed to events put on this one's bus."""

    service: str
    construct_id: str
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class ServiceTables:
    """Everything ``ServiceConstruct`` builds for one service, and where its code is."""

    service: str  # the spec's service name
    package: str  # the generated service package, as the functions import it
    orchestrator_emits: tuple[str, ...]
    tasks: tuple[TaskFunction, ...]
    subscriptions: tuple[SubscriptionFunction, ...]
    starts: tuple[WorkflowStart, ...]
    forwards: tuple[Forward, ...]
