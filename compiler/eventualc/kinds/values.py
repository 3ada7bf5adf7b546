"""Steps done at once with a value: ``set``, ``fail``, ``return``.

``set`` assigns variables in written order (each value sees the ones before it) and
gives null; ``fail`` and ``return`` end their path (nothing after them runs), so they
give ``NEVER``: ``fail`` raises a named error with a message template, or a computed
error value; ``return``'s value must fit the workflow's declared output.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from eventualc.frontend import ir
from eventualc.graphs.labels import expression_text
from eventualc.typecheck.scope import ERROR_TYPE
from eventualc.typecheck.values import DYN, NEVER, NULL, Type, union

from .base import StepKind

if TYPE_CHECKING:
    from eventualc.checks.expressions import Checker
    from eventualc.checks.outputs import StepOutputs
    from eventualc.frontend.lower import StepSource
    from eventualc.graphs.flowchart import Drawer, Pending
    from eventualc.typecheck.scope import Flow


class SetStep(StepKind):
    name = "set"
    start_shown = False  # its completion says it

    def lower(self, src: StepSource) -> dict[str, Any]:
        written = src.body.items()
        templates = ((var, ir.Template(v, (*src.path, src.kind, var))) for var, v in written)
        return {"assignments": tuple(templates)}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        """Assignments run in written order: each value sees the ones before it."""
        variables = dict(flow.vars)
        for var, template in step.assignments:
            checker.non_null = flow.non_null
            scope = checker.scope(replace(flow, vars=variables))
            variables[var] = checker.template(template, scope, DYN, "")
            checker.assigned[var] = union(checker.assigned.get(var, NEVER), variables[var])
            kept = frozenset(p for p in flow.non_null if p[:2] != ("vars", var))
            flow = replace(flow, non_null=kept)
        return replace(flow, vars=variables)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NULL

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        title = "set " + ", ".join(f"vars.{v}" for v, _ in step.assignments)
        return drawer.simple(step, pending, "set", title)


class FailStep(StepKind):
    name = "fail"
    start_shown = True

    def lower(self, src: StepSource) -> dict[str, Any]:
        """A constant name with a message template, or (``error`` ``None``) a computed
        error: ``fail: ${{ error }}`` re-raising a caught one, or templates for name and
        message."""
        body = src.body
        if isinstance(body, str):
            return {"error": None, "expr": src.expression()}
        message = body.get("message", "")
        if "${{" in body["error"]:
            value = {"error": body["error"], "message": message}
            return {"error": None, "expr": ir.Template(value, (*src.path, src.kind))}
        message_template = ir.Template(message, (*src.path, src.kind, "message"))
        return {"error": body["error"], "expr": message_template}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        if step.error is None:  # computed: an error value {error, message}
            checker.expr(step, flow, ERROR_TYPE, "the error of a fail step")
        else:
            checker.expr(step, flow, DYN, "an error message")
        return replace(flow, ended=True)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NEVER

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        return drawer.simple(step, pending, "fail", f"fail {_error_text(step)}", goes_on=False)


def _error_text(step: ir.Step) -> str:
    """A ``fail``'s error: its name, the rethrown expression, or the name's template."""
    if step.error is not None:
        return step.error
    expr = step.expr.value if step.expr else None
    return expression_text(expr["error"] if isinstance(expr, dict) else expr)


class ReturnStep(StepKind):
    name = "return"
    start_shown = False  # its completion says it

    def lower(self, src: StepSource) -> dict[str, Any]:
        return {"expr": src.expression()}

    def check(self, checker: Checker, step: ir.Step, flow: Flow) -> Flow:
        declared = checker.workflow.output
        wanted = checker.schema_type(declared) if declared is not None else DYN
        checker.expr(step, flow, wanted, f"the output of workflow '{checker.workflow.name}'")
        return replace(flow, ended=True)

    def output(self, outputs: StepOutputs, step: ir.Step) -> Type:
        return NEVER

    def draw(self, drawer: Drawer, step: ir.Step, pending: Pending) -> tuple[str, Pending]:
        """Goes to the workflow's end node, not to the step after it."""
        node, _ = drawer.simple(step, pending, "return", "return", goes_on=False)
        drawer.ends.append((node, "flow", ""))
        return node, []
