"""Steps that run nested step lists: ``if``, ``try``, ``parallel`` and ``for_each``.

Each starts child frames under one node (``nested``); the node is done when the
kind's ``frame_done`` says so: the one frame of ``if``/``try``, every branch of
``parallel`` (a dict by branch name), every item of ``for_each`` (a list in item
order, at most ``concurrency`` items running at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventual.port import Wait

from .base import Started, StepFailure, StepKind

if TYPE_CHECKING:
    from eventual.interpreter import Frame, Node, Run
    from eventual.workflow import Path, Step

Blocks = list[tuple["Path", Any, dict[str, Any]]]  # (block, frame label, frame locals)


def nested(run: Run, frame: Frame, step: Step, blocks: Blocks, always: bool = False) -> Started:
    """Starts a frame per block under a new node; a step whose blocks are all empty is
    done at once with no output, unless ``always``."""
    if not always and not any(run.wf.blocks[block] for block, _, _ in blocks):
        return True, None
    node = run.new_node(frame, step, Wait.CHILDREN)
    node.total = len(blocks)
    for block, label, local in blocks:
        run.child_frame(node, block, label, **local)
    return False, None


class IfStep(StepKind):
    name = "if"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        condition = run.render(frame, step)
        if not isinstance(condition, bool):
            raise StepFailure(
                "ExpressionError", f"an if condition gave {condition!r}, not a boolean"
            )
        block = dict(step.blocks)["then" if condition else "else"]
        return nested(run, frame, step, [(block, None, {})])


class TryStep(StepKind):
    name = "try"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        return nested(run, frame, step, [(dict(step.blocks)["try"], None, {})])


class ParallelStep(StepKind):
    name = "parallel"

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        blocks: Blocks = [(block, name, {}) for name, block in step.blocks]
        return nested(run, frame, step, blocks, always=True)

    def frame_done(self, run: Run, node: Node, step: Step, frame: Frame) -> None:
        node.results[frame.label] = frame.last
        if not node.children:
            run.node_done(node, {name: node.results.get(name) for name, _ in step.blocks})


class ForEachStep(StepKind):
    name = "for_each"
    repeats = True

    def start(self, run: Run, frame: Frame, step: Step) -> Started:
        items = run.render(frame, step)
        if not isinstance(items, list):
            raise StepFailure(
                "ExpressionError", f"for_each needs a list, got {type(items).__name__}"
            )
        if not items:
            return True, []
        node = run.new_node(frame, step, Wait.CHILDREN)
        node.total = len(items)
        node.queue = list(enumerate(items))
        assert step.concurrency is not None  # every for_each carries one (eventual.definition)
        for _ in range(min(step.concurrency, len(items))):
            self.next_item(run, node, step)
        return False, None

    def frame_done(self, run: Run, node: Node, step: Step, frame: Frame) -> None:
        node.results[frame.label] = frame.last
        if node.queue:
            self.next_item(run, node, step)
        elif not node.children:
            run.node_done(node, [node.results[i] for i in range(node.total)])

    @staticmethod
    def next_item(run: Run, node: Node, step: Step) -> None:
        index, item = node.queue.pop(0)
        block = dict(step.blocks)["steps"]
        run.child_frame(node, block, index, **{str(step.var): item, "index": index})
