"""Models: a service's schemas -> ``models/`` modules, one per class, via
datamodel-code-generator.

One generator call per service over a combined schema (a ``$defs`` entry per type,
event and owned position) keeps generation fast; ``module_split_mode=single`` puts
each class in its own module, so importing one model imports only what it uses.
Every class is named explicitly: top-level schemas by their name, nested objects and
enums by their parent's name and property (``OrderCreatedAddress``), so names never
depend on processing order. An enum of more than ``MAX_ENUM_CLASS`` values is a
``Literal`` alias rather than an ``Enum`` class. An object that declares ``properties``
is closed (pydantic ``extra="forbid"``) unless its schema opens it.
``models/__init__.py`` exports every class lazily.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from eventualc.emit.text import HEADER
from eventualc.emit.types import located_positions, pascal
from eventualc.frontend import ir
from eventualc.frontend.schemas import closed
from eventualc.frontend.source import PathKey

# Implementation note: the generator names enum members in time quadratic in their
# number (332 s for 100,000), so larger enums become a ``Literal`` type alias instead.
MAX_ENUM_CLASS = 1000
_DEFINED = re.compile(r"^(?:class (\w+)\(|(\w+) = TypeAliasType\()", re.MULTILINE)


def combined_schema(service: ir.Service) -> dict[str, Any]:
    named = {name: schema for name, schema, _ in _model_schemas(service)}
    return {"$defs": {name: named[name] for name in sorted(named)}}


def _model_schemas(service: ir.Service) -> list[tuple[str, dict[str, Any], PathKey]]:
    """Each top-level model: its name, its titled schema and the spec path defining it."""
    found = [(t.name, _described(t.schema, t.description), t.path) for t in service.types]
    found += [(e.name, _described(e.schema, e.description), e.path) for e in service.events]
    found += [
        (p.model, p.schema, path) for p, path in located_positions(service) if p.model and p.schema
    ]
    return [
        (name, _titled(_local_refs(closed(schema, "additionalProperties")), name), path)
        for name, schema, path in found
    ]


def model_classes(service: ir.Service) -> list[tuple[str, PathKey]]:
    """Every class (or alias) name the service's models define, with the spec path of
    what makes it: named types and events, owned positions, nested objects and enums."""
    found: list[tuple[str, PathKey]] = []
    for name, schema, path in _model_schemas(service):
        found.append((name, path))
        _titles(schema, path, found, nested=False)
    return found


def _titles(
    schema: Any, path: PathKey, found: list[tuple[str, PathKey]], nested: bool = True
) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if nested and isinstance(schema.get("title"), str):
        found.append((schema["title"], path))
    for key, value in schema.get("properties", {}).items():
        _titles(value, (*path, "properties", key), found)
    for key in ("items", "additionalProperties"):
        _titles(schema.get(key), (*path, key), found)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, value in enumerate(schema.get(key, ())):
            _titles(value, (*path, key, i), found)


def _described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """The spec's description of a type or event becomes its class docstring."""
    if not description or "description" in schema or "$ref" in schema:
        return schema
    return {**schema, "description": description}


def _local_refs(schema: Any) -> Any:
    if isinstance(schema, dict):
        result = {k: _local_refs(v) for k, v in schema.items()}
        ref = result.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/types/", "#/events/")):
            result["$ref"] = "#/$defs/" + ref.rsplit("/", 1)[1]
        return result
    if isinstance(schema, list):
        return [_local_refs(v) for v in schema]
    return schema


def _titled(schema: Any, name: str) -> Any:
    """``schema`` with a title on itself and on every nested object, enum and union."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    result = copy.copy(schema)
    name = _bounded(name)
    result["title"] = name
    if isinstance(schema.get("enum"), list) and len(schema["enum"]) > MAX_ENUM_CLASS:
        result["x-enum-field-as-literal"] = True
    if isinstance(schema.get("properties"), dict):
        result["properties"] = {
            key: _titled(value, name + pascal(_identifier(key))) if _needs_title(value) else value
            for key, value in schema["properties"].items()
        }
    for key, suffix in (("items", "Item"), ("additionalProperties", "Value")):
        if _needs_title(schema.get(key)):
            result[key] = _titled(schema[key], name + suffix)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            result[key] = [
                _titled(v, f"{name}{key[0].upper()}{key[1:3]}{i}") if _needs_title(v) else v
                for i, v in enumerate(schema[key])
            ]
    return result


MAX_CLASS_NAME = 64


def _bounded(name: str) -> str:
    """``name``, or for a nested name past ``MAX_CLASS_NAME`` characters its start and a
    hash of the rest: the module of each class is named after it, and file names are
    limited."""
    if len(name) <= MAX_CLASS_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_CLASS_NAME - 9]}X{digest}"


def _needs_title(schema: Any) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    return any(k in schema for k in ("properties", "enum", "items", "anyOf", "oneOf", "allOf"))


def _identifier(key: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", key)
    return "".join(pascal(w) for w in words if w) or "Field"


def generate_models(service: ir.Service) -> dict[str, str]:
    """``{module file name: text}`` of the service's ``models`` package."""
    # Implementation note: imported here, not at the top: `eventualc check` must not pay
    # for the code generator.
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType, ModuleSplitMode
    from datamodel_code_generator.format import Formatter, PythonVersion

    schema = combined_schema(service)
    if not schema["$defs"]:
        return {"__init__.py": _package_init({})}
    output = generate(
        schema,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        disable_timestamp=True,
        use_title_as_name=True,
        use_standard_collections=True,
        use_union_operator=True,
        use_type_alias=True,
        use_annotated=True,
        field_constraints=True,
        use_schema_description=True,
        use_field_description=True,
        module_split_mode=ModuleSplitMode.Single,
        formatters=[Formatter.BUILTIN],
        custom_file_header=HEADER,
    )
    assert isinstance(output, dict), "a split generation returns modules"
    modules = {path[-1]: text.rstrip() + "\n" for path, text in output.items()}
    modules.pop("model.py", None)  # the combined schema's own (empty) root
    exports = {
        name: module.removesuffix(".py")
        for module, text in modules.items()
        for match in _DEFINED.finditer(text)
        for name in match.groups()
        if name
    }
    modules["__init__.py"] = _package_init(exports)
    return dict(sorted(modules.items()))


def export_order(name: str) -> tuple[int, list[tuple[int, str]]]:
    """The order of names in ``__all__`` that ruff (RUF022) keeps: constants, then
    classes, then the rest, each in natural order (``A9`` before ``A10``)."""
    group = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    chunks = re.findall(r"\d+|\D+", name)
    return group, [(int(c), "") if c.isdigit() else (-1, c) for c in chunks]


def _package_init(exports: dict[str, str]) -> str:
    """``models/__init__.py``: ``exports`` (class name -> module) imported lazily."""
    from eventualc.emit.render import render

    names = sorted(exports)
    return render(
        "models_init.py.jinja",
        names=names,
        modules=exports,
        exports=sorted(names, key=export_order),
    )
