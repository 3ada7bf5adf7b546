"""User schemas: a spec ``<Schema>`` -> a plain JSON Schema dict, plus diagnostics.

Expands shorthands (``string`` -> ``{type: string}``; a type or event name ->
``{$ref: "#/types/<Name>"}`` / ``{$ref: "#/events/<Name>"}``), inlines references to
files (already read by the source stage) and checks that the keywords it relies on
are well formed. References to named schemas stay references so that models keep
their names. Codes: E107 invalid JSON Schema, W108 unknown keyword, E301 unknown
schema name, E302 unresolvable ``#`` reference, E303 unresolvable file reference,
E304 reference outside the project root, E305 reference cycle, E310 references that
expand too far.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2  # type: ignore[import-untyped]

from eventualc.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from eventualc.frontend.source import Document, PathKey, ref_target

_Target = tuple[Path, str]  # a referenced file and the JSON pointer into it

PRIMITIVES = ("string", "integer", "number", "boolean", "object", "array", "null")
_KEYWORDS = frozenset(
    (
        "$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef",
        "$dynamicAnchor", "$vocabulary", "definitions", "type", "enum", "const", "title",
        "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "format",
        "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "items", "prefixItems", "contains", "minContains",
        "maxContains", "minItems", "maxItems", "uniqueItems", "unevaluatedItems", "properties",
        "patternProperties", "additionalProperties", "propertyNames", "unevaluatedProperties",
        "required", "dependentRequired", "dependentSchemas", "minProperties", "maxProperties",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "contentEncoding",
        "contentMediaType", "contentSchema", "discriminator", "nullable",
    )
)  # fmt: skip
_NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = (
    "items", "additionalProperties", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties",
)  # fmt: skip


# Implementation note: a file reference is resolved once and its schema shared by every
# place that names it; later stages still walk each place, so the total size of what
# references inline into one service is capped.
MAX_INLINED_NODES = 200_000
# Generated models nest one class per level, and Python's parsers recurse per level.
MAX_SCHEMA_DEPTH = 64


@dataclass
class _Inlined:
    """File references of one service resolved so far, shared by nested lowerings."""

    cache: dict[tuple[Path, str], Any] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)
    depths: dict[int, int] = field(default_factory=dict)
    total: int = 0
    over: bool = False
    level: int = 0  # schemas being lowered, one inside the other
    too_deep: bool = False

    def size(self, schema: Any) -> int:
        """Nodes (mappings and lists) of ``schema`` counted as if fully expanded."""
        if not isinstance(schema, dict | list):
            return 0
        known = self.sizes.get(id(schema))
        if known is None:
            children = schema.values() if isinstance(schema, dict) else schema
            known = 1 + sum(self.size(child) for child in children)
            self.sizes[id(schema)] = known
        return known

    def depth(self, schema: Any) -> int:
        """How many schemas deep ``schema`` nests (1 for a schema without subschemas)."""
        if not isinstance(schema, dict):
            return 0
        known = self.depths.get(id(schema))
        if known is None:
            self.depths[id(schema)] = known = 1 + max(
                map(self.depth, _subschemas(schema)), default=0
            )
        return known


@dataclass
class SchemaLowering:
    """Normalizes schemas of one service; ``where(path)`` locates spec paths.

    ``document`` is the referenced file being lowered, if any: a ``#`` reference
    inside it points into that file first (JSON Schema's meaning), then, as in a spec,
    to ``#/types/<Name>`` or ``#/events/<Name>``.
    """

    type_names: frozenset[str]
    event_names: frozenset[str]
    externals: dict[Path, Document]
    root: Path
    where: Callable[[PathKey], Span | None]
    where_key: Callable[[PathKey], Span | None]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    document: Path | None = None
    inlined: _Inlined = field(default_factory=_Inlined)

    def lower(self, value: Any, path: PathKey, base: Path) -> dict[str, Any]:
        if isinstance(value, str):
            return self._shorthand(value, path)
        self.inlined.too_deep = False
        lowered: dict[str, Any] = self._walk(value, path, base, ())
        depth = self.inlined.depth(lowered)
        if depth > MAX_SCHEMA_DEPTH or self.inlined.too_deep:
            deep = f"more than {MAX_SCHEMA_DEPTH}" if self.inlined.too_deep else str(depth)
            message = (
                f"this schema nests {deep} schemas deep; the limit is {MAX_SCHEMA_DEPTH}: "
                "name inner parts as types"
            )
            self.diagnostics.append(error("E109", self.where(path), message))
            return {}
        return lowered

    def _shorthand(self, name: str, path: PathKey) -> dict[str, Any]:
        if name in PRIMITIVES:
            return {"type": name}
        if name in self.type_names:
            return {"$ref": f"#/types/{name}"}
        if name in self.event_names:
            return {"$ref": f"#/events/{name}"}
        hint = did_you_mean(name, [*PRIMITIVES, *self.type_names, *self.event_names])
        self.diagnostics.append(error("E301", self.where(path), f"unknown type '{name}'{hint}"))
        return {}

    def _walk(self, schema: Any, path: PathKey, base: Path, seen: tuple[_Target, ...]) -> Any:
        if isinstance(schema, bool):
            return schema
        if isinstance(schema, str):  # shorthands work inside schemas too: `total: Money`
            return self._shorthand(schema, path)
        if not isinstance(schema, dict):
            self._invalid(path, "a schema must be a mapping, true/false or a shorthand")
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and self._inlines(ref):
            inlined = self._file_ref(ref, path, base, seen)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if not rest:
                return inlined
            return {"allOf": [inlined, self._walk(rest, path, base, seen)]}
        if self.inlined.level >= MAX_SCHEMA_DEPTH:  # stop before Python's stack does
            self.inlined.too_deep = True
            return {}
        self.inlined.level += 1
        result: dict[str, Any] = {}
        for key, value in schema.items():
            result[key] = self._keyword(key, value, (*path, key), base, seen)
        self.inlined.level -= 1
        return result

    def _inlines(self, ref: str) -> bool:
        """Whether ``ref`` is inlined: a file reference, or a pointer into this file."""
        if not ref.startswith("#"):
            return True
        if self.document is None:
            return False
        return _resolve_pointer(self.externals[self.document].data, ref[1:])[0]

    def _keyword(
        self, key: str, value: Any, path: PathKey, base: Path, seen: tuple[_Target, ...]
    ) -> Any:
        if key in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                self._invalid(path, f"'{key}' must be a mapping of schemas")
                return {}
            if key == "patternProperties":
                for pattern in value:
                    self._pattern(pattern, (*path, pattern), self.where_key)
            return {k: self._walk(v, (*path, k), base, seen) for k, v in value.items()}
        if key in _SCHEMA_LISTS:
            if not isinstance(value, list) or not value:
                self._invalid(path, f"'{key}' must be a non-empty list of schemas")
                return []
            return [self._walk(v, (*path, i), base, seen) for i, v in enumerate(value)]
        if key in _SCHEMA_VALUES:
            return self._walk(value, path, base, seen)
        self._check_value(key, value, path)
        return value

    def _check_value(self, key: str, value: Any, path: PathKey) -> None:
        if key == "type":
            names = value if isinstance(value, list) else [value]
            for name in names:
                if name not in PRIMITIVES:
                    hint = did_you_mean(str(name), PRIMITIVES)
                    self._invalid(path, f"unknown type '{name}'{hint}")
        elif key == "required" and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            self._invalid(path, "'required' must be a list of property names")
        elif key == "enum" and not isinstance(value, list):
            self._invalid(path, "'enum' must be a list")
        elif key == "pattern":
            self._pattern(value, path)
        elif key in _NUMBERS and not _finite(value):
            self._invalid(path, f"'{key}' must be a finite number")
        elif key == "multipleOf" and value <= 0:
            self._invalid(path, "'multipleOf' must be greater than 0")
        elif key == "$ref":
            self._local_ref(value, path)
        elif key not in _KEYWORDS and not key.startswith("x-"):
            hint = did_you_mean(key, _KEYWORDS)
            if hint:
                message = f"unknown JSON Schema keyword '{key}'{hint}"
                self.diagnostics.append(warning("W108", self.where_key(path), message))

    def _local_ref(self, ref: Any, path: PathKey) -> None:
        kind, _, name = str(ref).removeprefix("#/").partition("/")
        names = {"types": self.type_names, "events": self.event_names}.get(kind)
        if names is not None and name in names:
            return
        if names is None:
            message = f"cannot resolve '{ref}': use #/types/<Name> or #/events/<Name>"
        else:
            message = f"cannot resolve '{ref}': no {kind[:-1]} '{name}'{did_you_mean(name, names)}"
        self.diagnostics.append(error("E302", self.where(path), message))

    def _file_ref(self, ref: str, path: PathKey, base: Path, seen: tuple[_Target, ...]) -> Any:
        span = self.where((*path, "$ref"))
        located = self._target(ref, base, span)
        if located is None:
            return {}
        target, pointer, document = located
        if (target, pointer) in seen:
            self.diagnostics.append(error("E305", span, f"'{ref}' refers back to itself"))
            return {}
        if (target, pointer) not in self.inlined.cache:
            self.inlined.cache[(target, pointer)] = self._lower_target(
                document, target, pointer, (*seen, (target, pointer))
            )
        result = self.inlined.cache[(target, pointer)]
        if self.document is None:  # counted where the spec places it, nested refs included
            self._count(ref, self.inlined.size(result), span)
        return {} if self.inlined.over else result

    def _count(self, ref: str, size: int, span: Span | None) -> None:
        self.inlined.total += size
        if self.inlined.total > MAX_INLINED_NODES and not self.inlined.over:
            self.inlined.over = True
            message = (
                f"'{ref}' expands to {size:,} schema nodes, past the limit of "
                f"{MAX_INLINED_NODES:,} a service's file references may inline; "
                "share a named type instead"
            )
            self.diagnostics.append(error("E310", span, message))

    def _target(self, ref: str, base: Path, span: Span | None) -> tuple[Path, str, Document] | None:
        """The file, pointer and document ``ref`` names, or ``None`` after an error."""
        target = self.document if ref.startswith("#") and self.document else ref_target(ref, base)
        if not target.is_relative_to(self.root):
            self.diagnostics.append(error("E304", span, f"'{ref}' leaves the project root"))
            return None
        document = self.externals.get(target)
        if document is None:
            self.diagnostics.append(error("E303", span, f"cannot resolve '{ref}': no such file"))
            return None
        pointer = ref.partition("#")[2]
        if not _resolve_pointer(document.data, pointer)[0]:
            message = f"cannot resolve '{ref}': no '{pointer}' in {document.file.display}"
            self.diagnostics.append(error("E303", span, message))
            return None
        return target, pointer, document

    def _lower_target(
        self, document: Document, target: Path, pointer: str, seen: tuple[_Target, ...]
    ) -> Any:
        # Problems inside the referenced file are located in that file.
        where = document.locations
        nested = SchemaLowering(
            self.type_names, self.event_names, self.externals, self.root, where.value,
            where.key, document=target, inlined=self.inlined,
        )  # fmt: skip
        value = _resolve_pointer(document.data, pointer)[1]
        result = nested._walk(value, _pointer_path(pointer), target.parent, seen)
        self.diagnostics.extend(nested.diagnostics)
        return result

    def _pattern(
        self, pattern: Any, path: PathKey, where: Callable[[PathKey], Span | None] | None = None
    ) -> None:
        problem = "it must be a string" if not isinstance(pattern, str) else pattern_error(pattern)
        if problem:
            message = f"invalid JSON Schema: pattern {pattern!r} is not supported: {problem}"
            self.diagnostics.append(error("E107", (where or self.where)(path), message))

    def _invalid(self, path: PathKey, message: str) -> None:
        self.diagnostics.append(error("E107", self.where(path), f"invalid JSON Schema: {message}"))


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # errors are diagnostics, not lines on stderr


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2, which matches in linear time (no backtracking);
    raises ``re2.error`` for what RE2 does not support (backreferences, lookaround)."""
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_error(pattern: str) -> str | None:
    """Why RE2 cannot use ``pattern``, or ``None`` when it can."""
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        return f"{text} (patterns are RE2: no backreferences or lookaround)"
    return None


_OPENING = ("additionalProperties", "unevaluatedProperties", "patternProperties")


def closed(schema: Any, keyword: str, open_refs: str | None = None, part: bool = False) -> Any:
    """``schema`` with every object that declares ``properties`` (and nothing that opens
    it) closed by ``keyword: false``, as the spec language defines objects.

    ``additionalProperties`` closes each object by itself: pydantic models, where a
    class built from an ``allOf`` inherits its parts' fields. ``unevaluatedProperties``
    closes an ``allOf`` as a whole for a JSON Schema validator: its parts stay open,
    and their ``#/...`` references go to ``#/<open_refs>/...``, an open copy.
    """
    if not isinstance(schema, dict):
        return schema
    result = {key: _closed_keyword(key, value, keyword, open_refs) for key, value in schema.items()}
    ref = result.get("$ref")
    if part and open_refs and isinstance(ref, str) and ref.startswith("#/"):
        result["$ref"] = f"#/{open_refs}/{ref[2:]}"
    whole = keyword == "additionalProperties" or not part
    declares = "properties" in schema or (keyword != "additionalProperties" and "allOf" in schema)
    if whole and declares and not any(k in schema for k in _OPENING):
        result[keyword] = False
    return result


def _closed_keyword(key: str, value: Any, keyword: str, open_refs: str | None) -> Any:
    if key in _SCHEMA_MAPS and isinstance(value, dict):
        return {k: closed(v, keyword, open_refs) for k, v in value.items()}
    if key in _SCHEMA_LISTS and isinstance(value, list):
        part = key == "allOf"
        return [closed(v, keyword, open_refs, part) for v in value]
    if key in _SCHEMA_VALUES:
        return closed(value, keyword, open_refs)
    return value


def _subschemas(schema: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            found += value.values()
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            found += value
        elif key in _SCHEMA_VALUES:
            found.append(value)
    return found


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pointer_path(pointer: str) -> PathKey:
    if pointer in ("", "/"):
        return ()
    return tuple(
        raw.replace("~1", "/").replace("~0", "~") for raw in pointer.lstrip("/").split("/")
    )


def _resolve_pointer(data: Any, pointer: str) -> tuple[bool, Any]:
    for part in _pointer_path(pointer):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and str(part).isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _direct_refs(schema: Any) -> list[str]:
    """Named schemas that ``schema`` is made of directly: its own ``$ref`` and the pure
    references in a top-level ``allOf``/``anyOf``/``oneOf`` (a model cannot contain
    itself that way, only through a property or an item)."""
    if not isinstance(schema, dict):
        return []
    parts = [schema, *(p for k in ("allOf", "anyOf", "oneOf") for p in schema.get(k, ()))]
    refs = [p.get("$ref") for p in parts if isinstance(p, dict)]
    return [r.removeprefix("#/").replace("/", ":", 1) for r in refs if isinstance(r, str)]


def alias_cycles(named: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Loops of named schemas made directly of each other (they cannot become models)."""
    edges = {
        name: [r for r in _direct_refs(schema) if r in named] for name, schema in named.items()
    }
    cycles: list[list[str]] = []
    reported: set[str] = set()
    for start in sorted(named):
        chain = _loop_from(start, edges)
        if chain and not reported & set(chain):
            reported.update(chain)
            cycles.append(chain)
    return cycles


def _loop_from(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A path of direct references from ``start`` back to itself (depth first)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, chain = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return chain
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, [*chain, nxt]))
    return None
