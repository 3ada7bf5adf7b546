"""What a step kind is to the interpreter: ``StepKind``, one class per kind.

A kind says how its step starts (``start``: done at once with an output, or waiting
as a node) and, for a kind that runs nested step lists, what happens when one of
them finishes (``frame_done``). The interpreter reaches a kind only through the
registry (``eventual.steps.KINDS``, keyed by the kind's name as ``definition.json``
writes it); everything a kind does to the execution goes through ``Run``, the
interpreter's one applied event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Node, Run
    from eventual.workflow import Step

Started = tuple[bool, Any]  # (done now, its output): (False, None) when it waits


class StepFailure(Exception):
    """A step failed as it started: its ``catch`` may handle ``error``."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = {"error": error, "message": message}


class StepKind:
    """The behaviour of one kind of step; subclasses set ``name`` and ``start``."""

    name: ClassVar[str]
    # Whether the nested step lists run once per item: then the outputs of their steps
    # stay inside; otherwise a nested list that completed hands them to the enclosing
    # one, so steps after the block read them (the checker's view: ``typecheck/scope``).
    repeats: ClassVar[bool] = False

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        raise NotImplementedError

    def frame_done(self, run: Run, node: Node, step: Step, frame: Frame) -> None:
        """A nested frame of ``node`` ended (its last output in ``frame.last``). By
        default the step is done with that output (``if``, ``try``)."""
        run.node_done(node, frame.last)
