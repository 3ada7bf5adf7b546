"""``Client``: operating a deployed service from anywhere with AWS credentials.

``Client(stack_name, region=None, endpoint_url=None, service=None)`` finds the
service's resources in its CloudFormation stack outputs (``BusName``, ``BucketName``,
``StateTableName``, ``OrchestratorQueueUrl``, ``InboxQueueUrl``, ``DeadLetterQueues``)
and offers what the embedded engine offers, with the same shapes: ``start`` (an id), ``get`` /
``execution`` and ``list`` / ``executions`` (``eventual.engine.ExecutionView``),
``history`` (entries as dicts), ``signal``, ``cancel``, ``publish`` (an event id),
``dead_letters`` and ``redrive`` (``dead_letters``).
An execution is found by its id or its name.

With ``service`` (the generated package's ``service``) names and payloads are checked
here before anything is sent; without it, names are checked against the definition
the orchestrator stored, and payloads by the orchestrator (a start whose input does
not fit ends FAILED with ``ValidationError``). Everything that goes wrong, from an
unknown name to a missing stack or credentials, raises ``RequestError`` (an
``EngineError``, so the command line treats both runtimes alike).

An execution appears once the orchestrator has taken its start, usually within a
second of ``start``.
"""

from __future__ import annotations

import builtins
import functools
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ParamSpec, TypeVar

from eventual.aws import messages
from eventual.aws.config import Clients, Config, boto3_clients
from eventual.aws.dead_letters import DeadLetters
from eventual.aws.deployment import Deployment
from eventual.aws.effects import carry_out
from eventual.aws.events import Bus
from eventual.aws.record import ExecutionRecord
from eventual.aws.store import definition_key, history_key
from eventual.aws.waits import markers
from eventual.definition import Definition
from eventual.engine import DeadLetterView, EngineError, ExecutionView
from eventual.errors import PayloadInvalid
from eventual.interpreter import SignalRefused, signal_payload
from eventual.invoke import new_execution_id
from eventual.operations import Operations
from eventual.queries import answer
from eventual.service import Service
from eventual.state import loads
from eventual.status import ExecutionStatus

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Summary:
    """An execution's record as read without rebuilding its state (see ``record``)."""

    view: ExecutionView
    definition: str  # the version of the service definition it runs on
    chunks: int
    pending: builtins.list[dict[str, Any]]
    effects: builtins.list[dict[str, Any]]

    @classmethod
    def of(cls, text: str) -> Summary:
        data = loads(text)
        parent = data["parent"]
        view = ExecutionView(
            data["id"], data["name"], data["service"], data["workflow"],
            ExecutionStatus(data["status"]), data["result"], data["error"], data["started"],
            data["ended"], parent["id"] if parent else None,
        )  # fmt: skip
        history = data["history"]
        return cls(view, data["definition"], history["chunks"], history["pending"],
                   data["outbox"]["effects"])  # fmt: skip


class RequestError(EngineError):
    """A request the deployed service cannot carry out, or AWS refused."""


