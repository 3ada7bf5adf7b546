"""Step kinds: one class each, reached through one registry, ``KINDS``.

``KINDS[name]`` is the ``StepKind`` of every step whose ``kind`` is ``name`` in
``definition.json``; the interpreter looks kinds up nowhere else. A test keeps the
registry equal to the ``x-kinds`` list of the spec schema, so a kind the compiler
accepts cannot reach the interpreter without its unit here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Started, StepFailure, StepKind
from .blocks import ForEachStep, IfStep, ParallelStep, TryStep
from .loops import BreakStep, ContinueStep, WhileStep
from .values import FailStep, ReturnStep, SetStep
from .waits import SleepStep, SleepUntilStep, WaitForEventStep, WaitForSignalStep
from .work import CHILD_DEPTH_LIMIT, MAX_CHILD_DEPTH, EmitStep, TaskStep, WorkflowStep

__all__ = [
    "CHILD_DEPTH_LIMIT", "KINDS", "MAX_CHILD_DEPTH", "Started", "StepFailure", "StepKind",
]  # fmt: skip

_ALL: tuple[StepKind, ...] = (
    TaskStep(), WorkflowStep(), EmitStep(),
    SleepStep(), SleepUntilStep(), WaitForSignalStep(), WaitForEventStep(),
    IfStep(), TryStep(), ParallelStep(), ForEachStep(),
    SetStep(), FailStep(), ReturnStep(),
    WhileStep(), BreakStep(), ContinueStep(),
)  # fmt: skip
KINDS: Mapping[str, StepKind] = {kind.name: kind for kind in _ALL}
