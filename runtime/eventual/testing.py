"""``TestEnvironment``: a whole service in memory, on a virtual clock, for unit tests.

Implements the interpreter's port with in-memory queues: executions, task runs,
timers, event deliveries and child executions. Nothing runs until ``tick``; tasks take
no virtual time; retries, timeouts, heartbeats and sleeps follow the virtual clock
exactly. Handlers are the service's own unless mocked with ``mock_task``.
"""

from __future__ import annotations

import builtins
import functools
import gc
import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eventual.context import EventMeta, TaskContext
from eventual.definition import Subscription
from eventual.errors import ExecutionNotFound, PayloadInvalid
from eventual.interpreter import ExecutionState, Interpreter, Interpreters
from eventual.invoke import (
    Values,
    event_payload,
    failure,
    run_subscription,
    run_task,
    signal_request,
    split_event,
    start_request,
    subscribers,
    subscription_context,
    task_context,
)
from eventual.operations import Operations
from eventual.port import (
    CancelChild,
    Command,
    Finished,
    Port,
    Publish,
    RunTask,
    StartChild,
    StartTimer,
    dispatch,
)
from eventual.queries import answer
from eventual.restart import reusable_outputs
from eventual.retry import retry_after
from eventual.service import Service
from eventual.status import ExecutionStatus
from eventual.views import ExecutionView

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    error: str
    message: str


@dataclass(frozen=True, slots=True)
class StatusView:
    status: ExecutionStatus
    result: Any
    error: ErrorInfo | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    subscription: str
    event: str
    payload: Any
    error: ErrorInfo


class Execution:
    """A handle on one execution: ``id``, ``get_status()``, ``history()``."""

    def __init__(self, env: TestEnvironment, execution_id: str) -> None:
        self._env = env
        self.id = execution_id

    def get_status(self) -> StatusView:
        state = self._env._executions[self.id].state
        error = ErrorInfo(**state.error) if state.error else None
        return StatusView(state.status, state.result, error)

    def history(self) -> list[dict[str, Any]]:
        return list(self._env._executions[self.id].state.history)

    def query(self, name: str) -> Any:
        """The workflow's declared query ``name`` on this execution's state now
        (``ValueError`` naming the declared queries for another name)."""
        return self._env.query(self.id, name)

    def __repr__(self) -> str:
        return f"Execution({self.id!r})"