def _requests(method: Callable[P, R]) -> Callable[P, R]:
    """AWS and botocore failures as ``RequestError``, with their own message."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except RequestError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("botocore", "boto3"):
                raise RequestError(str(exc)) from exc
            raise

    return wrapper


class Client:
    def __init__(
        self, stack_name: str, region: str | None = None, endpoint_url: str | None = None, *,
        service: Service | None = None, clients: Clients | None = None,
    ) -> None:  # fmt: skip
        self.stack_name = stack_name
        self.service = service
        self.clients = clients or Clients(boto3_clients(region, endpoint_url))
        self._stored: Definition | None = None

    @cached_property
    def deployment(self) -> Deployment:
        outputs = self._outputs()
        needed = ("BusName", "BucketName", "StateTableName", "OrchestratorQueueUrl",
                  "InboxQueueUrl")  # fmt: skip
        missing = [key for key in needed if key not in outputs]
        if missing:
            raise RequestError(f"stack {self.stack_name!r} lacks outputs {', '.join(missing)}")
        config = Config(
            self.service.package if self.service else "", outputs["BusName"],
            outputs["BucketName"], outputs["OrchestratorQueueUrl"], outputs["InboxQueueUrl"],
            state_table=outputs["StateTableName"],
        )  # fmt: skip
        return Deployment(config, self.service, self.clients)

    def _outputs(self) -> dict[str, str]:
        cloudformation = self.clients.get("cloudformation")
        try:
            stacks = cloudformation.describe_stacks(StackName=self.stack_name)["Stacks"]
        except Exception as exc:
            raise RequestError(f"stack {self.stack_name!r}: {exc}") from exc
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    # names -------------------------------------------------------------------------------

    @property
    def _definition(self) -> Definition | None:
        """The service's definition: the given service's, else the newest stored (none
        before the orchestrator has taken a first start)."""
        if self.service is not None:
            return self.service.definition
        if self._stored is None:
            key = self.deployment.store.newest("definitions/")
            found = self.deployment.store.read(key) if key else None
            self._stored = Definition.loads(found.text) if found else None
        return self._stored

    @_requests
    def workflow(self, name: str) -> tuple[str, str]:
        """``(service, workflow)`` of ``name`` or ``service.name``."""
        return self._find(name, "workflows", "workflow")

    @_requests
    def event(self, name: str) -> tuple[str, str]:
        """``(service, event)`` of ``Name`` or ``service.Name``."""
        return self._find(name, "events", "event")

    def _find(self, name: str, kind: str, what: str) -> tuple[str, str]:
        definition = self._definition
        if definition is None:
            raise RequestError(f"cannot check {what} {name!r}: give the service's specs")
        service, _, bare = name.rpartition(".")
        if service and service != definition.service and kind == "workflows":
            raise RequestError(f"stack {self.stack_name!r} runs service {definition.service!r}")
        if kind == "events" and service and service != definition.service:
            return service, bare  # another service's event, published under its name
        names = definition.workflows if kind == "workflows" else definition.events
        if bare not in names:
            known = ", ".join(sorted(names)) or "none"
            raise RequestError(f"no {what} {name!r} (known: {known})")
        return definition.service, bare

    # requests ----------------------------------------------------------------------------

    @_requests
    def start(self, workflow: str, input: Any = None, name: str | None = None) -> str:
        """Starts ``workflow``; the execution's id (a name used before gives that one)."""
        known = self._definition is not None
        bare = self.workflow(workflow)[1] if known else workflow.rpartition(".")[2]
        if self.service is not None:
            try:
                input = self.deployment.values.start_input(bare, input)
            except PayloadInvalid as exc:
                raise RequestError(str(exc)) from exc
        candidate = new_execution_id(bare)
        store = self.deployment.store
        execution = store.reserve_name(bare, name, candidate) if name else candidate
        definition = self._definition
        waits = None
        if definition is not None and bare in definition.workflows:
            waits = markers(definition.workflows[bare], bare, execution, input)
        self._send(messages.start(execution, bare, input, name, waits=waits))
        return execution

    @_requests
    def signal(self, execution: str, signal: str, payload: Any = None) -> None:
        """Sends ``signal``: ``RequestError`` when the workflow declares no such signal
        or, with ``service``, the payload does not fit (without it, the orchestrator's
        interpreter checks it and records a refusal as ``SignalRejected``)."""
        found = self._running(execution)
        workflow = found.view.workflow
        signals = self._definition_of(found).workflows[workflow].signals
        validate = self.deployment.values.validate if self.service is not None else None
        try:
            payload = signal_payload(workflow, signals, signal, payload, validate)
        except SignalRefused as refused:
            raise RequestError(str(refused)) from refused
        dedup = uuid.uuid4().hex
        self._send(
            messages.to_orchestrator(found.view.id, "signal", dedup, name=signal, payload=payload)
        )

    @_requests
    def cancel(self, execution: str) -> None:
        found = self._running(execution)
        self._send(messages.to_orchestrator(found.view.id, "cancel", uuid.uuid4().hex))

    @_requests
    @_requests
    def query(self, execution: str, name: str) -> Any:
        """Query ``name`` of the execution's workflow on its stored record (see
        ``eventual.queries``); ``RequestError`` for an undeclared name or a failure."""
        found = self._summary(execution)
        stored = self.deployment.records.read(found.view.id)
        if stored is None:
            raise RequestError(f"no execution {execution!r}")
        state = ExecutionRecord.from_text(stored.text).state
        workflow = self._definition_of(found).workflows[found.view.workflow]
        try:
            return answer(workflow, state, name, datetime.now(UTC))
        except ValueError as exc:
            raise RequestError(str(exc)) from exc

    def publish(self, event: str, payload: Any = None) -> str:
        """Puts ``event`` on the service's bus; its EventBridge id."""
        source, bare = self.event(event)
        deployment = self.deployment
        if self.service is not None and source == self.service.name:
            check = functools.partial(deployment.values.payload, bare, payload)
            payload = self._checked(check, f"payload of {bare}")
        bus = Bus(self.clients.events, deployment.config.bus, deployment.payloads, source)
        return bus.put([(bare, payload)])[0]

    def _send(self, effect: dict[str, Any]) -> None:
        carry_out(self.deployment, [effect])

    @staticmethod
    def _checked(check: Callable[[], Any], what: str) -> Any:
        try:
            return check()
        except PayloadInvalid as exc:
            raise RequestError(f"{what}: {exc}") from exc

    # dead letters ------------------------------------------------------------------------

    @_requests
    def dead_letters(self) -> builtins.list[DeadLetterView]:
        """Events the handler subscriptions gave up on, oldest first (left in place)."""
        return self._dead_letters().list()

    @_requests
    def redrive(self, ids: Sequence[str] = ()) -> int:
        """Sends dead letters (all, or those ``ids``) back to their subscription's queue."""
        return self._dead_letters().redrive(ids)

    def _dead_letters(self) -> DeadLetters:
        queues = json.loads(self._outputs().get("DeadLetterQueues") or "{}")
        definition = self._definition
        service = definition.service if definition else self.stack_name
        return DeadLetters(
            self.clients.sqs, queues, self.deployment.payloads, service,
            self.deployment.config.inbox_queue,
        )  # fmt: skip

    # queries -----------------------------------------------------------------------------

    @_requests
    def get(self, execution: str) -> ExecutionView:
        """The execution whose id, or else whose name, is ``execution``."""
        return self._summary(execution).view

    execution = get

    @_requests
    def list(
        self, workflow: str | None = None, status: str | None = None
    ) -> builtins.list[ExecutionView]:
        """Executions, newest first, optionally of one workflow and/or status."""
        found = [Summary.of(stored.text).view for stored in self.deployment.records.scan()]
        bare = workflow.rpartition(".")[2] if workflow else None
        chosen = [v for v in found if (bare is None or v.workflow == bare)
                  and (status is None or v.status.value == status.upper())]  # fmt: skip
        return sorted(chosen, key=lambda view: view.started, reverse=True)

    executions = list

    @_requests
    def page(
        self, after: str | None = None, limit: int = 50,
        keep: Callable[[ExecutionView], bool] | None = None, budget: int = 500,
    ) -> tuple[builtins.list[ExecutionView], str]:  # fmt: skip
        """Up to ``limit`` executions that ``keep`` accepts, in the state table's order
        (its partition keys' hashes), after the one whose id is ``after``, reading at
        most ``budget`` records; with the cursor (an id) to give as ``after`` for the
        next page, ``""`` once all were read. The table keeps no index by start time,
        so this order is the only one that pages without reading every record."""
        found: builtins.list[ExecutionView] = []
        cursor = ""
        scan = self.deployment.records.scan(after, min(budget, max(limit, 20)))
        for stored in scan:
            view = Summary.of(stored.text).view
            cursor, budget = view.id, budget - 1
            if keep is None or keep(view):
                found.append(view)
            if len(found) == limit or budget == 0:
                return found, cursor
        return found, ""

    @_requests
    def history(self, execution: str) -> builtins.list[dict[str, Any]]:
        """The history entries of an execution, in order."""
        found = self._summary(execution)
        entries: builtins.list[dict[str, Any]] = []
        for index in range(found.chunks):
            chunk = self.deployment.store.read(history_key(found.view.id, index))
            if chunk is not None:
                entries.extend(loads(chunk.text))
                continue
            written = [e for e in found.effects if e["kind"] == "history" and e["index"] == index]
            if not written:
                raise RequestError(f"history chunk {index} of {found.view.id} is missing")
            entries.extend(written[0]["entries"])
        return entries + found.pending

    def _summary(self, ref: str) -> Summary:
        store, records = self.deployment.store, self.deployment.records
        found = records.read(ref)
        if found is not None:
            return Summary.of(found.text)
        named = [store.read(key) for key in self._name_keys(ref)]
        ids = sorted({found.text for found in named if found is not None})
        if len(ids) > 1:
            raise RequestError(f"several executions are named {ref!r}: say one of {', '.join(ids)}")
        found = records.read(ids[0]) if ids else None
        if found is None:
            detail = f" (execution {ids[0]} has not started yet)" if ids else ""
            raise RequestError(f"no execution {ref!r}{detail}")
        return Summary.of(found.text)

    def _name_keys(self, name: str) -> builtins.list[str]:
        from urllib.parse import quote

        suffix = "/" + quote(name, safe="")
        return [k for k in self.deployment.store.keys("names/") if k.endswith(suffix)]

    def _running(self, ref: str) -> Summary:
        found = self._summary(ref)
        if found.view.status.done:
            raise RequestError(f"execution {found.view.id} has ended ({found.view.status.value})")
        return found

    def _definition_of(self, found: Summary) -> Definition:
        if self.service is not None and self.service.version == found.definition:
            return self.service.definition
        stored = self.deployment.store.read(definition_key(found.definition))
        if stored is None:
            raise RequestError(f"definition {found.definition} of {found.view.id} is not stored")
        return Definition.loads(stored.text)


_operations: type[Operations] = Client
