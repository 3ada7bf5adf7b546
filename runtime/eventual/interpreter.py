"""The workflow interpreter: one execution's explicit state, advanced one event at a time.

``Interpreter.apply(state, event)`` takes an ``ExecutionState`` and an event (start,
task result, timer, signal, child result, cancel), advances every branch of the
execution as far as it can go without waiting, and returns the ``Command`` values the
runtime must carry out (run a task, start a timer, publish an event, start or cancel
a child, report the end). Nothing here does I/O or reads a clock: the runtime passes
``now`` in and carries out the commands — that is the port every runtime implements.
Work per event is proportional to the live state (running branches), never to the
history, which is only appended to for people and tools.

State shape: *frames* run blocks (step lists) one step at a time and hold the outputs
of the steps they completed; *nodes* are steps in progress (waiting for a task, a
timer, a signal, a child, or child frames). Both are keyed by integer tokens; every
wait has its own *handle* token, so a late answer to a cancelled or superseded wait
finds nothing and is ignored.

What each kind of step does (how it starts, and what a nested frame's end means to
it) lives in its unit under ``eventual.steps``, reached only through ``steps.KINDS``;
this module holds what every kind shares (frames, nodes, timers, failure, catch,
compensation and the end).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, assert_never

from eventual import definition
from eventual.cel.evaluate import CelEvaluationError
from eventual.errors import CANCELLED, TIMEOUT, VALIDATION_ERROR, PayloadInvalid
from eventual.port import (
    Cancel,
    CancelChild,
    ChildFinished,
    Command,
    Event,
    EventPublished,
    Finished,
    Heartbeat,
    RunTask,
    SignalReceived,
    StartTimer,
    TaskAnswered,
    TimerFired,
    Wait,
    workflow_event,
)
from eventual.retry import Retries, first_match
from eventual.status import ExecutionStatus
from eventual.steps import KINDS, StepFailure
from eventual.steps.waits import EVENT_BUFFER, event_matches, signal_output
from eventual.workflow import ROOT, CompiledWorkflow, Path, Step, compile_workflow

Validate = Callable[[str | None, Any], Any]  # (model name, JSON value) -> JSON value


class Tables(Protocol):
    """What an interpreter reads of a service: a ``Definition``, or a ``Service`` (its
    tables as they are now)."""

    @property
    def tasks(self) -> Mapping[str, definition.Task]: ...

    @property
    def workflows(self) -> Mapping[str, definition.Workflow]: ...

    @property
    def events(self) -> Mapping[str, definition.Event]: ...


class SignalRefused(ValueError):
    """A signal an execution does not take; the message says why."""


def signal_payload(
    workflow: str, signals: Mapping[str, str | None], name: str, payload: Any,
    validate: Validate | None,
) -> Any:  # fmt: skip
    """The payload of signal ``name`` as ``workflow`` takes it: ``SignalRefused`` when
    the workflow declares no such signal or (given ``validate``) the payload does not
    fit the signal's model. The one rule for signals, at send time and when applied."""
    if name not in signals:
        declared = ", ".join(sorted(signals)) or "none"
        raise SignalRefused(
            f"workflow {workflow!r} declares no signal {name!r} (declared: {declared})"
        )
    if validate is None:
        return payload
    try:
        return validate(signals[name], payload)
    except PayloadInvalid as exc:
        raise SignalRefused(f"signal {name!r}: {exc}") from exc


# -- state -----------------------------------------------------------------------------


@dataclass
class Frame:
    token: int
    block: Path
    node: int | None  # the step node this frame runs for; None at the top
    index: int = 0
    last: Any = None
    steps: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    label: Any = None  # branch name or item index within the owning node


@dataclass
class Node:
    token: int
    frame: int
    step: Path
    attempt: int = 1
    waiting: Wait = Wait.TASK
    children: list[int] = field(default_factory=list)
    results: dict[Any, Any] = field(default_factory=dict)
    queue: list[tuple[int, Any]] = field(default_factory=list)  # for_each items not started
    total: int = 0