class MockTask:
    """What a mocked task does: ``succeed``, ``fail``, ``invoke``, ``timeout``; the
    ``*_once`` forms are consumed first, in order. ``calls`` lists the inputs received."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self._once: list[Callable[[Any, TaskContext], Any]] = []
        self._always: Callable[[Any, TaskContext], Any] | None = None

    def succeed(self, value: Any = None) -> MockTask:
        self._always = lambda _i, _c: value
        return self

    def fail(self, exc: BaseException) -> MockTask:
        self._always = _raiser(exc)
        return self

    def invoke(self, fn: Callable[[Any, TaskContext], Any]) -> MockTask:
        self._always = fn
        return self

    def timeout(self) -> MockTask:
        self._always = _NEVER
        return self

    def succeed_once(self, value: Any = None) -> MockTask:
        self._once.append(lambda _i, _c: value)
        return self

    def fail_once(self, exc: BaseException) -> MockTask:
        self._once.append(_raiser(exc))
        return self

    def behaviour(self) -> Callable[[Any, TaskContext], Any] | None:
        if self._once:
            return self._once.pop(0)
        return self._always


def _raiser(exc: BaseException) -> Callable[[Any, TaskContext], Any]:
    def run(_input: Any, _ctx: TaskContext) -> Any:
        raise exc

    return run


def _never(_input: Any, _ctx: TaskContext) -> Any:
    raise AssertionError("unreachable")  # pragma: no cover - a marker, never called


_NEVER = _never


@dataclass
class _Record:
    state: ExecutionState
    interpreter: Interpreter
    parent: tuple[str, int] | None = None
    children: dict[int, str] = field(default_factory=dict)


def _event(
    interp: Interpreter, name: str, payload: Any
) -> Callable[[ExecutionState, datetime], builtins.list[Command]]:
    return lambda state, now: interp.event(state, name, payload, now)


class TestEnvironment:
    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, service: Service, start: datetime | None = None, seed: int = 0) -> None:
        self.service = service
        self.now: datetime = start or EPOCH
        self.emitted: list[tuple[str, Any]] = []
        self.dead_letters: list[DeadLetter] = []
        self._executions: dict[str, _Record] = {}
        self._names: dict[str, str] = {}
        self._mocks: dict[str, MockTask] = {}
        self._ready: deque[Callable[[], None]] = deque()
        self._timers: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count(1)
        self._rng = random.Random(seed)
        self._values = Values(service)
        self._interpreters = Interpreters(self._validate, self._rng)

    # the API of CONTRACT §5.1 ---------------------------------------------------------

    def mock_task(self, name: str) -> MockTask:
        if name not in self.service.tasks:
            raise ValueError(f"{self.service.name} has no task {name!r}")
        return self._mocks.setdefault(name, MockTask())

    def start_execution(
        self, workflow: str, input: Any = None, name: str | None = None
    ) -> Execution:
        if workflow not in self.service.workflows:
            raise ValueError(f"{self.service.name} has no workflow {workflow!r}")
        try:
            self._values.start_input(workflow, input)
        except PayloadInvalid as exc:
            raise ValueError(str(exc)) from exc
        if name is not None and name in self._names:
            return Execution(self, self._names[name])
        return Execution(self, self._create(workflow, input, name, None))

    def restart_execution(self, execution: Execution | str) -> Execution:
        """A new execution of an ended one that reuses the outputs of the task and child
        steps it completed (``eventual.restart``), as the engine's ``restart`` does."""
        record = self._record(execution)
        if record.state.status is ExecutionStatus.IN_PROGRESS:
            raise ValueError(f"execution {record.state.id} is still in progress")
        restarted = self._create(record.state.workflow, record.state.input, None, None)
        self._executions[restarted].state.reuse = reusable_outputs(record.state.history)
        return Execution(self, restarted)

    def publish(self, event: Any, payload: Mapping[str, Any] | None = None) -> str:
        """Publishes ``event`` (a model instance, or a name with a payload); its id."""
        return self._publish(*event_payload(event, payload))

    def send_signal(self, execution: Execution | str, signal: str, payload: Any = None) -> None:
        record = self._record(execution)
        value = record.interpreter.accept_signal(signal, payload)  # SignalRefused: ValueError
        self._ready.append(
            lambda: self._apply(record, lambda s, n: record.interpreter.signal(s, signal, value, n))
        )

    def cancel(self, execution: Execution | str) -> None:
        record = self._record(execution)
        self._ready.append(lambda: self._apply(record, record.interpreter.cancel))

    def executions(
        self, workflow: str | None = None, status: ExecutionStatus | str | None = None
    ) -> list[Execution]:
        """Every execution in start order, those started by subscriptions and children
        included; ``workflow`` and ``status`` (``ExecutionStatus`` or its name) narrow it."""
        if workflow is not None and workflow not in self.service.workflows:
            raise ValueError(f"{self.service.name} has no workflow {workflow!r}")
        wanted = None if status is None else ExecutionStatus(status)
        return [
            Execution(self, key) for key, record in self._executions.items()
            if workflow in (None, record.state.workflow) and wanted in (None, record.state.status)
        ]  # fmt: skip

    def execution(self, id_or_name: str) -> Execution:
        """The execution of this id or name (``ValueError`` when there is none)."""
        return Execution(self, self._record(id_or_name).state.id)

    def tick(self, seconds: float = 1) -> None:
        target = self.now + timedelta(seconds=seconds)
        # Implementation note: a tick allocates many small acyclic objects (states,
        # history entries); the cyclic collector rescanning every live execution made
        # large test runs superlinear. It runs again as soon as the tick is over.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._drain()
            while self._timers and self._timers[0][0] <= target:
                due, _, action = heapq.heappop(self._timers)
                self.now = max(self.now, due)
                action()
                self._drain()
            self.now = target
        finally:
            if enabled:
                gc.enable()

    # the operations every runtime offers (``eventual.operations``) ----------------------

    def start(self, workflow: str, input: Any = None, name: str | None = None) -> str:
        """``start_execution``, answering the execution's id."""
        return self.start_execution(workflow, input, name).id

    def signal(self, execution: str, signal: str, payload: Any = None) -> None:
        """``send_signal``."""
        self.send_signal(execution, signal, payload)

    def history(self, execution: str) -> list[dict[str, Any]]:
        return list(self._record(execution).state.history)

    def query(self, execution: str, name: str) -> Any:
        """Query ``name`` of the execution's workflow on its state (``eventual.queries``)."""
        record = self._record(execution)
        workflow = record.interpreter.workflows[record.state.workflow]
        return answer(workflow, record.state, name, self.now)

    def get(self, execution: str) -> ExecutionView:
        """The execution of this id or name, as the engine and AWS describe one."""
        record = self._record(execution)
        state = record.state
        ended = None
        if state.status is not ExecutionStatus.IN_PROGRESS and state.history:
            ended = datetime.fromisoformat(state.history[-1]["time"])
        parent = record.parent[0] if record.parent else None
        return ExecutionView(
            state.id, state.name, self.service.name, state.workflow, state.status,
            state.result, state.error, state.start_time, ended, parent,
        )  # fmt: skip

    def list(
        self, workflow: str | None = None, status: str | None = None
    ) -> builtins.list[ExecutionView]:
        """``executions``, described as ``get`` does, newest first."""
        bare = workflow.rpartition(".")[2] if workflow else None
        wanted = status.upper() if status else None
        found = self.executions(bare, wanted)
        return [self.get(execution.id) for execution in reversed(found)]

    # executions ------------------------------------------------------------------------

    def _record(self, execution: Execution | str) -> _Record:
        key = execution.id if isinstance(execution, Execution) else execution
        key = self._names.get(key, key)
        if key not in self._executions:
            raise ValueError(f"no execution {key!r}")
        return self._executions[key]

    def _interpreter(self, workflow: str) -> Interpreter:
        """The interpreter of the workflow's current definition; an execution keeps the
        one it started with (``_Record.interpreter``), whatever changes later."""
        service = self.service  # its tables as they are now, not as first loaded
        version = service.workflows[workflow].version
        return self._interpreters.get(version, workflow, lambda: service)

    def _create(
        self, workflow: str, input: Any, name: str | None, parent: tuple[str, int] | None
    ) -> str:
        execution_id = f"{workflow}-{next(self._seq)}"
        interpreter = self._interpreter(workflow)
        state = ExecutionState(
            execution_id, name or execution_id, workflow, interpreter.workflow.version,
            input, self.now,
        )  # fmt: skip
        if parent is not None:
            state.depth = self._executions[parent[0]].state.depth + 1
        record = _Record(state, interpreter, parent)
        self._executions[execution_id] = record
        if name is not None:
            self._names[name] = execution_id

        self._ready.append(lambda: self._apply(record, interpreter.begin))
        return execution_id

    def _apply(
        self, record: _Record,
        step: Callable[[ExecutionState, datetime], builtins.list[Command]],
    ) -> None:  # fmt: skip
        if record.state.status is not ExecutionStatus.IN_PROGRESS:
            return
        dispatch(_Effects(self, record), step(record.state, self.now))

    def _drain(self) -> None:
        while self._ready:
            self._ready.popleft()()

    # tasks -----------------------------------------------------------------------------

    def _run_task(self, record: _Record, command: RunTask) -> None:
        spec = self.service.tasks[command.task]
        interp = record.interpreter
        handle = command.handle
        mock = self._mocks.get(command.task)
        behaviour = mock.behaviour() if mock is not None else None
        if behaviour is _NEVER:
            return  # never answers: the interpreter's timeout timer fails it
        ctx = task_context(
            spec, record.state.id, handle, command.attempt, self.now, self._emit,
            lambda: self._apply(record, lambda s, n: interp.heartbeat(s, handle, n)),
            self._signal_running,
        )  # fmt: skip
        calls = mock.calls if mock is not None else None
        outcome = run_task(self._values, command.task, command.input, ctx, behaviour, calls)
        self._apply(
            record,
            lambda s, n: interp.task_result(s, handle, n, outcome.output, outcome.error),
        )

    # events ----------------------------------------------------------------------------

    def _validate(self, model: str | None, value: Any) -> Any:
        return self._values.validate(model, value)

    def _emit(self, name: str, payload: Any) -> None:
        self._publish(name, payload)

    def _publish(self, name: str, payload: Any) -> str:
        value = self._values.payload(name, payload)
        self.emitted.append((name, value))
        source, bare = split_event(self.service, name)
        meta = EventMeta(f"evt-{next(self._seq)}", name, source, self.now)
        for sub_name in subscribers(self.service, source, bare, value):
            self._ready.append(functools.partial(self._deliver, sub_name, name, value, meta, 1))
        self._offer_to_waits(name, value)
        return meta.id

    def _offer_to_waits(self, name: str, payload: Any) -> None:
        """Hands event ``name`` to every running execution whose workflow waits for it."""
        for record in self._executions.values():
            interp = record.interpreter
            if (
                record.state.status is ExecutionStatus.IN_PROGRESS
                and name in interp.workflow.events
            ):
                self._ready.append(
                    functools.partial(self._apply, record, _event(interp, name, payload))
                )

    def _deliver(
        self, sub_name: str, name: str, payload: Any, meta: EventMeta, attempt: int
    ) -> None:
        sub = self.service.subscriptions[sub_name]
        error: dict[str, str] | None
        if sub.signal:
            error = self._signal_from_event(sub, payload, meta)
        elif sub.workflow:
            try:
                workflow, value, execution_name = start_request(sub, payload, meta)
            except Exception as exc:  # a template that fails is the delivery's failure
                error = failure(exc)
            else:
                self.start_execution(workflow, value, execution_name)
                return
        else:
            ctx = subscription_context(sub, meta, self.now, self._emit, self._signal_running)
            error = run_subscription(self._values, sub_name, name, payload, ctx)
        if error is None:
            return
        delay = retry_after(sub.retry, error, attempt, self._rng)
        if delay is not None:
            due = self.now + timedelta(seconds=delay)
            retry: Callable[[], None] = functools.partial(
                self._deliver, sub_name, name, payload, meta, attempt + 1
            )
            heapq.heappush(self._timers, (due, next(self._seq), retry))
        else:
            failed = ErrorInfo(error["error"], error["message"])
            self.dead_letters.append(DeadLetter(sub_name, name, payload, failed))

    def _signal_running(self, workflow: str, name: str, signal: str, payload: Any) -> None:
        """A signal from a handler or a subscription: only to a running execution."""
        key = self._names.get(name)
        record = self._executions.get(key) if key is not None else None
        if (
            record is None or record.state.workflow != workflow
            or record.state.status is not ExecutionStatus.IN_PROGRESS
        ):  # fmt: skip
            raise ExecutionNotFound(f"no running execution {name!r} of workflow {workflow!r}")
        self.send_signal(record.state.id, signal, payload)

    def _signal_from_event(
        self, sub: Subscription, payload: Any, meta: EventMeta
    ) -> dict[str, str] | None:
        """A declarative ``signal:`` delivery; its error, or ``None``."""
        try:
            self._signal_running(*signal_request(sub, payload, meta))
        except Exception as exc:  # no such execution yet, a template or payload that fails
            return failure(exc)
        return None


