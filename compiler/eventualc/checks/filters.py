"""Filters: subscription and ``wait_for_event`` ``filter`` values against EventBridge
pattern syntax and schemas.

A filter is the ``detail`` part of an Amazon EventBridge event pattern: nested
mappings by field, leaves are lists of matchers (values, ``prefix``, ``suffix``,
``anything-but``, ``numeric``, ``exists``, ``equals-ignore-case``, ``wildcard``,
``cidr``), ``$or`` lists of patterns. Every field must exist in every subscribed
event's schema, with a type that fits its matchers (an array field is matched by its
elements, as EventBridge does). E501 malformed filter, E502 unknown field,
E503 a matcher that does not fit the field's type, E504 wildcards EventBridge rejects as
too complex (``eventual.patterns.complexity``).

``$or`` reads as EventBridge reads it: a list of two or more patterns is a disjunction;
anything else (the legacy ``{"$or": {...}}``, or a list of matchers) makes ``$or`` an
ordinary field name, which the subscribed events must then have.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventual.patterns.syntax import or_is_disjunction
from eventualc.diagnostics import Diagnostic, did_you_mean, error
from eventualc.frontend import ir
from eventualc.frontend.symbols import Symbols, key_span, value_span, walk_steps
from eventualc.typecheck.values import (
    DYN,
    ListOf,
    MapOf,
    Object,
    Scalar,
    Type,
    TypeEnv,
    Union,
    build_env,
)

OPERATORS = (
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "equals-ignore-case",
    "wildcard",
    "cidr",
)
_STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard", "cidr")
_NUMERIC_OPS = ("<", "<=", "=", ">", ">=")
Fields = list[tuple[str, Type]]  # (event name, type of the field in that event)


@dataclass(frozen=True)
class Filtered:
    """A filter with the events it reads: a subscription's, or a wait_for_event step's."""

    path: tuple[str | int, ...]
    filter: dict[str, Any] | None
    events: tuple[ir.EventRef, ...]


def _filtered(service: ir.Service) -> Iterator[Filtered]:
    for sub in service.subscriptions:
        yield Filtered(sub.path, sub.filter, sub.events)
    for workflow in service.workflows:
        for step in walk_steps(workflow.steps):
            if step.kind == "wait_for_event" and isinstance(step.target, ir.EventRef):
                yield Filtered(step.path, step.filter, (step.target,))


def check_filters(build: ir.Build) -> list[Diagnostic]:
    symbols, env = Symbols.of(build), build_env(build)
    diagnostics: list[Diagnostic] = []
    for service in build.services:
        for subscription in _filtered(service):
            if subscription.filter is None:
                continue
            fields: Fields = []
            for ref in subscription.events:
                event = symbols.event(ref)
                if event is not None:
                    shown = ref.name if ref.service == service.name else ref.qualified
                    fields.append((shown, env.expand(env.of_schema(event.schema, ref.service))))
            checker = _FilterCheck(service, env)
            checker.pattern(subscription.filter, (*subscription.path, "filter"), fields, "")
            diagnostics += checker.diagnostics or _runtime_rejects(service, subscription)
    return diagnostics


@dataclass
class _FilterCheck:
    service: ir.Service
    env: TypeEnv
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self, code: str, path: tuple[str | int, ...], message: str, key: bool = False
    ) -> None:
        span = key_span(self.service, path) if key else value_span(self.service, path)
        self.diagnostics.append(error(code, span, message))

    def pattern(
        self, pattern: Any, path: tuple[str | int, ...], fields: Fields, prefix: str
    ) -> None:
        if not isinstance(pattern, dict) or not pattern:
            self.report("E501", path, "a filter pattern must be a non-empty mapping of fields")
            return
        for key, value in pattern.items():
            here = (*path, key)
            if key == "$or" and or_is_disjunction(value):
                for i, option in enumerate(value):
                    self.pattern(option, (*here, i), fields, prefix)
                continue
            if key == "$or" and isinstance(value, list) and not _matcher_list(value):
                self.report(
                    "E501",
                    here,
                    "'$or' takes a list of at least two patterns, none using an operator "
                    "name such as 'prefix' as a field",
                )
                continue
            name = f"{prefix}{key}"
            children = self.field(fields, key, name, here)
            if isinstance(value, dict):
                self.pattern(value, here, [(e, self.elements(t)) for e, t in children], f"{name}.")
            elif isinstance(value, list) and value:
                for i, matcher in enumerate(value):
                    self.matcher(matcher, (*here, i), children, name)
            else:
                self.report(
                    "E501",
                    here,
                    f"filter field '{name}' needs a non-empty list of matchers or a nested mapping",
                )

    def field(self, fields: Fields, key: str, name: str, path: tuple[str | int, ...]) -> Fields:
        found: Fields = []
        for event, t in fields:
            t = self.elements(t)
            if isinstance(t, Object):
                child = t.field(key)
                if child is None:
                    hint = did_you_mean(key, [k for k, _ in t.fields])
                    self.report(
                        "E502", path, f"event '{event}' has no field '{name}'{hint}", key=True
                    )
                    continue
                found.append((event, self.env.expand(child)))
            elif isinstance(t, MapOf):
                found.append((event, self.env.expand(t.value)))
            elif t == DYN or isinstance(t, Union):
                found.append((event, DYN))
            else:
                self.report(
                    "E503",
                    path,
                    f"'{name}' is inside a {t.describe()} in event '{event}', not an object",
                    key=True,
                )
        return found

    def elements(self, t: Type) -> Type:
        t = self.env.expand(t)
        while isinstance(t, ListOf):
            t = self.env.expand(t.item)
        return t

    def matcher(self, matcher: Any, path: tuple[str | int, ...], fields: Fields, name: str) -> None:
        if isinstance(matcher, dict):
            self.operator(matcher, path, fields, name)
        elif isinstance(matcher, list):
            self.report("E501", path, "a matcher cannot be a list")
        else:
            self.value(matcher, path, fields, name)

    def value(self, value: Any, path: tuple[str | int, ...], fields: Fields, name: str) -> None:
        if value is None:
            return
        kind = (
            "bool" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"
        )
        for event, t in fields:
            t = self.elements(t)
            if not _accepts(t, kind):
                self.report(
                    "E503",
                    path,
                    f"{_show(value)} can never match '{name}' ({t.describe()}) of event '{event}'",
                )
            elif isinstance(t, Scalar) and t.enum is not None and value not in t.enum:
                self.report(
                    "E503", path, f"{_show(value)} is not a value of '{name}' in event '{event}'"
                )

    def operator(
        self, matcher: dict[str, Any], path: tuple[str | int, ...], fields: Fields, name: str
    ) -> None:
        if len(matcher) != 1:
            self.report("E501", path, "a matcher mapping has exactly one operator")
            return
        op, arg = next(iter(matcher.items()))
        here = (*path, op)
        if op not in OPERATORS:
            self.report(
                "E501",
                here,
                f"unknown filter operator '{op}'{did_you_mean(op, OPERATORS)}",
                key=True,
            )
        elif op == "exists":
            if not isinstance(arg, bool):
                self.report("E501", here, "'exists' takes true or false")
        elif op == "numeric":
            if _numeric_ok(arg):
                self.need(fields, "number", op, here, name)
            else:
                self.report(
                    "E501",
                    here,
                    "'numeric' takes [op, number] or [op, number, op, number], "
                    "op one of < <= = > >=",
                )
        elif op == "anything-but":
            self.anything_but(arg, here, fields, name)
        elif _string_arg(op, arg):
            self.need(fields, "string", op, here, name)
        else:
            self.report("E501", here, f"'{op}' takes a string")

    def anything_but(
        self, arg: Any, path: tuple[str | int, ...], fields: Fields, name: str
    ) -> None:
        if isinstance(arg, dict):
            nested_op = next(iter(arg), "")
            if (
                len(arg) == 1
                and nested_op in _STRING_OPERATORS
                and _string_arg(nested_op, arg[nested_op], many=True)
            ):
                self.need(fields, "string", "anything-but", path, name)
            else:
                self.report(
                    "E501",
                    path,
                    "'anything-but' takes a value, a list of values, or one of prefix, "
                    "suffix, equals-ignore-case, wildcard",
                )
            return
        values = arg if isinstance(arg, list) else [arg]
        if not values or any(isinstance(v, dict | list) for v in values):
            self.report("E501", path, "'anything-but' takes a value or a non-empty list of values")
            return
        for i, value in enumerate(values):
            self.value(value, (*path, i) if isinstance(arg, list) else path, fields, name)

    def need(
        self, fields: Fields, kind: str, op: str, path: tuple[str | int, ...], name: str
    ) -> None:
        for event, t in fields:
            t = self.elements(t)
            if not _accepts(t, kind):
                self.report(
                    "E503",
                    path,
                    f"'{op}' needs a {kind} but '{name}' of event '{event}' is {t.describe()}",
                    key=True,
                )


def _runtime_rejects(service: ir.Service, subscription: Filtered) -> list[Diagnostic]:
    """The runtime's own validation, so a filter that checks here also runs everywhere,
    and EventBridge's limit on wildcards."""
    from eventual.patterns import MAX_WILDCARD_COMPLEXITY, PatternError, complexity

    where = (*subscription.path, "filter")
    pattern = subscription.filter or {}
    try:
        score, field_path = complexity(pattern)
    except PatternError as exc:
        return [error("E501", value_span(service, (*where, *exc.at)), f"invalid filter: {exc}")]
    if score <= MAX_WILDCARD_COMPLEXITY:
        return _rule_rejects(service, subscription)
    name = ".".join(field_path)
    message = (
        f"the wildcards of '{name}' are too complex for EventBridge (complexity over "
        f"{MAX_WILDCARD_COMPLEXITY}): use fewer wildcards, or fewer repeated characters "
        "after a wildcard"
    )
    at = _field_at(pattern, field_path, ())
    return [error("E504", key_span(service, (*where, *at)), message)]


