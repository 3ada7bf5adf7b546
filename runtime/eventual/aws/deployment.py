"""``Deployment``: one service as deployed, with everything its functions work through.

It joins the configuration (``Config``: bus, bucket, queues), the service (its
definition and handlers, imported from ``Config.service`` unless given), the AWS
clients (``Clients``, made on first use), the clock, and the adapters built on them:
``payloads``, ``queues``, ``bus``, ``store`` (the state bucket), ``records`` (the
state table), ``schedules`` and ``values``. The
Lambda handlers build one per configuration and keep it for the life of the
container; tests build their own with other clients or another clock.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from eventual.aws.config import Clients, Config, ConfigError, task_queue_url
from eventual.aws.events import Bus
from eventual.aws.payloads import Payloads
from eventual.aws.queues import Queues
from eventual.aws.schedules import ScheduleError, Schedules
from eventual.aws.store import StateStore
from eventual.aws.table import RecordTable
from eventual.invoke import Values
from eventual.service import Service

log = logging.getLogger("eventual.aws")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Deployment:
    def __init__(
        self, config: Config, service: Service | None = None, clients: Clients | None = None,
        clock: Clock = utc_now,
    ) -> None:  # fmt: skip
        self.config = config
        self.clients = clients or Clients()
        self.clock = clock
        self._service = service

    @cached_property
    def service(self) -> Service:
        if self._service is not None:
            return self._service
        found: Any = importlib.import_module(self.config.service)
        service: Service = found.service
        return service

    @cached_property
    def values(self) -> Values:
        return Values(self.service)

    @cached_property
    def payloads(self) -> Payloads:
        return Payloads(lambda: self.clients.s3, self.config.bucket)

    @cached_property
    def queues(self) -> Queues:
        return Queues(self.clients.sqs, self.payloads)

    @cached_property
    def bus(self) -> Bus:
        return Bus(self.clients.events, self.config.bus, self.payloads, self.service.name)

    @cached_property
    def store(self) -> StateStore:
        return StateStore(self.clients.s3, self.config.bucket)

    @cached_property
    def records(self) -> RecordTable:
        table = self.config.state_table
        if table is None:
            raise ConfigError(
                "EVENTUAL_STATE_TABLE is not set: only the orchestrator and the operator's "
                "client reach execution records"
            )
        store, days = self.store, self.config.retention_days
        return RecordTable(self.clients.dynamodb, table, store, days)

    @cached_property
    def schedules(self) -> Schedules:
        config = self.config
        if not (config.schedule_group and config.scheduler_role and config.inbox_arn):
            raise ScheduleError(
                "timers beyond 15 minutes need EVENTUAL_SCHEDULE_GROUP, "
                "EVENTUAL_SCHEDULER_ROLE and EVENTUAL_INBOX_ARN"
            )
        scheduler = self.clients.get("scheduler")
        return Schedules(scheduler, config.schedule_group, config.scheduler_role, config.inbox_arn)

    def task_queue(self, task: str) -> str:
        """The URL of ``task``'s queue, derived from its name (no map in the environment)."""
        if self.config.queue_prefix is None:
            raise LookupError("EVENTUAL_QUEUE_PREFIX is not set: only the orchestrator sends tasks")
        if task not in self.service.tasks:
            raise LookupError(f"task {task!r} is not deployed")
        return task_queue_url(self.config.orchestrator_queue, self.config.queue_prefix, task)
