"""Static types of JSON values, derived from JSON Schemas, for expressions and filters.

``TypeEnv.of_schema`` turns a (lowered) JSON Schema into a ``Type``; references to
named schemas stay ``Ref`` nodes, expanded on demand so recursive types work.
``TypeEnv.fits`` decides whether a value of one type always fits another, by
structure: an inline object fits a named type of the same shape. Objects that
declare ``properties`` are closed unless ``additionalProperties`` says otherwise.
Anything untyped is ``DYN`` and fits everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventualc.diagnostics import did_you_mean


@dataclass(frozen=True, slots=True)
class Type:
    """Base of all types; ``describe`` gives the name users read in diagnostics."""

    def describe(self) -> str:
        raise NotImplementedError


_SHOWN = {"dyn": "any", "double": "number"}


@dataclass(frozen=True, slots=True)
class Scalar(Type):
    kind: str  # dyn null bool int double string bytes timestamp duration
    enum: tuple[Any, ...] | None = None

    def describe(self) -> str:
        """The name users read: JSON Schema's ``number`` for CEL's ``double``."""
        return _SHOWN.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class ListOf(Type):
    item: Type

    def describe(self) -> str:
        return f"list({self.item.describe()})"


@dataclass(frozen=True, slots=True)
class MapOf(Type):
    value: Type

    def describe(self) -> str:
        return f"map(string, {self.value.describe()})"


@dataclass(frozen=True, slots=True)
class Object(Type):
    fields: tuple[tuple[str, Type], ...]
    required: frozenset[str]
    extra: Type | None = None  # None: closed
    name: str | None = None

    def field(self, name: str) -> Type | None:
        for key, value in self.fields:
            if key == name:
                return value
        return self.extra

    def describe(self) -> str:
        if self.name:
            return self.name
        return "{" + ", ".join(k for k, _ in self.fields) + "}"


@dataclass(frozen=True, slots=True)
class Union(Type):
    options: tuple[Type, ...]

    def describe(self) -> str:
        return " | ".join(o.describe() for o in self.options)


@dataclass(frozen=True, slots=True)
class Ref(Type):
    target: str  # "<service>/types/<Name>" or "<service>/events/<Name>"

    def describe(self) -> str:
        return self.target.rsplit("/", 1)[1]


DYN = Scalar("dyn")
NULL = Scalar("null")
BOOL = Scalar("bool")
INT = Scalar("int")
DOUBLE = Scalar("double")
STRING = Scalar("string")
BYTES = Scalar("bytes")
TIMESTAMP = Scalar("timestamp")
DURATION = Scalar("duration")
# What a block that cannot complete (it ends in `fail` or `return`) gives: no value at
# all. It fits every type and disappears from unions.
NEVER = Scalar("never")
NUMERIC = frozenset({"int", "double"})
_JSON_TYPES = {"null": NULL, "boolean": BOOL, "integer": INT, "number": DOUBLE, "string": STRING}


def union(*types: Type) -> Type:
    """The union of ``types``, flattened, without duplicates; ``DYN`` absorbs all and
    ``NEVER`` adds nothing (the union of no types is ``NULL``)."""
    flat: list[Type] = []
    for t in types:
        for option in t.options if isinstance(t, Union) else (t,):
            if option == DYN:
                return DYN
            if option is not NEVER and option not in flat:
                flat.append(option)
    if not flat:
        return NEVER if types else NULL
    return flat[0] if len(flat) == 1 else Union(tuple(flat))


def without_null(t: Type, env: TypeEnv) -> Type:
    """``t`` once a value of it is known not to be null."""
    t = env.expand(t)
    if t == NULL:
        return NEVER
    return union(*(o for o in t.options if o != NULL)) if isinstance(t, Union) else t


def of_value(value: Any) -> Type:
    """The type of a literal JSON value."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, str):
        return Scalar("string", (value,))  # a literal keeps its value for enum checks
    if isinstance(value, list):
        return ListOf(union(*(of_value(v) for v in value)) if value else DYN)
    fields = tuple((k, of_value(v)) for k, v in value.items())
    return Object(fields, frozenset(value))


def build_env(build: Any) -> TypeEnv:
    """The ``TypeEnv`` of every named schema of an ``ir.Build``."""
    named: dict[str, dict[str, Any]] = {}
    for service in build.services:
        named.update({f"{service.name}/types/{t.name}": t.schema for t in service.types})
        named.update({f"{service.name}/events/{e.name}": e.schema for e in service.events})
    return TypeEnv(named)


