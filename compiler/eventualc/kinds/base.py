"""What a step kind is to the compiler: ``StepKind``, one class per kind.

A kind says, for the steps of its kind, how the spec's mapping lowers to ``ir.Step``
fields (``lower``, deciding the kind's defaults), how its templates are typed and
what flow follows it (``check``), what type it gives (``output``) and why that may
be null (``null_source``), how it is drawn in a flowchart (``draw``), where it
touches the rest of its service in the event graph (``link``) and whether its start
gets a progress line of its own (``start_shown``). The stages reach a kind only
through the registry (``eventualc.kinds.KINDS``); what every step shares (``id``,
``timeout``, ``retry``, ``catch``, ``compensate``) stays in the stage, which hands the
kind its own helpers: the ``StepSource`` of ``frontend.lower``, the ``Checker`` of
``checks.expressions``, the ``StepOutputs`` of ``checks.outputs`` and the ``Drawer``
of ``graphs.flowchart``.

Kinds subclass the ``Protocol`` explicitly, as openapi-python-client's properties do,
so that a kind missing a method cannot be instantiated (mypy says which) and the
registry's test (``isinstance``) finds a missing attribute. Kind modules import the
stages only for typing: the stages import the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from eventualc.typecheck.values import NULL

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import Source, StepOutputs
    from eventualc.frontend import ir
    from eventualc.frontend.lower import StepSource
    from eventualc.frontend.source import PathKey
    from eventualc.graphs.flowchart import Drawer, Pending, WorkflowLinks
    from eventualc.typecheck.scope import Flow
    from eventualc.typecheck.values import Type


@runtime_checkable
class StepKind(Protocol):
    """One kind of step, as every compiler stage sees it."""

    name: ClassVar[str]  # the kind key, as the spec schema's ``x-kinds`` lists it
    start_shown: ClassVar[bool]  # a progress line at its start (else the next line says it)

    def lower(self, src: StepSource) -> dict[str, Any]:
        """The ``ir.Step`` fields of the kind's own keys (``src`` is shape-valid)."""
        ...

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        """Types the step's templates (diagnostics through ``checker.report``) and
        returns the flow after the step (``ended`` when nothing after it runs)."""
        ...

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        """The type the step gives when it completes itself (``NEVER``: it cannot)."""
        ...

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        """Draws the step after ``pending``: its node and the edges leaving it for the
        next step."""
        ...

    def null_source(self, outputs: StepOutputs, step: ir.Step, where: PathKey) -> Source | None:
        """Why the step's own output may be null, and where (``where``: its kind key),
        for a note under a type error. By default: its kind gives null."""
        article = "an" if self.name[0] in "aeiou" else "a"
        return f"{article} '{self.name}' step gives null", where

    def link(self, links: WorkflowLinks, node: str, step: ir.Step) -> None:
        """Records where the step, drawn as ``node``, touches the rest of its service
        (a task, a child, an event emitted or waited for), for the event graph. By
        default nowhere."""
        return None


def declared_null(outputs: StepOutputs, step: ir.Step, where: PathKey, what: str) -> Source:
    """Why a task, child or signal wait may give null: what it waits for (``what``)
    declares no output, or one that may be null."""
    if outputs.env.expand(outputs.own_output(step)) == NULL:
        return f"{what} '{step.target}' declares no output", where
    return f"the output of {what} '{step.target}' may be null", where
