"""Execution state and values as JSON text, for the runtimes that store them.

``dump_state``/``load_state`` turn an ``ExecutionState`` into JSON text and back,
without its history (the engines append history entries separately, so a step costs
time proportional to the live state, never to the history). ``dumps``/``loads`` do the
same for any value an execution holds: JSON data plus what CEL adds, timestamps
(aware ``datetime``), durations (``timedelta``) and ``bytes``, each written as a
one-key object tagged ``$eventual:<type>``; everything round-trips exactly.

Guarantee: ``load_state(dump_state(s))`` equals ``s`` field by field (history aside),
including integer keys, tuple paths and branch labels, which plain JSON would lose.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventual.status import ExecutionStatus

if TYPE_CHECKING:
    from eventual.interpreter import ExecutionState

FORMAT = 1
_TAG = "$eventual:"
_TIMESTAMP, _DURATION, _BYTES = _TAG + "timestamp", _TAG + "duration", _TAG + "bytes"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_TIMESTAMP: value.isoformat()}
    if isinstance(value, timedelta):
        return {_DURATION: [value.days, value.seconds, value.microseconds]}
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key == _TIMESTAMP:
            return datetime.fromisoformat(value)
        if key == _DURATION:
            return timedelta(days=value[0], seconds=value[1], microseconds=value[2])
        if key == _BYTES:
            return base64.b64decode(value)
    return obj


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact(default: Callable[[Any], Any], allow_nan: bool) -> Callable[[Any], str]:
    """A function that writes a value as compact JSON text, ``default`` taking the
    values JSON has no type for.

    Implementation note: ``JSONEncoder.encode`` builds a new C encoder on every call,
    half the cost of encoding a small value; this one is built once. It skips the check
    for circular references (a value that contains itself ends in ``RecursionError``)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without json's C accelerator
        encoder = json.JSONEncoder(
            default=default, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan
        )
        return encoder.encode
    iterencode = make(
        None, default, json.encoder.encode_basestring, None, ":", ",", False, False, allow_nan
    )
    return lambda value: "".join(iterencode(value, 0))


_DUMPS = _compact(_encode, allow_nan=True)
_JSON_TEXT = _compact(_refuse, allow_nan=False)


def json_text(value: Any) -> str:
    """``value`` as compact JSON text, when it is plain JSON data: ``TypeError`` for
    any other type, ``ValueError`` for NaN and infinities, ``RecursionError`` for a
    value that contains itself (or nests deeper than Python recurses)."""
    return _JSON_TEXT(value)


def dumps(value: Any) -> str:
    """``value`` as compact JSON text, CEL timestamps, durations and bytes tagged."""
    return _DUMPS(value)


def loads(text: str | bytes) -> Any:
    """The value ``dumps`` wrote."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _TAG not in text:  # the common case decodes at C speed
        return json.loads(text)
    return json.loads(text, object_hook=_decode)


def dump_state(state: ExecutionState) -> str:
    """The state of one execution, its history excepted, as JSON text."""
    final = state.final
    return dumps({
        "format": FORMAT, "id": state.id, "name": state.name, "workflow": state.workflow,
        "version": state.version, "input": state.input, "start_time": state.start_time,
        "status": state.status.value, "result": state.result, "error": state.error,
        "vars": state.vars, "seq": state.seq,
        "frames": [
            [f.token, f.block, f.node, f.index, f.last, f.steps, f.locals, f.label]
            for f in state.frames.values()
        ],
        "nodes": [
            [n.token, n.frame, n.step, n.attempt, n.waiting, n.children,
             list(n.results.items()), n.queue, n.total]
            for n in state.nodes.values()
        ],
        "handles": [[h, node, why] for h, (node, why) in state.handles.items()],
        "signals": state.signals, "signal_order": state.signal_order, "waiters": state.waiters,
        "events": state.events, "event_waits": state.event_waits,
        "compensations": state.compensations, "compensating": state.compensating,
        "final": None if final is None else [final[0].value, final[1], final[2]],
        "depth": state.depth, "reuse": state.reuse,
        "dues": [[handle, due] for handle, due in state.dues.items()],
    })  # fmt: skip


def load_state(text: str | bytes) -> ExecutionState:
    """The ``ExecutionState`` that ``dump_state`` wrote, with an empty history."""
    return state_from_data(loads(text))


def state_from_data(data: dict[str, Any]) -> ExecutionState:
    """``load_state`` of text already parsed with ``loads`` (as part of a larger record)."""
    # Implementation note: imported here so that the value codec (``dumps``/``loads``)
    # stays light for the Lambda functions that never hold an execution's state.
    from eventual.interpreter import ExecutionState, Frame, Node
    from eventual.port import Wait

    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported execution state format {data.get('format')!r}")
    final = data["final"]
    start = data["start_time"]
    state = ExecutionState(
        data["id"], data["name"], data["workflow"], data["version"], data["input"],
        start if isinstance(start, datetime) else datetime.fromisoformat(start),
        status=ExecutionStatus(data["status"]), result=data["result"], error=data["error"],
        vars=data["vars"], seq=data["seq"], signals=data["signals"], waiters=data["waiters"],
        compensations=data["compensations"], compensating=data["compensating"],
        final=None if final is None else (ExecutionStatus(final[0]), final[1], final[2]),
        depth=data.get("depth", 0), reuse=data.get("reuse", {}),
        signal_order=data.get("signal_order", []),
        events=data.get("events", {}), event_waits=data.get("event_waits", {}),
    )  # fmt: skip
    for token, block, node, index, last, steps, local, label in data["frames"]:
        state.frames[token] = Frame(token, tuple(block), node, index, last, steps, local, label)
    for token, frame, step, attempt, waiting, children, results, queue, total in data["nodes"]:
        state.nodes[token] = Node(
            token, frame, tuple(step), attempt, Wait(waiting), children,
            {key: value for key, value in results}, [(i, item) for i, item in queue], total,
        )  # fmt: skip
    state.handles = {h: (node, why) for h, node, why in data["handles"]}
    state.dues = {h: _moment(due) for h, due in data.get("dues", ())}
    return state


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
