"""Step kinds, as the compiler sees them: one class each, reached through one registry.

``KINDS[name]`` is the ``StepKind`` (``base``) of every step whose kind key is
``name``; lowering, the expression checker, output typing, the flowchart and the
engine's progress lines look kinds up nowhere else. The classes live by concern, as
the runtime's do (``eventual.steps``): ``work`` hands work to the runtime, ``waits``
waits, ``blocks`` runs nested step lists, ``values`` is done at once, ``loops`` is
``while`` and its exits. ``tests/test_kinds.py`` keeps the registry equal to the spec
schema's ``x-kinds`` (and so to the runtime's registry).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import StepKind
from .blocks import ForEachStep, IfStep, ParallelStep, TryStep
from .loops import BreakStep, ContinueStep, WhileStep
from .values import FailStep, ReturnStep, SetStep
from .waits import SleepStep, SleepUntilStep, WaitForEventStep, WaitForSignalStep
from .work import EmitStep, TaskStep, WorkflowStep

__all__ = ["ALL", "KINDS", "StepKind"]

ALL: tuple[StepKind, ...] = (
    TaskStep(), WorkflowStep(), EmitStep(),
    SleepStep(), SleepUntilStep(), WaitForSignalStep(), WaitForEventStep(),
    IfStep(), TryStep(), ParallelStep(), ForEachStep(),
    SetStep(), FailStep(), ReturnStep(),
    WhileStep(), BreakStep(), ContinueStep(),
)  # fmt: skip
KINDS: Mapping[str, StepKind] = {kind.name: kind for kind in ALL}
