"""Loops: ``while`` and the ``break`` / ``continue`` steps inside it.

A ``while`` evaluates its condition (in the scope of the step list it sits in) before
each iteration and runs its body as a new frame each time, so the outputs of finished
iterations are dropped with their frame: the state a loop keeps is one body frame,
the iteration count (``node.total``) and the last finished iteration's last output
(``node.results["last"]``), whatever the number of iterations. The step's output is
that last output, or ``None`` when no iteration finished. A condition that is not a
boolean fails the step with ``ExpressionError``; one still true after
``max_iterations`` iterations fails it with ``LoopLimit``.

``break`` ends the innermost enclosing loop (its output stays the last finished
iteration's); ``continue`` ends the current iteration and evaluates the condition
again. The compiler allows them only where that loop is unambiguous (not across a
``parallel`` branch, a ``for_each`` body or a ``compensate`` block).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventual.errors import LOOP_LIMIT
from eventual.port import Wait

from .base import Started, StepFailure, StepKind

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Node, Run
    from eventual.workflow import Step


class WhileStep(StepKind):
    name = "while"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        if not self.holds(run, frame, step, 0):
            return True, None
        node = run.new_node(frame, step, Wait.CHILDREN)
        node.results["last"] = None
        self.iterate(run, node, step)
        return False, None

    def frame_done(self, run: Run, node: Node, step: Step, frame: Frame) -> None:
        node.results["last"] = frame.last
        self.next_iteration(run, node, step)

    def next_iteration(self, run: Run, node: Node, step: Step) -> None:
        """After an iteration (finished or ended by ``continue``): the next one, or the
        step done with the last finished iteration's output."""
        try:
            going = self.holds(run, run.state.frames[node.frame], step, node.total)
        except StepFailure as failure:
            run.node_failed(node, failure.error)
            return
        if going:
            self.iterate(run, node, step)
        else:
            run.node_done(node, node.results["last"])

    @staticmethod
    def holds(run: Run, frame: Frame, step: Step, done: int) -> bool:
        """The condition, after ``done`` iterations; ``StepFailure`` when it is not a
        boolean or when it holds with no iteration left."""
        condition = run.render(frame, step)
        if not isinstance(condition, bool):
            raise StepFailure(
                "ExpressionError", f"a while condition gave {condition!r}, not a boolean"
            )
        limit = step.max_iterations
        if condition and limit is not None and done >= limit:
            raise StepFailure(
                LOOP_LIMIT, f"the while loop still held after {limit} iterations (max_iterations)"
            )
        return condition

    @staticmethod
    def iterate(run: Run, node: Node, step: Step) -> None:
        node.total += 1
        run.child_frame(node, dict(step.blocks)["steps"], node.total)


def _enclosing_loop(run: Run, frame: Frame) -> Node:
    """The node of the innermost ``while`` whose body ``frame`` is in."""
    while frame.node is not None:
        node = run.state.nodes[frame.node]
        if run.wf.step(node.step).kind == WhileStep.name and node.waiting is Wait.CHILDREN:
            return node
        frame = run.state.frames[node.frame]
    raise StepFailure("ExpressionError", "break or continue outside a while loop")


class BreakStep(StepKind):
    name = "break"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        loop = _enclosing_loop(run, frame)
        _end_iteration(run, loop)
        run.node_done(loop, loop.results["last"])
        return False, None


class ContinueStep(StepKind):
    name = "continue"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        loop = _enclosing_loop(run, frame)
        _end_iteration(run, loop)
        WhileStep().next_iteration(run, loop, run.wf.step(loop.step))
        return False, None


def _end_iteration(run: Run, loop: Node) -> None:
    """Drops the running iteration's frame, and every step in progress inside it."""
    for child in list(loop.children):
        run.discard_frame(child)
    loop.children.clear()