def _rule_rejects(service: ir.Service, subscription: Filtered) -> list[Diagnostic]:
    """The whole EventBridge rule of a subscription to several services' events joins them
    with ``$or``, which EventBridge cannot mix with ``$or`` as a field name."""
    from eventual.patterns import PatternError, rule_pattern

    pairs = [(ref.service, ref.name) for ref in subscription.events]
    if len({source for source, _ in pairs}) < 2:
        return []
    try:
        rule_pattern(pairs, subscription.filter)
    except PatternError:
        message = (
            "'$or' is a field name in this filter, which EventBridge cannot mix with the "
            "'$or' that joins the events of several services in one rule: write '$or' as "
            "a list of patterns, or subscribe to one service's events"
        )
        return [error("E501", value_span(service, (*subscription.path, "filter")), message)]
    return []


def _field_at(
    pattern: dict[str, Any], path: tuple[str, ...], at: tuple[str | int, ...]
) -> tuple[str | int, ...]:
    """Where field ``path`` (dotted, without ``$or`` levels) is first written in ``pattern``."""
    for key, value in pattern.items():
        if key == "$or" and or_is_disjunction(value):
            for i, branch in enumerate(value):
                found = _field_at(branch, path, (*at, key, i))
                if found:
                    return found
        elif path[:1] == (key,):
            if len(path) == 1:
                return (*at, key)
            if isinstance(value, dict) and (found := _field_at(value, path[1:], (*at, key))):
                return found
    return ()