@dataclass
class ExecutionState:
    id: str
    name: str
    workflow: str
    version: str
    input: Any
    start_time: datetime
    status: ExecutionStatus = ExecutionStatus.IN_PROGRESS
    result: Any = None
    error: dict[str, str] | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    frames: dict[int, Frame] = field(default_factory=dict)
    nodes: dict[int, Node] = field(default_factory=dict)
    handles: dict[int, tuple[int, str]] = field(default_factory=dict)  # handle -> (node, why)
    signals: dict[str, list[Any]] = field(default_factory=dict)  # received, not yet consumed
    signal_order: list[str] = field(default_factory=list)  # names of ``signals``, as received
    waiters: dict[str, list[int]] = field(default_factory=dict)  # signal -> waiting nodes
    # wait_for_event: published events not yet taken, by name, in publish order (at most
    # EVENT_BUFFER each), and the waiting nodes by event name, each [node, match values].
    events: dict[str, list[Any]] = field(default_factory=dict)
    event_waits: dict[str, list[list[Any]]] = field(default_factory=dict)
    compensations: list[dict[str, Any]] = field(default_factory=list)
    compensating: bool = False
    final: tuple[ExecutionStatus, Any, dict[str, str] | None] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    depth: int = 0  # 0 for an execution started from outside, parent's + 1 for a child
    # A restart (redrive): outputs of steps the failed run completed, by step path as
    # JSON (``restart.reusable_outputs``); each is taken once, when its step is reached.
    reuse: dict[str, Any] = field(default_factory=dict)
    # When each pending timer is due, by handle (kept while its handle is), for consoles.
    dues: dict[int, datetime] = field(default_factory=dict)

    def next_token(self) -> int:
        self.seq += 1
        return self.seq


# -- the interpreter ---------------------------------------------------------------------


