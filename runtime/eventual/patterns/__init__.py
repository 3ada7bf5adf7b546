"""Amazon EventBridge event patterns: matching, compiling, and the rule pattern of the AWS stack.

One package decides which events a subscription receives everywhere: every runtime
routes events with :func:`compile_pattern` (compiled once per subscription;
:func:`matches` is the unoptimized reference it is tested against), and the generated
CDK stack puts :func:`rule_pattern` into its ``AWS::Events::Rule``, whose matches
:func:`matches_envelope` reproduces locally.

Semantics (the EventBridge user guide, "Event patterns" and "Comparison operators",
as implemented by AWS's matcher, github.com/aws/event-ruler):

* A pattern is a non-empty object. A field's value is either a nested object (every
  field must match: AND) or a non-empty list of matchers (any may match: OR).
  ``"$or": [pattern, pattern, ...]`` (two or more, using no matcher name as a field)
  at any level matches if any branch does; it multiplies into at most 1000
  combinations. Otherwise ``$or`` is an ordinary field name (event-ruler's legacy
  reading): ``{"$or": {"a": [1]}}`` matches ``{"$or": {"a": 1}}``.
* The event is seen as its leaf values by path. An object is not a leaf; arrays are
  crossed ("crushed"), so a list matcher matches if ANY element matches, and a
  nested object matches inside the elements of an array of objects. Fields from
  different elements of the same array never combine in one match.
* Exact values: strings (case-sensitive; ``""`` and ``null`` are different), numbers
  (compared as numbers: ``5`` matches ``5.0``, when exactly a float64 in their
  shortest form; others only match the same integer), ``true``, ``false``, ``null``.
  A string that is an IP address also matches other spellings of the same address
  (``10.0.0.01`` is ``10.0.0.1``).
* ``prefix``, ``suffix`` (each also as ``{"equals-ignore-case": s}``),
  ``equals-ignore-case`` and ``wildcard`` (``*`` is any run of characters, ``\\*`` a
  star, ``\\\\`` a backslash) and ``cidr`` (IPv4 and IPv6) only match strings;
  ``numeric`` (``["=", n]``, one comparison, or a ``>``/``>=`` then ``<``/``<=``
  range, of numbers that are exactly a float64 in their shortest form: not 2**63) only
  matches JSON numbers that are such a float64.
* ``anything-but`` takes a string, a number, a list of strings or of numbers, or
  ``{"prefix"|"suffix"|"equals-ignore-case"|"wildcard": s or [s, ...]}``. It matches
  any value of the field (of any type, ``null`` included) that is not excluded; a
  missing field has no value, so it never matches.
* ``exists: true`` matches a field with a leaf value (``null`` included);
  ``exists: false`` matches when there is none: the field is missing, is an object,
  or is an empty array. Absence is judged like EventBridge does: against the array
  elements already chosen by the fields sorted before it.

Patterns EventBridge would reject raise :class:`PatternError` (a ``ValueError``,
located by its ``at``). Events are JSON values (dicts, lists, str, int, float, bool,
None). Matching takes time linear in the event's values, whatever the pattern.

The package's modules: ``syntax`` (validation, ``$or`` expansion, the legacy ``$or``
field), ``scalars`` (wildcards, case, addresses, numbers), ``reference`` (the direct
reading, the oracle of the tests), ``compiled`` (what runtimes use) and
``complexity`` (the wildcard limit ``eventualc check`` applies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from eventual.patterns.compiled import compile_rules
from eventual.patterns.complexity import MAX_WILDCARD_COMPLEXITY, Complexity, wildcard_complexity
from eventual.patterns.reference import reference_match
from eventual.patterns.syntax import MAX_COMBINATIONS, PatternError, expand

__all__ = [
    "MAX_COMBINATIONS",
    "MAX_WILDCARD_COMPLEXITY",
    "Complexity",
    "PatternError",
    "cloudformation_event_pattern",
    "compile_pattern",
    "complexity",
    "matches",
    "matches_envelope",
    "rule_pattern",
]


def compile_pattern(pattern: Mapping[str, Any]) -> Callable[[Any], bool]:
    """Validate ``pattern`` once and return a fast ``event -> bool`` matcher."""
    return compile_rules(expand(pattern))


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches ``pattern``, as EventBridge decides it.

    A direct, unoptimized reading of the semantics (the reference that
    :func:`compile_pattern` is tested against); compile once for repeated use.
    """
    return reference_match(expand(pattern), event)