def _matcher_list(values: list[Any]) -> bool:
    """Whether a list reads as matchers (so a ``$or`` holding it is a field name)."""
    return all(
        not isinstance(v, dict) or (len(v) == 1 and next(iter(v)) in OPERATORS) for v in values
    )


def _accepts(t: Type, kind: str) -> bool:
    if t == DYN:
        return True
    if isinstance(t, Union):
        return any(_accepts(o, kind) for o in t.options)
    if not isinstance(t, Scalar):
        return False
    if kind == "number":
        return t.kind in ("int", "double")
    return t.kind == kind


def _string_arg(op: str, arg: Any, many: bool = False) -> bool:
    if isinstance(arg, str):
        return True
    if many and isinstance(arg, list):
        return bool(arg) and all(isinstance(a, str) for a in arg)
    if op in ("prefix", "suffix") and isinstance(arg, dict) and list(arg) == ["equals-ignore-case"]:
        return isinstance(arg["equals-ignore-case"], str)
    return False


def _numeric_ok(arg: Any) -> bool:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        return False
    ops, numbers = arg[0::2], arg[1::2]
    if any(o not in _NUMERIC_OPS for o in ops):
        return False
    if any(isinstance(n, bool) or not isinstance(n, int | float) for n in numbers):
        return False
    if len(arg) == 4:
        return ops[0] in (">", ">=") and ops[1] in ("<", "<=") and numbers[0] < numbers[1]
    return True


def _show(value: Any) -> str:
    return (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
