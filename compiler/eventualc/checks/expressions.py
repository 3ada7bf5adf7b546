"""Expressions and templates: every ``${{ }}`` parsed as CEL and type-checked.

Walks each workflow in execution order, keeping which steps have surely completed
and which variables are surely set (``scope.Flow``), so that reading a step that may
not have run is an error (E403); conditions narrow away ``null`` (``narrowing``) and
step outputs are typed by ``outputs``. Each template is typed and checked against its
target: task input, child workflow input, event payload, declared workflow output, and
the boolean, list, duration and timestamp positions (E405), with a hint or a note where
it helps (``string(now)`` for a timestamp, where a null comes from). Syntax errors are
E406; type errors come from ``celtypes``.

``Checker`` walks the steps and checks what every kind shares (timeouts, catch
handlers, compensation); each step's own templates are typed by its kind
(``eventualc.kinds``, ``StepKind.check``) with the checker's helpers (``expr``,
``call``, ``block``, ``condition``, ``report``), which returns the flow after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eventual.cel import CelSyntaxError, Placeholder, parse_template
from eventual.cel.nodes import Node
from eventual.cel.template import Interpolation
from eventualc.checks.outputs import StepOutputs, null_source
from eventualc.diagnostics import Diagnostic, Note, Span, error
from eventualc.frontend import ir
from eventualc.frontend.source import PathKey
from eventualc.frontend.symbols import Symbols, walk_steps
from eventualc.kinds import KINDS
from eventualc.typecheck.cel import Namespace, infer
from eventualc.typecheck.narrowing import Path, path_of
from eventualc.typecheck.scope import ERROR_TYPE, EXECUTION_TYPE, META_TYPE, Flow, merge
from eventualc.typecheck.values import (
    DOUBLE,
    DURATION,
    DYN,
    INT,
    NULL,
    STRING,
    TIMESTAMP,
    ListOf,
    Object,
    Ref,
    Type,
    TypeEnv,
    Union,
    build_env,
    of_value,
    union,
    without_null,
)  # fmt: skip


def check_expressions(build: ir.Build) -> list[Diagnostic]:
    checker = Checker(Symbols.of(build), build_env(build))
    for service in build.services:
        checker.service = service
        for workflow in service.workflows:
            checker.check_workflow(workflow)
        for subscription in service.subscriptions:
            checker.check_subscription(subscription)
    return checker.diagnostics


@dataclass
class Checker:
    symbols: Symbols
    env: TypeEnv
    diagnostics: list[Diagnostic] = field(default_factory=list)
    service: ir.Service = field(init=False)
    workflow: ir.Workflow = field(init=False)
    outputs: StepOutputs = field(init=False)
    base_scope: dict[str, Type] = field(init=False)
    step_ids: frozenset[str] = field(init=False)
    template_root: PathKey = field(init=False, default=())
    var_names: frozenset[str] = field(init=False)
    non_null: frozenset[Path] = frozenset()  # of the flow whose templates are being typed
    wholes: dict[PathKey, Placeholder] = field(default_factory=dict)  # "${{ x }}" by path
    assigned: dict[str, Type] = field(default_factory=dict)  # every type each var is set to

    # -- scopes -------------------------------------------------------------------------

    def schema_type(self, schema: dict[str, Any] | None, service: str | None = None) -> Type:
        return DYN if schema is None else self.env.of_schema(schema, service or self.service.name)

    def check_subscription(self, subscription: ir.Subscription) -> None:
        """A declarative start's input or signal's payload fits its target (a missing
        one is null), and its execution name is a string."""
        if subscription.workflow is None:
            return
        self.non_null = frozenset()
        event_type = union(*(self.event_type(ref) for ref in subscription.events))
        scope = {"event": event_type, "meta": META_TYPE}
        wanted, what, span = self.subscription_target(subscription)
        field, article = ("payload", "a") if subscription.signal else ("input", "an")
        if subscription.input is not None:
            self.template(subscription.input, scope, wanted, f"the {field} of {what}")
        elif self.env.mismatch(NULL, wanted) is not None:
            message = f"{what} needs {article} {field} of type {self.env.expand(wanted).describe()}"
            self.report("E405", span, message)
        if subscription.execution_name is not None:
            self.template(
                subscription.execution_name, scope, union(STRING, INT), "an execution name"
            )

    def subscription_target(self, subscription: ir.Subscription) -> tuple[Type, str, Span | None]:
        """``(type wanted, what it is, where a missing value is reported)`` of what a
        declarative subscription sends: a workflow's input, or (``signal:``) a signal's
        payload; dynamic when the workflow or signal is unknown (reported elsewhere)."""
        target = self.symbols.workflows.get((self.service.name, str(subscription.workflow)))
        if subscription.signal is None:
            wanted = self.schema_type(target.input) if target else DYN
            span = self.service.locations.value((*subscription.path, "workflow"))
            return wanted, f"workflow '{subscription.workflow}'", span
        declared = {s.name: s.schema for s in target.signals} if target else {}
        schema = declared.get(subscription.signal)
        wanted = self.schema_type(schema) if subscription.signal in declared else DYN
        span = self.service.locations.key((*subscription.path, "signal"))
        return wanted, f"signal '{subscription.workflow}.{subscription.signal}'", span

    def event_type(self, ref: ir.EventRef) -> Type:
        """A named type, so diagnostics say ``OrderCreated`` rather than its fields."""
        return Ref(f"{ref.service}/events/{ref.name}") if self.symbols.event(ref) else DYN

    def check_workflow(self, workflow: ir.Workflow) -> None:
        self.workflow = workflow
        self.outputs = StepOutputs(self.symbols, self.env, self.service, workflow)
        everything = walk_steps(workflow.steps)
        self.step_ids = frozenset(s.id for s in everything if s.id)
        self.var_names = frozenset(var for s in everything for var, _ in s.assignments)
        self.base_scope = {
            "input": self.schema_type(workflow.input),
            "execution": EXECUTION_TYPE,
            "now": TIMESTAMP,
        }
        self.assigned = {}
        self.block(workflow.steps, Flow())
        self.check_queries(workflow)

    def check_queries(self, workflow: ir.Workflow) -> None:
        """Types each query. A query may be asked at any moment, before any step or
        after the end: no step has surely completed (``steps.<id>`` is E403) and each
        variable may be unset (its type is every type it is set to, or null)."""
        self.non_null = frozenset()
        variables = tuple((k, union(t, NULL)) for k, t in self.assigned.items())
        scope = {
            **self.base_scope,
            "steps": Namespace("steps", (), self.step_ids),
            "vars": Namespace("vars", variables, self.var_names),
        }
        for name, template in workflow.queries:
            self.template(template, scope, DYN, f"query '{name}'")

    def scope(self, flow: Flow) -> dict[str, Type]:
        return {
            **self.base_scope,
            "steps": Namespace(
                "steps",
                tuple(
                    (k, Object((("output", t),), frozenset({"output"})))
                    for k, t in flow.steps.items()
                ),
                self.step_ids,
            ),
            "vars": Namespace("vars", tuple(flow.vars.items()), self.var_names),
            **flow.locals,
        }

    # -- steps --------------------------------------------------------------------------

    def block(self, steps: Iterable[ir.Step], flow: Flow) -> Flow:
        for step in steps:
            flow = self.step(step, flow)
        return flow

    def step(self, step: ir.Step, flow: Flow) -> Flow:
        if step.timeout_expr is not None:  # any kind's timeout, evaluated at its start
            self.non_null = flow.non_null
            what = "a timeout (seconds or a duration string)"
            self.template(step.timeout_expr, self.scope(flow), union(DOUBLE, STRING), what)
        after = KINDS[step.kind].check(self, step, flow)
        if step.catch:
            catches = [
                self.block(c.steps, flow.with_locals(**{c.var: ERROR_TYPE})) for c in step.catch
            ]
            after = merge([after, *catches], flow)
        if step.compensate:
            self.block(step.compensate, flow.with_step(step.id, self.outputs.output(step)))
        return after.with_step(step.id, self.outputs.output(step))

    def call(self, step: ir.Step, flow: Flow, wanted: Type, what: str) -> None:
        """Checks the input of a task or child workflow; a missing input is null."""
        assert step.expr is not None
        if step.expr.value is None and self.env.mismatch(NULL, wanted) is not None:
            span = self.service.locations.value((*step.path, step.kind))
            message = f"{what} needs an input of type {self.env.expand(wanted).describe()}"
            self.report("E405", span, message)
            return
        self.expr(step, flow, wanted, f"the input of {what}")

    def condition(self, step: ir.Step) -> Node | None:
        """The expression of an ``if`` written as exactly one ``${{ }}``."""
        parsed = self.parsed(step)
        return parsed.expr if isinstance(parsed, Placeholder) else None

    def parsed(self, step: ir.Step) -> str | Placeholder | Interpolation | None:
        """A step's template when it is a string; ``None`` for a syntax error (reported
        where the template is typed)."""
        text = step.expr.value if step.expr is not None else None
        try:
            return parse_template(text) if isinstance(text, str) else None
        except CelSyntaxError:
            return None

    # -- templates ----------------------------------------------------------------------

    def expr(self, step: ir.Step, flow: Flow, wanted: Type, what: str) -> Type:
        if step.expr is None:
            return DYN
        self.non_null = flow.non_null
        return self.template(step.expr, self.scope(flow), wanted, what)

    def template(
        self, template: ir.Template, scope: dict[str, Type], wanted: Type, what: str
    ) -> Type:
        self.template_root = template.path
        return self.value(template.value, template.path, scope, wanted, what)

    def value(
        self, value: Any, path: PathKey, scope: dict[str, Type], wanted: Type, what: str
    ) -> Type:
        target = self.env.expand(wanted)
        if isinstance(value, dict) and isinstance(target, Object):
            return self.object_value(value, path, scope, target, what)
        if isinstance(value, dict):
            fields = tuple(
                (k, self.value(v, (*path, k), scope, DYN, what)) for k, v in value.items()
            )
            found: Type = Object(fields, frozenset(value))
        elif isinstance(value, list):
            item = target.item if isinstance(target, ListOf) else DYN
            found = ListOf(
                union(*(self.value(v, (*path, i), scope, item, what) for i, v in enumerate(value)))
                if value
                else DYN
            )
        elif isinstance(value, str):
            found = self.string(value, path, scope)
        else:
            found = of_value(value)
        self.fits(found, target, path, what)
        return found

    def object_value(
        self,
        value: dict[str, Any],
        path: PathKey,
        scope: dict[str, Type],
        target: Object,
        what: str,
    ) -> Type:
        for key in sorted(target.required - set(value)):
            self.report(
                "E405",
                self.service.locations.value(path),
                f"{what} is missing required field '{key}'",
            )
        fields = []
        for key, item in value.items():
            wanted = target.field(key)
            if wanted is None:
                self.report(
                    "E405", self.service.locations.key((*path, key)), f"{what} has no field '{key}'"
                )
                wanted = DYN
            fields.append((key, self.value(item, (*path, key), scope, wanted, what)))
        return Object(tuple(fields), frozenset(value))

    def fits(self, found: Type, target: Type, path: PathKey, what: str) -> None:
        if isinstance(found, Object) and isinstance(target, Object):
            return  # literal mappings were checked field by field
        reason = self.env.mismatch(found, target)
        if reason is not None:
            inner = ".".join(map(str, path[len(self.template_root) :]))
            where = f"field '{inner}': " if inner else ""
            message = f"{what} does not fit: {where}{reason}{self.hint(found, target, path)}"
            notes = []
            if not self.env.mismatch(without_null(found, self.env), target):
                notes = self.null_source(path)
            self.report("E405", self.service.locations.value(path), message, *notes)

    def hint(self, found: Type, target: Type, path: PathKey) -> str:
        """How to turn a timestamp or duration into the string expected."""
        expanded = self.env.expand(found)
        options = expanded.options if isinstance(expanded, Union) else (expanded,)
        temporal = [t for t in (TIMESTAMP, DURATION) if t in options]
        if not temporal or self.env.mismatch(STRING, target):
            return ""
        shown = self.wholes[path].source if path in self.wholes else "..."
        form = "an RFC 3339 string" if temporal[0] == TIMESTAMP else "a duration string"
        return f"; write ${{{{ string({shown}) }}}} for {form}"

    def string(self, text: str, path: PathKey, scope: dict[str, Type]) -> Type:
        try:
            parsed = parse_template(text)
        except CelSyntaxError as exc:
            self.report(
                "E406",
                self.service.locations.text(path, exc.offset, 1),
                f"invalid expression: {exc.message}",
            )
            return DYN
        if isinstance(parsed, str):
            return of_value(parsed)
        placeholders = (
            [parsed]
            if isinstance(parsed, Placeholder)
            else [p for p in parsed.parts if isinstance(p, Placeholder)]
        )
        types = []
        for placeholder in placeholders:
            found, problems = infer(placeholder.expr, scope, self.env, self.non_null)
            types.append(found)
            for problem in problems:
                span = self.service.locations.text(
                    path, placeholder.offset + problem.start, problem.end - problem.start
                )
                self.report(problem.code, span, problem.message)
        if isinstance(parsed, Placeholder):
            self.wholes[path] = parsed
            return types[0]
        return STRING

    def null_source(self, path: PathKey) -> list[Note]:
        """For a template ``${{ steps.<id>.output }}``: where a null it gives comes from."""
        read = path_of(self.wholes[path].expr) if path in self.wholes else None
        if read is None or len(read) != 3 or read[0] != "steps" or read[2] != "output":
            return []
        step = next((s for s in walk_steps(self.workflow.steps) if s.id == read[1]), None)
        found = null_source(step, self.outputs) if step is not None else None
        if found is None:
            return []
        message, where = found
        span = self.service.locations.key(where)
        return [Note(f"steps.{read[1]}.output may be null: {message}", span)]

    def report(self, code: str, span: Span | None, message: str, *notes: Note) -> None:
        self.diagnostics.append(error(code, span, message, *notes))
