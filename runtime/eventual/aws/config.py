"""Where a deployed service's resources are (``Config``) and the AWS clients that reach
them (``Clients``).

``Config.from_environment`` reads the variables the generated stack gives every
function: ``EVENTUAL_SERVICE`` (the service package, e.g. ``generated.orders``),
``EVENTUAL_BUS``, ``EVENTUAL_BUCKET``, ``EVENTUAL_ORCHESTRATOR_QUEUE`` (FIFO queue URL),
``EVENTUAL_INBOX_QUEUE``; task and subscription functions also ``EVENTUAL_FUNCTION``,
subscription functions ``EVENTUAL_DEAD_LETTER_QUEUE``, the orchestrator
``EVENTUAL_QUEUE_PREFIX`` and, for timers beyond 15 minutes, ``EVENTUAL_SCHEDULE_GROUP``,
``EVENTUAL_SCHEDULER_ROLE`` (ARN) and ``EVENTUAL_INBOX_ARN``; tasks and the orchestrator
``EVENTUAL_RESULTS_QUEUE`` (the FIFO queue of tasks' answers); the orchestrator
``EVENTUAL_STATE_TABLE`` (the DynamoDB table of execution records, ``eventual.aws.table``)
and ``EVENTUAL_RETENTION_DAYS`` (how long a finished execution's record stays; default
90); a task or subscription
that declares ``signals`` ``EVENTUAL_SIGNAL_QUEUE`` (its own FIFO queue of signals,
``signal_queue_name``). A missing variable raises ``ConfigError`` naming it.

No variable maps names to resources (Lambda caps a function's environment at 4 KB):
task queues have predictable names, ``task_queue_name(prefix, task)``, in the account
and region of the orchestrator's queue, so ``task_queue_url`` derives their URLs from
it. The stack names the queues with the same function.

``Clients`` makes each AWS client on first use through a factory, so tests and the
operator client point them wherever they need (a moto server, another region) without
patching; botocore is imported only then (boto3 never: the runtime uses no part of
it that botocore lacks). A botocore older than ``BOTOCORE_FLOOR`` is refused then, with
``BotocoreTooOld``: S3's conditional writes, which keep payloads and history chunks
from being written over, are ignored by an older one (the asset eventualc builds
bundles a newer one; a function on Lambda's built-in SDK may have an older one).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ClientFactory = Callable[[str], Any]  # AWS service name ("s3", "sqs", ...) -> botocore client

_REQUIRED = {
    "service": "EVENTUAL_SERVICE",
    "bus": "EVENTUAL_BUS",
    "bucket": "EVENTUAL_BUCKET",
    "orchestrator_queue": "EVENTUAL_ORCHESTRATOR_QUEUE",
    "inbox_queue": "EVENTUAL_INBOX_QUEUE",
}


RETENTION_DAYS = 90  # a finished execution's record, unless EVENTUAL_RETENTION_DAYS says


BOTOCORE_FLOOR = (1, 35, 70)  # the first with S3 PutObject's IfMatch / IfNoneMatch


class ConfigError(RuntimeError):
    """The function's environment lacks a variable the runtime needs."""


class BotocoreTooOld(RuntimeError):
    """The botocore found cannot make the conditional writes the runtime relies on."""


def check_botocore(version: str) -> None:
    """Raises ``BotocoreTooOld`` for a botocore ``version`` before ``BOTOCORE_FLOOR``."""
    parts = [int(part) for part in re.findall(r"\d+", version)[:3]]
    if tuple(parts) < BOTOCORE_FLOOR:
        floor = ".".join(map(str, BOTOCORE_FLOOR))
        raise BotocoreTooOld(
            f"botocore {version} is too old for eventual.aws: S3's conditional writes need "
            f"botocore >= {floor}; deploy the asset eventualc builds (it bundles one) or "
            "add a newer botocore to the function"
        )