@dataclass
class TypeEnv:
    """Named schemas of a build (``<service>/types/<Name>``, ``<service>/events/<Name>``)."""

    named: dict[str, dict[str, Any]]
    _cache: dict[str, Type] = field(default_factory=dict)

    def expand(self, t: Type) -> Type:
        """``t`` with a top-level reference replaced by what it names."""
        seen = set()
        while isinstance(t, Ref) and t.target not in seen:
            seen.add(t.target)
            if t.target not in self._cache:
                self._cache[t.target] = DYN  # a schema reached again while expanding is dynamic
                schema = self.named.get(t.target, {})
                service, _, name = t.target.partition("/")
                self._cache[t.target] = self.of_schema(schema, service, name.split("/")[1])
            t = self._cache[t.target]
        return DYN if isinstance(t, Ref) else t

    def of_schema(self, schema: Any, service: str, name: str | None = None) -> Type:
        """The type of values valid under ``schema``, a schema of ``service``."""
        if not isinstance(schema, dict) or not schema:
            return DYN
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            return Ref(f"{service}/{ref[2:]}")
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return union(*(self.of_schema(s, service) for s in schema[key]))
        if "allOf" in schema:
            parts = [self.expand(self.of_schema(s, service)) for s in schema["allOf"]]
            return parts[0] if len(parts) == 1 else _intersect(parts)
        if "const" in schema:
            const = of_value(schema["const"])
            return Scalar(const.kind, (schema["const"],)) if isinstance(const, Scalar) else const
        if "enum" in schema and isinstance(schema["enum"], list):
            values = tuple(schema["enum"])
            kinds = {t.kind for t in map(of_value, values) if isinstance(t, Scalar)}
            if len(kinds) == 1 and all(isinstance(of_value(v), Scalar) for v in values):
                return Scalar(kinds.pop(), values)
            return union(*(of_value(v) for v in values))
        declared = schema.get("type")
        if declared is None:
            declared = (
                "object" if "properties" in schema else "array" if "items" in schema else None
            )
        if isinstance(declared, list):
            return union(*(self.of_schema({**schema, "type": t}, service) for t in declared))
        return self._typed(declared, schema, service, name)

    def _typed(
        self, declared: str | None, schema: dict[str, Any], service: str, name: str | None
    ) -> Type:
        if declared == "array":
            return ListOf(self.of_schema(schema.get("items"), service))
        if declared == "object":
            extra = schema.get("additionalProperties")
            extra_type = (
                None
                if extra is False
                else DYN
                if extra in (None, True)
                else self.of_schema(extra, service)
            )
            if "properties" not in schema:
                return MapOf(extra_type or DYN)
            fields = tuple((k, self.of_schema(v, service)) for k, v in schema["properties"].items())
            closed = extra is None or extra is False
            return Object(
                fields, frozenset(schema.get("required", ())), None if closed else extra_type, name
            )
        return _JSON_TYPES.get(declared or "", DYN)

    def mismatch(
        self, src: Type, dst: Type, seen: frozenset[tuple[Type, Type]] = frozenset()
    ) -> str | None:
        """Why a ``src`` value may not fit ``dst``, or ``None`` when it always does."""
        src, dst = self.expand(src), self.expand(dst)
        if src is NEVER or src == DYN or dst == DYN or (src, dst) in seen:
            return None
        seen = seen | {(src, dst)}
        if isinstance(src, Union):
            return next((r for o in src.options if (r := self.mismatch(o, dst, seen))), None)
        if isinstance(dst, Union):
            if any(self.mismatch(src, o, seen) is None for o in dst.options):
                return None
            return f"expected {dst.describe()}, got {src.describe()}"
        if isinstance(src, Scalar) and isinstance(dst, Scalar):
            return _scalar_mismatch(src, dst)
        if isinstance(src, ListOf) and isinstance(dst, ListOf):
            reason = self.mismatch(src.item, dst.item, seen)
            return f"list item: {reason}" if reason else None
        if isinstance(src, Object) and isinstance(dst, Object | MapOf):
            return self._object_mismatch(src, dst, seen)
        if isinstance(src, MapOf) and isinstance(dst, MapOf | Object):
            targets = [dst.value] if isinstance(dst, MapOf) else [t for _, t in dst.fields]
            return next((r for t in targets if (r := self.mismatch(src.value, t, seen))), None)
        return f"expected {dst.describe()}, got {src.describe()}"

    def _object_mismatch(
        self, src: Object, dst: Object | MapOf, seen: frozenset[tuple[Type, Type]]
    ) -> str | None:
        if isinstance(dst, Object):
            present = dict(src.fields)
            for key in sorted(dst.required):
                if key not in present:
                    return f"missing required field '{key}'"
                if key not in src.required:
                    return f"required field '{key}' may be missing"
        for key, value in src.fields:
            target = dst.value if isinstance(dst, MapOf) else dst.field(key)
            if target is None:
                return f"unknown field '{key}'"
            reason = self.mismatch(value, target, seen)
            if reason:
                return f"field '{key}': {reason}"
        return None


def _scalar_mismatch(src: Scalar, dst: Scalar) -> str | None:
    if src.kind != dst.kind and not (src.kind == "int" and dst.kind == "double"):
        return f"expected {dst.describe()}, got {src.describe()}"
    if dst.enum is not None and src.enum is not None:
        outside = [v for v in src.enum if v not in dst.enum]
        if outside:
            allowed = ", ".join(map(repr, dst.enum))
            hint = (
                did_you_mean(outside[0], map(str, dst.enum)) if isinstance(outside[0], str) else ""
            )
            return f"{outside[0]!r} is not one of {allowed}{hint}"
    return None


def _intersect(parts: list[Type]) -> Type:
    objects = [p for p in parts if isinstance(p, Object)]
    if len(objects) != len(parts):
        return DYN
    fields: dict[str, Type] = {}
    for obj in objects:
        fields.update(obj.fields)
    required = frozenset().union(*(o.required for o in objects))
    extra = None if all(o.extra is None for o in objects) else DYN
    return Object(tuple(fields.items()), required, extra)