class _Effects:
    """The port for one execution of a ``TestEnvironment``: in-memory queues and timers."""

    def __init__(self, env: TestEnvironment, record: _Record) -> None:
        self.env = env
        self.record = record

    def run_task(self, command: RunTask) -> None:
        self.env._ready.append(lambda: self.env._run_task(self.record, command))

    def start_timer(self, command: StartTimer) -> None:
        env, record = self.env, self.record

        def fire() -> None:
            env._apply(record, lambda s, n: record.interpreter.timer_fired(s, command.handle, n))

        heapq.heappush(env._timers, (command.due, next(env._seq), fire))

    def publish(self, command: Publish) -> None:
        self.env._publish(command.event, command.payload)

    def start_child(self, command: StartChild) -> None:
        parent = (self.record.state.id, command.handle)
        child = self.env._create(command.workflow, command.input, None, parent)
        self.record.children[command.handle] = child

    def cancel_child(self, command: CancelChild) -> None:
        child_id = self.record.children.get(command.handle)
        if child_id is not None:
            self.env.cancel(child_id)

    def finished(self, command: Finished) -> None:
        record = self.record
        if record.parent is None:
            return
        parent_id, handle = record.parent
        parent = self.env._executions[parent_id]
        result, error = record.state.result, record.state.error
        self.env._ready.append(
            lambda: self.env._apply(
                parent, lambda s, n: parent.interpreter.child_result(s, handle, n, result, error)
            )
        )


_: type[Port] = _Effects


_operations: type[Operations] = TestEnvironment