class Interpreter:
    """Runs executions of one compiled workflow (one definition version).

    ``tasks`` and ``workflows`` are the definition's task and workflow entries (for
    default timeouts, retry policies and child input models); ``validate`` checks a
    value against a named model; ``rng`` drives retry jitter (seed it for tests).
    """

    def __init__(
        self,
        workflow: CompiledWorkflow,
        tasks: Mapping[str, definition.Task],
        workflows: Mapping[str, definition.Workflow],
        events: Mapping[str, definition.Event],
        validate: Validate,
        rng: random.Random | None = None,
    ) -> None:
        self.workflow = workflow
        self.tasks = tasks
        self.workflows = workflows
        self.events = events
        self.validate = validate
        self.rng = rng or random.Random(0)

    @classmethod
    def of_definition(
        cls, service: Tables, workflow: str, validate: Validate,
        rng: random.Random,
    ) -> Interpreter:  # fmt: skip
        """The interpreter of ``workflow`` in a service definition (definition.json)."""
        return cls(
            compile_workflow(workflow, service.workflows[workflow]), service.tasks,
            service.workflows, service.events, validate, rng,
        )  # fmt: skip

    def accept_signal(self, name: str, payload: Any) -> Any:
        """``signal_payload`` for this workflow, payload checked."""
        workflow = self.workflow
        return signal_payload(workflow.name, workflow.signals, name, payload, self.validate)

    # events --------------------------------------------------------------------------

    def start(self, state: ExecutionState, now: datetime) -> list[Command]:
        run = Run(self, state, now)
        run.log("ExecutionStarted", input=state.input)
        if self.workflow.timeout is not None:
            run.timer(0, "workflow-timeout", now + timedelta(seconds=self.workflow.timeout))
        top = run.new_frame(ROOT, None)
        run.work.append(top.token)
        return run.finish()

    def task_result(
        self, state: ExecutionState, handle: int, now: datetime,
        output: Any = None, error: dict[str, str] | None = None,
    ) -> list[Command]:  # fmt: skip
        run = Run(self, state, now)
        node = run.claim(handle, "task")
        if node is not None:
            run.drop_handles(node.token)
            if error is None:
                run.log("TaskSucceeded", step=list(node.step), attempt=node.attempt, output=output)
                run.node_done(node, output)
            else:
                run.log("TaskFailed", step=list(node.step), attempt=node.attempt, error=error)
                run.task_failed(node, error)
        return run.finish()

    def timer_fired(self, state: ExecutionState, handle: int, now: datetime) -> list[Command]:
        run = Run(self, state, now)
        entry = state.handles.pop(handle, None)
        if entry is not None:
            run.timer_fired(*entry)
        return run.finish()

    def signal(
        self, state: ExecutionState, name: str, payload: Any, now: datetime
    ) -> list[Command]:
        run = Run(self, state, now)
        try:
            payload = self.accept_signal(name, payload)
        except SignalRefused as refused:  # sent unchecked: recorded, and nothing else
            run.log("SignalRejected", signal=name, reason=str(refused))
            return run.finish()
        run.log("SignalReceived", signal=name, payload=payload)
        waiting = state.waiters.get(name)
        if waiting:
            node = state.nodes[waiting.pop(0)]
            run.drop_handles(node.token)
            run.node_done(node, signal_output(self.workflow.step(node.step), name, payload))
        elif state.status is ExecutionStatus.IN_PROGRESS:
            state.signals.setdefault(name, []).append(payload)
            state.signal_order.append(name)
        return run.finish()

    def event(self, state: ExecutionState, name: str, payload: Any, now: datetime) -> list[Command]:
        """A published event ``name``: the first wait it matches takes it, else it is
        kept (the oldest dropped past ``EVENT_BUFFER``) while the execution runs."""
        run = Run(self, state, now)
        if state.status is not ExecutionStatus.IN_PROGRESS or state.compensating:
            return run.finish()
        for entry in state.event_waits.get(name, []):
            node = state.nodes.get(entry[0])
            if node is not None and event_matches(self.workflow.step(node.step), entry[1], payload):
                state.event_waits[name].remove(entry)
                run.drop_handles(node.token)
                run.node_done(node, payload)
                return run.finish()
        kept = state.events.setdefault(name, [])
        kept.append(payload)
        del kept[:-EVENT_BUFFER]
        return run.finish()

    def child_result(
        self, state: ExecutionState, handle: int, now: datetime,
        result: Any = None, error: dict[str, str] | None = None,
    ) -> list[Command]:  # fmt: skip
        run = Run(self, state, now)
        node = run.claim(handle, "child")
        if node is not None:
            run.drop_handles(node.token)
            if error is None:
                run.node_done(node, result)
            else:
                run.node_failed(node, error)
        return run.finish()

    def heartbeat(self, state: ExecutionState, handle: int, now: datetime) -> list[Command]:
        """The task run ``handle`` is alive: its heartbeat deadline starts again."""
        run = Run(self, state, now)
        entry = state.handles.get(handle)
        node = state.nodes.get(entry[0]) if entry and entry[1] == "task" else None
        if node is not None:
            task = self.tasks[str(self.workflow.step(node.step).target)]
            for old, (owner, why) in list(state.handles.items()):
                if owner == node.token and why == "heartbeat":
                    del state.handles[old]
            if task.heartbeat:
                run.timer(node.token, "heartbeat", now + timedelta(seconds=task.heartbeat))
        return run.finish()

    def cancel(self, state: ExecutionState, now: datetime) -> list[Command]:
        run = Run(self, state, now)
        if state.status is ExecutionStatus.IN_PROGRESS and not state.compensating:
            message = "the execution was cancelled"
            run.end(ExecutionStatus.CANCELLED, None, {"error": CANCELLED, "message": message})
        return run.finish()

    def begin(self, state: ExecutionState, now: datetime) -> list[Command]:
        """``start``, once the input fits the workflow's input model; an input that does
        not ends the execution FAILED with ``ValidationError`` before any step."""
        try:
            state.input = self.validate(self.workflow.input_model, state.input)
        except PayloadInvalid as exc:
            state.status = ExecutionStatus.FAILED
            state.error = {"error": VALIDATION_ERROR, "message": str(exc)}
            return [Finished(state.workflow, error=state.error)]
        return self.start(state, now)

    def apply(
        self, state: ExecutionState, event: Event | Mapping[str, Any], now: datetime
    ) -> list[Command]:
        """One workflow event, typed or in the JSON form the durable runtimes queue
        (``port.workflow_event``: ``ValueError`` for an unknown op)."""
        if isinstance(event, Mapping):
            event = workflow_event(event)
        match event:
            case TaskAnswered(handle, output, error):
                return self.task_result(state, handle, now, output, error)
            case TimerFired(handle):
                return self.timer_fired(state, handle, now)
            case SignalReceived(name, payload):
                return self.signal(state, name, payload, now)
            case EventPublished(name, payload):
                return self.event(state, name, payload, now)
            case ChildFinished(handle, result, error):
                return self.child_result(state, handle, now, result, error)
            case Heartbeat(handle):
                return self.heartbeat(state, handle, now)
            case Cancel():
                return self.cancel(state, now)
            case _:
                assert_never(event)


