"""Texts of the CDK app's small modules, and Python literals of JSON data.

``FUNCTIONS_HEAD``, ``STACK`` and ``APP`` are ``str.format`` templates of
``functions.py`` (its dataclasses; ``emit.stack`` appends the tables), ``stack.py`` and
``app.py``. ``literal`` writes the tables' values: JSON data and tuples as Python
literals, strings JSON-escaped so that no spec text can end a literal early.
"""

from __future__ import annotations

import json
from typing import Any


def literal(value: Any, indent: int, lead: int = 0) -> str:
    """``value`` (JSON data, tuples) as a Python literal starting ``lead`` characters
    into a line indented ``indent``; a container too long for the line is split one
    item a line, black's way. Strings are JSON-escaped, so spec text stays inert."""
    one_line = flat(value)
    if (
        indent + lead + len(one_line) <= 96
        or not isinstance(value, dict | list | tuple)
        or not value
    ):
        return one_line
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{flat(k)}: {literal(v, indent + 4, len(flat(k)) + 2)}" for k, v in value.items()]
    else:
        items = [literal(v, indent + 4) for v in value]
    brackets = {dict: "{}", list: "[]", tuple: "()"}[type(value)]
    opening, closing = brackets[0], brackets[1]
    body = "".join(f"{pad}{item},\n" for item in items)
    return f"{opening}\n{body}{' ' * indent}{closing}"


def flat(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flat(k)}: {flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(flat(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


FUNCTIONS_HEAD = '''{header}
"""What the {service} service deploys, as data: ``construct.py`` loops over these tables.

Names are the spec's; ``construct_id`` names a row's resources (and so their logical
IDs); ``emits`` lists the detail types a function may put on the bus; a ``pattern``
is the EventBridge rule pattern built by ``eventual.patterns.rule_pattern``; ``group``
0 keeps a function in the service's stack, n puts it in nested stack ``Functions<n>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskFunction:
    """A task's function, fed by its own queue (``<construct_id>Queue``)."""

    name: str
    construct_id: str
    timeout: int  # seconds
    memory: int  # MB
    emits: tuple[str, ...]
    group: int


@dataclass(frozen=True)
class SubscriptionFunction:
    """A handler subscription's function, fed by its rule through its own queue."""

    name: str
    construct_id: str
    timeout: int  # seconds, per delivery
    memory: int  # MB
    emits: tuple[str, ...]
    attempts: int  # deliveries before the function dead-letters an event
    pattern: dict[str, Any] | str  # a string when the pattern holds null
    group: int


@dataclass(frozen=True)
class WorkflowStart:
    """A declarative subscription: its rule sends events to the orchestrator's inbox."""

    name: str
    construct_id: str
    pattern: dict[str, Any] | str


@dataclass(frozen=True)
class Forward:
    """Another service of the build, subscribed to events put on this one's bus."""

    service: str
    construct_id: str
    pattern: dict[str, Any]


'''


STACK = '''{header}
"""The {service} service as a stack: the construct, its outputs, readable logical IDs.

The bus is named after the stack, so that the services it forwards events to are
found by their stack names alone: no exports, no deployment order. Outputs:
``BusName``, ``BucketName``, ``OrchestratorQueueUrl``, ``InboxQueueUrl`` and
``DeadLetterQueues`` (JSON: subscription -> queue URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct

from .construct import {construct_imports}
from .functions import FORWARDS

STACK_NAME = "{stack_name}"
# The stacks (and so the buses) of the services this one forwards events to.
PEER_STACKS: dict[str, str] = {peers}


class {name}Stack(cdk.Stack):
    """The {service} service; its resources' logical IDs are their construct ids."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        peer_stacks: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.logical_ids = LogicalIds(inside="Service")
        stacks = {{**PEER_STACKS, **(peer_stacks or {{}})}}
        peers = {{
            row.service: events.EventBus.from_event_bus_name(
                self, f"{{row.construct_id}}Bus", stacks[row.service]
            )
            for row in FORWARDS
        }}
        self.service = {name}Service(
            self, "Service", bus_name=self.stack_name, peer_buses=peers
        )
        service = self.service
        cdk.CfnOutput(self, "BusName", value=service.bus.event_bus_name)
        cdk.CfnOutput(self, "BucketName", value=service.bucket.bucket_name)
        cdk.CfnOutput(self, "OrchestratorQueueUrl", value=service.orchestrator_queue.queue_url)
        cdk.CfnOutput(self, "InboxQueueUrl", value=service.inbox.queue_url)
        dead_letters = {{name: q.queue_url for name, q in service.dead_letter_queues.items()}}
        cdk.CfnOutput(self, "DeadLetterQueues", value=self.to_json_string(dead_letters))

    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        return self.logical_ids.allocate(cfn_element)


def add_stack(app: cdk.App) -> {name}Stack:
    """This service's stack in ``app``, named ``{stack_name}``."""
    return {name}Stack(app, STACK_NAME, description="The {service} service (eventualc)")
'''

APP = '''{header}
"""The CDK app of the {service} service: run ``cdk deploy`` (or ``cdk synth``) here.

The service package is imported from the project root, as the functions import it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import aws_cdk as cdk


def main() -> None:
    infra = Path(__file__).resolve().parent
    sys.path.insert(0, str(infra.parents[2]))
    package = f"{{infra.parents[1].name}}.{{infra.parent.name}}"
    stack = importlib.import_module(f"{{package}}.infra.stack")
    app = cdk.App()
    stack.add_stack(app)
    app.synth()


if __name__ == "__main__":
    main()
'''
