"""The IR: what ``lower`` produces and every later stage reads.

Data only: frozen dataclasses and tuples, names final (``python_name`` decided here
once), defaults applied, durations in seconds. JSON Schemas are plain dicts in which
shorthands are expanded and file references inlined; ``#/types/<Name>`` and
``#/events/<Name>`` references stay as references. Templates keep their YAML value;
``path`` fields locate anything in the merged service (see ``Service.locations``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventualc.frontend.source import Locations, PathKey

JsonSchema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Retry:
    attempts: int
    backoff: float
    multiplier: float = 2.0
    max_backoff: float | None = None
    jitter: str = "none"
    errors: tuple[str, ...] | None = None
    except_: tuple[str, ...] | None = None  # ``except``: a deny-list
    path: PathKey | None = None


NO_RETRY = Retry(attempts=1, backoff=0.0)
SUBSCRIPTION_RETRY = Retry(attempts=3, backoff=1.0)


@dataclass(frozen=True, slots=True)
class SignalRef:
    """A signal a handler may send, written ``workflow.signal`` (own service's workflow)."""

    workflow: str
    name: str
    path: PathKey

    @property
    def qualified(self) -> str:
        return f"{self.workflow}.{self.name}"


@dataclass(frozen=True, slots=True)
class EventRef:
    """An event as written (``OrderCreated`` or ``billing.InvoicePaid``), resolved."""

    service: str
    name: str
    path: PathKey

    @property
    def qualified(self) -> str:
        return f"{self.service}.{self.name}"


@dataclass(frozen=True, slots=True)
class TypeDef:
    name: str
    schema: JsonSchema
    description: str
    path: PathKey


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    schema: JsonSchema
    description: str
    examples: tuple[Any, ...]
    path: PathKey


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    python_name: str
    description: str
    input: JsonSchema
    output: JsonSchema
    timeout: float
    heartbeat: float | None
    retry: tuple[Retry, ...]  # first match wins
    emits: tuple[EventRef, ...]
    memory: int
    path: PathKey
    signals: tuple[SignalRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    python_name: str
    description: str
    events: tuple[EventRef, ...]
    filter: dict[str, Any] | None
    emits: tuple[EventRef, ...]
    retry: tuple[Retry, ...]  # first match wins, counting the delivery's attempts
    timeout: float
    memory: int
    workflow: str | None
    input: Template | None
    execution_name: Template | None
    path: PathKey
    signal: str | None = None  # ``signal:``: sends it to ``workflow``, payload ``input``
    signals: tuple[SignalRef, ...] = ()
    mixed: tuple[str, ...] = ()  # keys of a second role (handler, start, signal): E111

    @property
    def workflow_path(self) -> PathKey:
        """Where ``workflow`` is written: under ``signal:`` for a declarative signal."""
        return (*self.path, "signal", "workflow") if self.signal else (*self.path, "workflow")


@dataclass(frozen=True, slots=True)
class Template:
    """A YAML value whose strings may hold ``${{ }}``; ``path`` locates it."""

    value: Any
    path: PathKey


@dataclass(frozen=True, slots=True)
class Catch:
    errors: tuple[str, ...]
    var: str
    steps: tuple[Step, ...]
    path: PathKey


@dataclass(frozen=True, slots=True)
class Step:
    """One step. ``kind`` is the kind key; kind-specific fields are ``None`` elsewhere.

    ``target`` names the task, workflow, event (``EventRef``) or signal; ``expr`` is
    the kind's template (``if``/``for_each``/``sleep``/``sleep_until`` expressions,
    ``input``, ``payload``, ``return`` value, ``fail`` message); ``blocks`` holds
    nested step lists by name (``then``/``else``, parallel branches, ``steps``/``try``).
    """

    kind: str
    id: str | None
    path: PathKey
    target: str | EventRef | None = None
    expr: Template | None = None
    duration: float | None = None
    timeout: float | None = None
    retry: tuple[Retry, ...] | None = None  # first match wins
    blocks: tuple[tuple[str, tuple[Step, ...]], ...] = ()
    catch: tuple[Catch, ...] = ()
    compensate: tuple[Step, ...] = ()
    compensate_on_failure: bool = False
    assignments: tuple[tuple[str, Template], ...] = ()
    var: str | None = None
    concurrency: int | None = None
    error: str | None = None
    signals: tuple[str, ...] = ()  # wait_for_signal on a list (``target`` is then None)
    timeout_expr: Template | None = None  # a ``timeout`` written as a template
    max_iterations: int | None = None  # ``while``
    filter: dict[str, Any] | None = None  # wait_for_event: an EventBridge detail filter

    def block(self, name: str) -> tuple[Step, ...]:
        return dict(self.blocks).get(name, ())


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    schema: JsonSchema
    path: PathKey


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    python_name: str
    description: str
    input: JsonSchema
    output: JsonSchema | None
    timeout: float | None
    signals: tuple[Signal, ...]
    steps: tuple[Step, ...]
    path: PathKey
    queries: tuple[tuple[str, Template], ...] = ()  # name -> template, as written


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    description: str
    types: tuple[TypeDef, ...]
    events: tuple[Event, ...]
    tasks: tuple[Task, ...]
    workflows: tuple[Workflow, ...]
    subscriptions: tuple[Subscription, ...]
    files: tuple[str, ...]
    locations: Locations = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Build:
    """Every service of one build, sorted by name."""

    services: tuple[Service, ...]

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)
