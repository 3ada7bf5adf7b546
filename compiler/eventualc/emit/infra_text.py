"""Texts of the CDK app's small modules, and Python literals of JSON data.

``FUNCTIONS_HEAD``/``FUNCTIONS_TAIL`` (``emit.stack`` writes the tables between them),
``CONSTRUCT``, ``STACK`` and ``APP`` are ``str.format`` templates of ``functions.py``,
``construct.py``, ``stack.py`` and ``app.py``. ``literal`` writes the tables' values:
JSON data and tuples as Python literals, strings JSON-escaped so that no spec text can
end a literal early.
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
"""What the {service} service deploys, as data: ``construct.py`` builds it from ``TABLES``.

The row types are ``eventualc.cdk.tables``'s: ``construct_id`` names a row's resources
(and so their logical IDs), ``emits`` lists the detail types a function may put on the
bus, ``patterns`` are the EventBridge patterns of a row's rules (``eventual.patterns``;
more than one when the events do not fit one pattern), ``group``
0 keeps a function in the service's stack and n puts it in nested stack ``Functions<n>``.
"""

from __future__ import annotations

from eventualc.cdk import (
    Forward,
    ServiceTables,
    SubscriptionFunction,
    TaskFunction,
    WorkflowStart,
)

'''

FUNCTIONS_TAIL = """
TABLES = ServiceTables(
    service=SERVICE,
    package=__name__.rsplit(".", 2)[0],  # the service package, as the functions import it
    orchestrator_emits=ORCHESTRATOR_EMITS,
    tasks=TASKS,
    subscriptions=SUBSCRIPTIONS,
    starts=STARTS,
    forwards=FORWARDS,
)
"""

CONSTRUCT = '''{header}
"""The {service} service on AWS, as one CDK construct: ``{name}Service``.

``eventualc.cdk.ServiceConstruct`` builds it from the tables of ``functions.py``: the
bus, the state bucket, the orchestrator with its queues, a function and queue per task,
a rule, queue and function per handler subscription, each queue with its dead-letter
queue, least-privilege roles. Embed it in any CDK app, or deploy ``{name}Stack``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from eventualc.cdk import ServiceConstruct

from .functions import TABLES


class {name}Service(ServiceConstruct):
    """Every AWS resource of the {service} service (see ``ServiceConstruct``, whose
    other options ``options`` passes on: alarm topic, retentions, concurrency)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        architecture: lambda_.Architecture | None = None,
        asset: str | None = None,
        bus_name: str | None = None,
        peer_buses: Mapping[str, events.IEventBus] | None = None,
        queue_prefix: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            TABLES,
            out=Path(__file__).resolve().parents[2],
            architecture=architecture,
            asset=asset,
            bus_name=bus_name,
            peer_buses=peer_buses,
            queue_prefix=queue_prefix,
            **options,
        )
'''


STACK = '''{header}
"""The {service} service as a stack: the construct, its outputs, readable logical IDs.

The bus is named after the stack, so that the services it forwards events to are
found by their stack names alone: no exports, no deployment order; the task queues'
names start with it too. Outputs:
``BusName``, ``BucketName``, ``OrchestratorQueueUrl``, ``InboxQueueUrl`` and
``DeadLetterQueues`` (JSON: subscription -> queue URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct
from eventualc.cdk import LogicalIds

from .construct import {name}Service
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
            self,
            "Service",
            bus_name=self.stack_name,
            peer_buses=peers,
            queue_prefix=self.stack_name,
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