def _days(raw: str | None) -> int:
    if not raw:
        return RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"EVENTUAL_RETENTION_DAYS must be a whole number of days, not {raw!r}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Config:
    service: str  # the generated service package
    bus: str
    bucket: str
    orchestrator_queue: str
    inbox_queue: str
    function: str | None = None  # the task or subscription this function runs
    dead_letter_queue: str | None = None
    queue_prefix: str | None = None  # of the task queues' names (see task_queue_name)
    schedule_group: str | None = None
    scheduler_role: str | None = None
    inbox_arn: str | None = None
    results_queue: str | None = None  # FIFO: tasks' answers
    signal_queue: str | None = None  # FIFO: the signals this task or subscription sends
    state_table: str | None = None  # DynamoDB: execution records (the orchestrator's)
    retention_days: int = RETENTION_DAYS  # of a finished execution's record

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Config:
        missing = sorted(name for name in _REQUIRED.values() if not environ.get(name))
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            **{key: environ[name] for key, name in _REQUIRED.items()},
            function=environ.get("EVENTUAL_FUNCTION") or None,
            dead_letter_queue=environ.get("EVENTUAL_DEAD_LETTER_QUEUE") or None,
            queue_prefix=environ.get("EVENTUAL_QUEUE_PREFIX") or None,
            schedule_group=environ.get("EVENTUAL_SCHEDULE_GROUP") or None,
            scheduler_role=environ.get("EVENTUAL_SCHEDULER_ROLE") or None,
            inbox_arn=environ.get("EVENTUAL_INBOX_ARN") or None,
            results_queue=environ.get("EVENTUAL_RESULTS_QUEUE") or None,
            signal_queue=environ.get("EVENTUAL_SIGNAL_QUEUE") or None,
            state_table=environ.get("EVENTUAL_STATE_TABLE") or None,
            retention_days=_days(environ.get("EVENTUAL_RETENTION_DAYS")),
        )

    def key(self) -> tuple[Any, ...]:
        """A hashable identity, for caching what is built from this configuration."""
        return (*(getattr(self, name) for name in _REQUIRED), self.function,
                self.dead_letter_queue, self.queue_prefix, self.schedule_group,
                self.scheduler_role, self.inbox_arn, self.results_queue,
                self.signal_queue, self.state_table, self.retention_days)  # fmt: skip


QUEUE_NAME_LIMIT = 80  # characters of an SQS queue name
PREFIX_LIMIT = 40  # leaves a task name at least 34 characters of a queue name


def queue_prefix(raw: str) -> str:
    """``raw`` (e.g. a stack name) as a prefix of queue names: only the characters SQS
    allows, and at most ``PREFIX_LIMIT`` of them (a longer one keeps its start and a
    hash of the whole, so prefixes stay distinct)."""
    prefix = re.sub("[^A-Za-z0-9_-]", "-", raw)
    if len(prefix) <= PREFIX_LIMIT:
        return prefix
    return f"{prefix[: PREFIX_LIMIT - 9]}-{_digest(prefix)}"


def task_queue_name(prefix: str, task: str) -> str:
    """The name of the queue of ``task``: ``<prefix>-task-<task>``, its task part
    shortened with a hash when the whole would pass SQS's 80 characters."""
    name = f"{prefix}-task-{task}"
    if len(name) <= QUEUE_NAME_LIMIT:
        return name
    return f"{name[: QUEUE_NAME_LIMIT - 9]}-{_digest(name)}"


def signal_queue_name(prefix: str, sender: str) -> str:
    """The name of the FIFO queue through which ``sender`` (``task-<name>`` or
    ``sub-<name>``) sends the signals it declares: only it may send there, so the
    orchestrator knows who sent a signal by the queue it came from."""
    name = f"{prefix}-signals-{sender}"
    if len(name) + len(".fifo") > QUEUE_NAME_LIMIT:
        name = f"{name[: QUEUE_NAME_LIMIT - 14]}-{_digest(name)}"
    return f"{name}.fifo"


def task_queue_url(sibling: str, prefix: str, task: str) -> str:
    """The URL of ``task``'s queue, from the URL of a queue in the same account and
    region (``https://sqs.<region>.amazonaws.com/<account>/<name>``)."""
    return f"{sibling.rsplit('/', 1)[0]}/{task_queue_name(prefix, task)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def boto3_clients(
    region: str | None = None, endpoint_url: str | None = None, session: Any = None
) -> ClientFactory:
    """A factory of AWS clients (standard retry mode), made by botocore, boto3's core:
    boto3 itself (and s3transfer, half of its import time) is never imported.
    ``session`` is a ``botocore.session.Session`` (say, with other credentials); by
    default one is made on first use and shared by the factory's clients. ``None``
    arguments leave the choice to the usual sources (``AWS_REGION``,
    ``AWS_ENDPOINT_URL``, profiles), as boto3 does."""
    made: list[Any] = [session] if session is not None else []
    lock = threading.Lock()  # a botocore session makes one client at a time

    def make(name: str) -> Any:
        from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]

        with lock:
            if not made:
                import botocore  # type: ignore[import-untyped]
                import botocore.session  # type: ignore[import-untyped]

                check_botocore(botocore.__version__)
                made.append(botocore.session.Session())
            config = BotoConfig(retries={"mode": "standard"}, connect_timeout=5, read_timeout=30)
            return made[0].create_client(
                name, region_name=region, endpoint_url=endpoint_url, config=config
            )

    return make


class Clients:
    """AWS clients by service name, each made once, on first use."""

    def __init__(self, factory: ClientFactory | None = None) -> None:
        self._factory = factory or boto3_clients()
        self._made: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._factory(name)
        return self._made[name]

    @property
    def s3(self) -> Any:
        return self.get("s3")

    @property
    def sqs(self) -> Any:
        return self.get("sqs")

    @property
    def events(self) -> Any:
        return self.get("events")

    @property
    def dynamodb(self) -> Any:
        return self.get("dynamodb")