class Interpreters:
    """The interpreters of one service, each built once per (definition version,
    workflow) and kept: an execution runs on the definition it started with.
    ``validate`` checks values against the service's models; each interpreter draws
    its own random source (retry jitter) from ``rng``."""

    def __init__(self, validate: Validate, rng: random.Random) -> None:
        self.validate = validate
        self.rng = rng
        self._built: dict[tuple[str, str], Interpreter] = {}

    def get(self, version: str, workflow: str, definition: Callable[[], Tables]) -> Interpreter:
        """The interpreter of ``workflow`` in definition ``version``; ``definition()``
        reads that definition (its ``tasks``, ``workflows`` and ``events``) when the
        interpreter is not built yet."""
        key = (version, workflow)
        found = self._built.get(key)
        if found is None:
            rng = random.Random(self.rng.random())
            found = Interpreter.of_definition(definition(), workflow, self.validate, rng)
            self._built[key] = found
        return found


class Run:
    """One ``apply``: the state, the time, the commands so far and frames to advance;
    what step kinds (``eventual.steps``) act on."""

    def __init__(self, interpreter: Interpreter, state: ExecutionState, now: datetime) -> None:
        self.i = interpreter
        self.wf = interpreter.workflow
        self.state = state
        self.now = now
        self.commands: list[Command] = []
        self.work: list[int] = []
        self.stamp = now.isoformat()

    def finish(self) -> list[Command]:
        while self.work:
            frame = self.state.frames.get(self.work.pop(0))
            if frame is not None:
                self.advance(frame)
        handles = self.state.handles
        if any(handle not in handles for handle in self.state.dues):
            self.state.dues = {h: due for h, due in self.state.dues.items() if h in handles}
        return self.commands

    def log(self, event_type: str, **fields: Any) -> None:
        self.state.history.append({"type": event_type, "time": self.stamp, **fields})

    # frames and nodes ------------------------------------------------------------------

    def new_frame(self, block: Path, node: int | None, **extra: Any) -> Frame:
        frame = Frame(self.state.next_token(), block, node, **extra)
        self.state.frames[frame.token] = frame
        return frame

    def child_frame(self, node: Node, block: Path, label: Any = None, **locals_: Any) -> None:
        frame = self.new_frame(block, node.token, label=label, locals=dict(locals_))
        node.children.append(frame.token)
        self.work.append(frame.token)

    def new_node(self, frame: Frame, step: Step, waiting: Wait) -> Node:
        node = Node(self.state.next_token(), frame.token, step.path, waiting=waiting)
        self.state.nodes[node.token] = node
        return node

    def timer(self, node: int, why: str, due: datetime) -> None:
        handle = self.state.next_token()
        self.state.handles[handle] = (node, why)
        self.state.dues[handle] = max(due, self.now)
        self.commands.append(StartTimer(handle, self.state.dues[handle]))

    def take_signal(self, names: tuple[str, ...]) -> tuple[str, Any] | None:
        """The earliest queued signal among ``names`` as ``(name, payload)``, taken
        off the queue; ``None`` when none of them is queued."""
        state = self.state
        order = state.signal_order
        # A state saved before signals kept their order has none: by name then.
        name = next((n for n in order if n in names), None) if order else None
        if name is None:
            name = next((n for n in names if state.signals.get(n)), None)
        if name is None or not state.signals.get(name):
            return None
        if name in order:
            order.remove(name)
        return name, state.signals[name].pop(0)

    def claim(self, handle: int, why: str) -> Node | None:
        entry = self.state.handles.get(handle)
        if entry is None or entry[1] != why:
            return None
        del self.state.handles[handle]
        return self.state.nodes.get(entry[0])

    def drop_handles(self, node: int) -> None:
        for handle, (owner, why) in list(self.state.handles.items()):
            if owner == node:
                del self.state.handles[handle]
                if why == "child":
                    self.commands.append(CancelChild(handle))

    def discard_frame(self, token: int) -> None:
        self.state.frames.pop(token, None)
        for node in [n for n in self.state.nodes.values() if n.frame == token]:
            self.discard_node(node)

    def discard_node(self, node: Node) -> None:
        self.state.nodes.pop(node.token, None)
        self.drop_handles(node.token)
        self.stop_waiting(node)
        for child in node.children:
            self.discard_frame(child)

    def stop_waiting(self, node: Node) -> None:
        for waiting in self.state.waiters.values():
            if node.token in waiting:
                waiting.remove(node.token)
        for waits in self.state.event_waits.values():
            waits[:] = [entry for entry in waits if entry[0] != node.token]

    # scope -----------------------------------------------------------------------------

    def visible(self, frame: Frame) -> tuple[dict[str, Any], dict[str, Any]]:
        """Step outputs and locals of ``frame`` and of the frames around it (inner win)."""
        owner = self.state.nodes.get(frame.node) if frame.node is not None else None
        if owner is None:
            return frame.steps, frame.locals
        steps, local = self.visible(self.state.frames[owner.frame])
        return {**steps, **frame.steps}, {**local, **frame.locals}

    def scope(self, frame: Frame) -> dict[str, Any]:
        """What expressions see in ``frame``."""
        steps, local = self.visible(frame)
        state = self.state
        execution = {"id": state.id, "name": state.name, "workflow": state.workflow,
                     "start_time": state.start_time}  # fmt: skip
        return {
            "input": state.input, "steps": steps, "vars": state.vars, "execution": execution,
            "now": self.now, **local,
        }  # fmt: skip

    def render(self, frame: Frame, step: Step) -> Any:
        if step.value is None:
            return None
        try:
            return step.value(self.scope(frame))
        except CelEvaluationError as exc:  # ExpressionError, or ExpressionLimit
            raise StepFailure(exc.error_name, str(exc)) from exc

    def checked(self, model: str | None, value: Any) -> Any:
        if model is None:
            return value
        try:
            return self.i.validate(model, value)
        except PayloadInvalid as exc:
            raise StepFailure(VALIDATION_ERROR, str(exc)) from exc

    # advancing -------------------------------------------------------------------------

    def advance(self, frame: Frame) -> None:
        block = self.wf.blocks[frame.block]
        while frame.index < len(block):
            if frame.token not in self.state.frames:
                return  # ended by a `return` or an error inside this very step
            step = block[frame.index]
            self.log("StepStarted", step=list(step.path), kind=step.kind, id=step.id)
            try:
                done, output = self.reused(step) or self.start_step(frame, step)
            except StepFailure as failure:
                self.step_failed(frame, step, failure.error)
                return
            if not done:
                return
            self.completed(frame, step, output)
        if frame.token in self.state.frames:
            self.frame_done(frame)

    def completed(self, frame: Frame, step: Step, output: Any) -> None:
        if step.id is not None:
            frame.steps[step.id] = {"output": output}  # as expressions read it
        frame.last = output
        frame.index += 1
        self.log("StepCompleted", step=list(step.path), id=step.id, output=output)
        self.register_compensation(frame, step)

    def register_compensation(self, frame: Frame, step: Step) -> None:
        """Keeps ``step``'s ``compensate`` to run if the execution ends unsuccessfully:
        when the step completes, or when it fails with ``compensate_on_failure``."""
        if step.compensate is not None and not self.state.compensating:
            steps, local = self.visible(frame)
            record = {"block": list(step.compensate), "steps": dict(steps), "locals": dict(local)}
            self.state.compensations.append(record)

    def reused(self, step: Step) -> tuple[bool, Any] | None:
        """``(True, output)`` when a restart brought this step's output from the run it
        restarts: the step completes with it and runs nothing."""
        if not self.state.reuse:  # every execution but a restart's first run
            return None
        key = json.dumps(list(step.path))
        return (True, self.state.reuse.pop(key)) if key in self.state.reuse else None

    def start_step(self, frame: Frame, step: Step) -> tuple[bool, Any]:
        return KINDS[step.kind].start(self, frame, step)

    def dispatch(self, node: Node, step: Step) -> None:
        task = self.i.tasks[str(step.target)]
        handle = self.state.next_token()
        self.state.handles[handle] = (node.token, "task")
        node.waiting = Wait.TASK
        value = node.results["input"]
        self.commands.append(RunTask(handle, str(step.target), value, node.attempt))
        self.log("TaskScheduled", step=list(step.path), task=step.target, attempt=node.attempt)
        timeout = node.results.get("timeout", step.timeout)
        timeout = timeout if timeout is not None else task.timeout
        if timeout:
            self.timer(node.token, "timeout", self.now + timedelta(seconds=timeout))
        if task.heartbeat:
            self.timer(node.token, "heartbeat", self.now + timedelta(seconds=task.heartbeat))

    # completion and failure ------------------------------------------------------------

    def node_done(self, node: Node, output: Any) -> None:
        frame = self.state.frames.get(node.frame)
        self.discard_node(node)
        if frame is not None:
            self.completed(frame, self.wf.step(node.step), output)
            self.work.append(frame.token)

    def frame_done(self, frame: Frame) -> None:
        self.state.frames.pop(frame.token, None)
        if frame.node is None:
            if frame.label == "compensation":
                self.log("CompensationCompleted", block=list(frame.block))
                self.next_compensation()
            else:
                self.end(ExecutionStatus.SUCCEEDED, None, None)
            return
        node = self.state.nodes[frame.node]
        node.children.remove(frame.token)
        step = self.wf.step(node.step)
        if node.waiting is Wait.CATCH or not KINDS[step.kind].repeats:
            self.state.frames[node.frame].steps.update(frame.steps)
        if node.waiting is Wait.CATCH:
            self.node_done(node, frame.last)
        else:
            KINDS[step.kind].frame_done(self, node, step, frame)

    def step_failed(self, frame: Frame, step: Step, error: dict[str, str]) -> None:
        """A step failed as it started: its catch may still handle it."""
        node = self.new_node(frame, step, Wait.FAILED)
        self.node_failed(node, error)

    def node_failed(self, node: Node, error: dict[str, str]) -> None:
        step = self.wf.step(node.step)
        self.log("StepFailed", step=list(step.path), id=step.id, error=error)
        caught_before = node.waiting is Wait.CATCH  # its catch block failed in turn
        clause = (
            None
            if caught_before
            else next((c for c in step.catch if c.handles(error["error"])), None)
        )
        frame = self.state.frames.get(node.frame)
        if step.compensate_on_failure and not caught_before and frame is not None:
            self.register_compensation(frame, step)
        for child in list(node.children):
            self.discard_frame(child)
        node.children.clear()
        self.drop_handles(node.token)
        if clause is not None:
            node.waiting = Wait.CATCH
            self.child_frame(node, clause.block, None, **{clause.var: dict(error)})
            return
        self.discard_node(node)
        if frame is not None:
            self.frame_failed(frame, error)

    def frame_failed(self, frame: Frame, error: dict[str, str]) -> None:
        self.discard_frame(frame.token)
        if frame.node is not None:
            node = self.state.nodes.get(frame.node)
            if node is not None:
                self.node_failed(node, error)
        elif frame.label == "compensation":
            self.log("CompensationFailed", block=list(frame.block), error=error)
            self.next_compensation()
        else:
            self.end(ExecutionStatus.FAILED, None, error)

    def task_failed(self, node: Node, error: dict[str, str]) -> None:
        step = self.wf.step(node.step)
        task = self.i.tasks[str(step.target)]
        delay = self.retry_delay(node, step.retry or task.retry, error["error"])
        if delay is None:
            self.node_failed(node, error)
            return
        node.attempt += 1
        node.waiting = Wait.RETRY
        self.timer(node.token, "retry", self.now + timedelta(seconds=delay))

    def retry_delay(self, node: Node, policies: Retries, error: str) -> float | None:
        """Seconds until ``node``'s task is tried again after failing with ``error``;
        ``None`` when it is not. The first policy matching ``error`` decides, counting
        its own attempts (kept in the node, so a restart keeps them)."""
        index = first_match(policies, error)
        if index is None:
            return None
        key = f"retry {index}"
        tries = int(node.results.get(key, 1))  # this policy's attempts, the first included
        if tries >= policies[index].attempts:
            return None
        node.results[key] = tries + 1
        return policies[index].delay(tries, self.i.rng)

    def timer_fired(self, owner: int, why: str) -> None:
        if why == "workflow-timeout":
            message = "the workflow did not finish within its timeout"
            self.end(ExecutionStatus.TIMED_OUT, None, {"error": TIMEOUT, "message": message})
            return
        node = self.state.nodes.get(owner)
        if node is None:
            return
        if why == "timer":
            self.node_done(node, None)
        elif why == "retry":
            self.dispatch(node, self.wf.step(node.step))
        elif why in ("timeout", "heartbeat"):
            self.drop_handles(node.token)
            self.stop_waiting(node)
            what = "no heartbeat in time" if why == "heartbeat" else f"{node.waiting} timed out"
            timeout = {"error": TIMEOUT, "message": what}
            if node.waiting is Wait.TASK:
                self.task_failed(node, timeout)
            else:
                self.node_failed(node, timeout)

    # the end ---------------------------------------------------------------------------

    def end(self, status: ExecutionStatus, result: Any, error: dict[str, str] | None) -> None:
        if self.state.final is not None or self.state.status is not ExecutionStatus.IN_PROGRESS:
            return
        for token in list(self.state.frames):
            self.discard_frame(token)
        self.state.handles.clear()
        self.state.final = (status, result, error)
        if status is ExecutionStatus.SUCCEEDED or not self.state.compensations:
            self.settle()
            return
        self.state.compensating = True
        self.log("CompensationStarted", count=len(self.state.compensations))
        self.next_compensation()

    def next_compensation(self) -> None:
        if not self.state.compensations:
            self.settle()
            return
        record = self.state.compensations.pop()
        frame = self.new_frame(tuple(record["block"]), None, label="compensation")
        frame.steps = dict(record["steps"])
        frame.locals = dict(record["locals"])
        self.work.append(frame.token)

    def settle(self) -> None:
        assert self.state.final is not None
        status, result, error = self.state.final
        self.state.status, self.state.result, self.state.error = status, result, error
        self.state.compensating = False
        self.state.signals.clear()
        self.state.signal_order.clear()
        self.state.waiters.clear()
        self.state.events.clear()
        self.state.event_waits.clear()
        self.log("Execution" + status.value.title().replace("_", ""), result=result, error=error)
        self.commands.append(Finished(self.state.workflow, result, error))
