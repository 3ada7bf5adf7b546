"""The generic halves of every generated ``<svc>/infra/`` app: its construct, stack and app.

A service's generated ``construct.py``, ``stack.py`` and ``app.py`` only name what is
the service's own; the rest is here, the same for every service:

- ``GeneratedService``: a ``ServiceConstruct`` whose tables are the class attribute
  ``TABLES`` (the generated ``functions.py``) and whose output folder is the one
  holding the subclass's package (``generated/``, for the functions' asset);
- ``ServiceStack``: a stack holding one ``SERVICE`` construct (id ``Service``), its bus
  named after the stack so that the services it forwards events to are found by their
  stack names alone (``PEERS``, overridable per instance with ``peer_stacks``),
  its task queues' names starting with it too, resources' logical IDs made of their
  construct ids, and the outputs ``BusName``, ``BucketName``, ``StateTableName``,
  ``OrchestratorQueueUrl``, ``InboxQueueUrl`` and ``DeadLetterQueues`` (JSON:
  subscription -> queue URL);
- ``run_app(app_file)``: the CDK app of the service whose ``infra/app.py`` is
  ``app_file``: imports its package from the project root and synthesizes its stack.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct

from eventualc.cdk.construct import LogicalIds, ServiceConstruct
from eventualc.cdk.tables import ServiceTables


class GeneratedService(ServiceConstruct):
    """A service's construct built from ``TABLES``; ``options`` are ``ServiceConstruct``'s
    (architecture, asset, bus name, peer buses, queue prefix, alarm topic, retentions,
    concurrency). The output folder is the one holding the package of the class that
    sets ``TABLES`` (the generated ``<svc>/infra/construct.py``), however subclassed."""

    TABLES: ClassVar[ServiceTables]

    def __init__(self, scope: Construct, construct_id: str, **options: Any) -> None:
        generated = next(c for c in type(self).__mro__ if "TABLES" in vars(c))
        module = sys.modules[generated.__module__]
        out = Path(str(module.__file__)).resolve().parents[2]
        super().__init__(scope, construct_id, self.TABLES, out=out, **options)


class ServiceStack(cdk.Stack):
    """The service ``SERVICE`` as a stack; its resources' logical IDs are their
    construct ids."""

    SERVICE: ClassVar[type[GeneratedService]]
    # The stacks (and so the buses) of the services this one forwards events to.
    PEERS: ClassVar[Mapping[str, str]]

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
        stacks = {**self.PEERS, **(peer_stacks or {})}
        peers = {
            row.service: events.EventBus.from_event_bus_name(
                self, f"{row.construct_id}Bus", stacks[row.service]
            )
            for row in self.SERVICE.TABLES.forwards
        }
        self.service = self.SERVICE(
            self,
            "Service",
            bus_name=self.stack_name,
            peer_buses=peers,
            queue_prefix=self.stack_name,
        )
        self._add_outputs(self.service)

    def _add_outputs(self, service: ServiceConstruct) -> None:
        cdk.CfnOutput(self, "BusName", value=service.bus.event_bus_name)
        cdk.CfnOutput(self, "BucketName", value=service.bucket.bucket_name)
        cdk.CfnOutput(self, "StateTableName", value=service.table.table_name)
        cdk.CfnOutput(self, "OrchestratorQueueUrl", value=service.orchestrator_queue.queue_url)
        cdk.CfnOutput(self, "InboxQueueUrl", value=service.inbox.queue_url)
        dead_letters = {name: q.queue_url for name, q in service.dead_letter_queues.items()}
        cdk.CfnOutput(self, "DeadLetterQueues", value=self.to_json_string(dead_letters))

    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        return self.logical_ids.allocate(cfn_element)


def run_app(app_file: str) -> None:
    """Synthesize the stack of the service whose ``infra/app.py`` is ``app_file``; the
    service package is imported from the project root, as the functions import it."""
    infra = Path(app_file).resolve().parent
    sys.path.insert(0, str(infra.parents[2]))
    package = f"{infra.parents[1].name}.{infra.parent.name}"
    stack = importlib.import_module(f"{package}.infra.stack")
    app = cdk.App()
    stack.add_stack(app)
    app.synth()
