"""A compiled validator for the JSON Schema keywords the spec schema uses.

Takes the spec schema (``schemas/eventual-spec.schema.json``) and returns, for any
document, every ``SchemaError`` that ``jsonschema``'s Draft 2020-12 validator would
report, as plain values. Each subschema is compiled once into a closure, so a large
spec is validated in time linear in its size at a fraction of ``jsonschema``'s
per-node cost. ``jsonschema`` stays the reference: a property test checks that both
accept and reject the same documents. A keyword outside the supported set is a
``ValueError`` at compile time, so the schema cannot silently outgrow this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PathKey = tuple[str | int, ...]
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})


@dataclass(frozen=True, slots=True)
class SchemaError:
    """``keyword`` of ``schema`` failed for ``instance`` at ``path``.

    For ``propertyNames`` failures, ``path`` is the mapping and ``instance`` the key.
    """

    keyword: str
    path: PathKey
    instance: Any
    schema: dict[str, Any]
    in_property_names: bool = False

    @property
    def value(self) -> Any:
        return self.schema[self.keyword]


Errors = list[SchemaError]
Check = Callable[[Any, PathKey, Errors], None]


def _is_type(instance: Any, name: str) -> bool:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if isinstance(instance, bool):
        return name == "boolean"
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, int | float)
    return instance is None if name == "null" else False


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class CompiledSchema:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self._refs: dict[str, Check] = {}
        self._check = self.compile(root)

    def errors(self, instance: Any) -> Errors:
        found: Errors = []
        self._check(instance, (), found)
        return found

    def compile(self, schema: dict[str, Any]) -> Check:
        checks = [self._keyword(k, schema) for k in schema if k not in _ANNOTATIONS]
        active = [c for c in checks if c is not None]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            for one in active:
                one(instance, path, errors)

        return check

    def _keyword(self, keyword: str, schema: dict[str, Any]) -> Check | None:
        if keyword.startswith("x-"):
            return None
        factory = getattr(self, "_" + keyword.replace("$", "dollar_"), None)
        if factory is None:
            raise ValueError(f"the spec schema uses '{keyword}', which the validator lacks")
        check: Check = factory(schema)
        return check

    def _dollar_ref(self, schema: dict[str, Any]) -> Check:
        ref: str = schema["$ref"]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if ref not in self._refs:
                target: Any = self.root
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part]
                self._refs[ref] = self.compile(target)
            self._refs[ref](instance, path, errors)

        return check

    def _type(self, schema: dict[str, Any]) -> Check:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if not any(_is_type(instance, n) for n in names):
                errors.append(SchemaError("type", path, instance, schema))

        return check

    def _properties(self, schema: dict[str, Any]) -> Check:
        checks = {k: self.compile(v) for k, v in schema["properties"].items()}

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, dict):
                for key, value in instance.items():
                    if key in checks:
                        checks[key](value, (*path, key), errors)

        return check

    def _additionalProperties(self, schema: dict[str, Any]) -> Check:
        known = set(schema.get("properties", ()))
        extra = schema["additionalProperties"]
        sub = self.compile(extra) if isinstance(extra, dict) else None

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if not isinstance(instance, dict):
                return
            extras = [k for k in instance if k not in known]
            if sub is not None:
                for key in extras:
                    sub(instance[key], (*path, key), errors)
            elif extras and extra is False:
                errors.append(SchemaError("additionalProperties", path, instance, schema))

        return check

    def _required(self, schema: dict[str, Any]) -> Check:
        required = schema["required"]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, dict) and any(k not in instance for k in required):
                errors.append(SchemaError("required", path, instance, schema))

        return check

    def _dependentRequired(self, schema: dict[str, Any]) -> Check:
        needs = schema["dependentRequired"]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, dict) and any(
                key in instance and any(n not in instance for n in wanted)
                for key, wanted in needs.items()
            ):
                errors.append(SchemaError("dependentRequired", path, instance, schema))

        return check

    def _dependentSchemas(self, schema: dict[str, Any]) -> Check:
        checks = {k: self.compile(v) for k, v in schema["dependentSchemas"].items()}

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, dict):
                for key, sub in checks.items():
                    if key in instance:
                        sub(instance, path, errors)

        return check

    def _propertyNames(self, schema: dict[str, Any]) -> Check:
        sub = self.compile(schema["propertyNames"])

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, dict):
                for key in instance:
                    found: Errors = []
                    sub(key, path, found)
                    errors.extend(
                        SchemaError(e.keyword, path, key, e.schema, in_property_names=True)
                        for e in found
                    )

        return check

    def _anyOf(self, schema: dict[str, Any]) -> Check:
        options = [self.compile(s) for s in schema["anyOf"]]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            for option in options:
                found: Errors = []
                option(instance, path, found)
                if not found:
                    return
            errors.append(SchemaError("anyOf", path, instance, schema))

        return check

    def _items(self, schema: dict[str, Any]) -> Check:
        sub = self.compile(schema["items"])

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, list):
                for i, item in enumerate(instance):
                    sub(item, (*path, i), errors)

        return check

    def _pattern(self, schema: dict[str, Any]) -> Check:
        return self._test(schema, "pattern", str, re.compile(schema["pattern"]).search)

    def _enum(self, schema: dict[str, Any]) -> Check:
        values = schema["enum"]

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if not any(_same(instance, e) for e in values):
                errors.append(SchemaError("enum", path, instance, schema))

        return check

    def _minimum(self, schema: dict[str, Any]) -> Check:
        return self._test(schema, "minimum", int | float, lambda v: v >= schema["minimum"])

    def _maximum(self, schema: dict[str, Any]) -> Check:
        return self._test(schema, "maximum", int | float, lambda v: v <= schema["maximum"])

    def _minItems(self, schema: dict[str, Any]) -> Check:
        return self._test(schema, "minItems", list, lambda v: len(v) >= schema["minItems"])

    def _minProperties(self, schema: dict[str, Any]) -> Check:
        return self._test(
            schema, "minProperties", dict, lambda v: len(v) >= schema["minProperties"]
        )

    def _uniqueItems(self, schema: dict[str, Any]) -> Check:
        def unique(items: list[Any]) -> bool:
            seen = [json.dumps(i, sort_keys=True, default=str) for i in items]
            return len(set(seen)) == len(seen)

        return self._test(schema, "uniqueItems", list, unique)

    @staticmethod
    def _test(schema: dict[str, Any], keyword: str, kind: Any, ok: Callable[[Any], Any]) -> Check:
        """A keyword that applies to instances of ``kind`` only (never to booleans)."""

        def check(instance: Any, path: PathKey, errors: Errors) -> None:
            if isinstance(instance, kind) and not isinstance(instance, bool) and not ok(instance):
                errors.append(SchemaError(keyword, path, instance, schema))

        return check