@overload
def rule_pattern(
    source: str, detail_types: Sequence[str], detail_filter: Mapping[str, Any] | None = None, /
) -> dict[str, Any]: ...
@overload
def rule_pattern(
    events: Iterable[tuple[str, str]], detail_filter: Mapping[str, Any] | None = None, /
) -> dict[str, Any]: ...
def rule_pattern(first: Any, second: Any = None, third: Any = None, /) -> dict[str, Any]:
    """The full EventBridge rule pattern for a subscription (``AWS::Events::Rule``).

    ``rule_pattern(events, detail_filter)`` takes the subscribed events as
    ``(source, detail_type)`` pairs, the source being the emitting service's name;
    ``rule_pattern(source, detail_types, detail_filter)`` is the one-service form.
    Events of one service give ``{"source": [s], "detail-type": [...], "detail": f}``;
    events of several give ``{"$or": [{"source": [s1], "detail-type": [...]}, ...],
    "detail": f}`` so that no detail type is accepted from the wrong service.
    ``detail`` is omitted without a filter. Order follows the input; duplicates are
    dropped. Raises :class:`PatternError` if the result is not a valid pattern.
    """
    if isinstance(first, str):
        if isinstance(second, str) or second is None:
            raise TypeError("rule_pattern(source, detail_types, ...) needs a list of detail types")
        pairs = [(first, detail_type) for detail_type in second]
        detail_filter = third
    else:
        if third is not None:
            raise TypeError("rule_pattern(events, detail_filter) takes two arguments")
        pairs = list(first)
        detail_filter = second
    by_source: dict[str, list[str]] = {}
    for source, detail_type in pairs:
        if not (
            source and detail_type and isinstance(source, str) and isinstance(detail_type, str)
        ):
            raise PatternError(f"bad (source, detail-type) pair: {(source, detail_type)!r}")
        listed = by_source.setdefault(source, [])
        if detail_type not in listed:
            listed.append(detail_type)
    if not by_source:
        raise PatternError("a rule pattern needs at least one event")
    parts = [{"source": [s], "detail-type": types} for s, types in by_source.items()]
    pattern: dict[str, Any] = parts[0] if len(parts) == 1 else {"$or": parts}
    if detail_filter is not None:
        pattern["detail"] = _plain(detail_filter)
    expand(pattern)  # validate
    return pattern


def matches_envelope(rule: Mapping[str, Any], envelope: Mapping[str, Any]) -> bool:
    """Apply a full rule pattern (see :func:`rule_pattern`) to a full EventBridge
    envelope ``{"version", "id", "source", "detail-type", "time", ..., "detail"}``.

    Compiled rules are cached by their JSON text; a hot path can also keep
    ``compile_pattern(rule)``.
    """
    import json

    key = json.dumps(rule, separators=(",", ":"), default=repr)
    run = _RULE_CACHE.get(key)
    if run is None:
        if len(_RULE_CACHE) >= 512:
            _RULE_CACHE.clear()
        run = _RULE_CACHE[key] = compile_pattern(rule)
    return run(envelope)


def cloudformation_event_pattern(pattern: Mapping[str, Any]) -> dict[str, Any] | str:
    """``pattern`` as a CloudFormation ``EventPattern`` value.

    CloudFormation rejects ``null`` in templates ("'null' values are not allowed in
    templates"); the EventBridge guide's workaround is to give the pattern as a JSON
    string, which this returns when the pattern contains ``null``.
    """
    import json

    plain = _plain(pattern)
    return json.dumps(plain, separators=(",", ":")) if _has_null(plain) else plain


def complexity(pattern: Mapping[str, Any]) -> Complexity:
    """The wildcard complexity of a valid pattern and the field it is on (see
    ``eventual.patterns.complexity``); EventBridge rejects a score above
    ``MAX_WILDCARD_COMPLEXITY``. Raises :class:`PatternError` if the pattern is invalid.
    """
    return wildcard_complexity(expand(pattern), cap=MAX_WILDCARD_COMPLEXITY + 1)


_RULE_CACHE: dict[str, Callable[[Any], bool]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return value is None
