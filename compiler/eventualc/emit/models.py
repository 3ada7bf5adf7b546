"""Models: a service's schemas -> ``models/`` modules, one per class, via
datamodel-code-generator.

One generator call per service over a combined schema (a ``$defs`` entry per type,
event and owned position) keeps generation fast; ``module_split_mode=single`` puts
each class in its own module, so importing one model imports only what it uses.
Every class is named explicitly, by the front end (``frontend.naming``): top-level
schemas by their name, nested objects and enums by their parent's name and property
(``OrderCreatedAddress``), so names never depend on processing order. An enum of more
than ``MAX_ENUM_CLASS`` values is a ``Literal`` alias rather than an ``Enum`` class. An
object that declares ``properties``
is closed (pydantic ``extra="forbid"``) unless its schema opens it.
``models/__init__.py`` exports every class lazily.
"""

from __future__ import annotations

import re
from typing import Any

from eventualc.emit.text import HEADER
from eventualc.frontend import ir
from eventualc.frontend.naming import model_schemas

_DEFINED = re.compile(r"^(?:class (\w+)\(|(\w+) = TypeAliasType\()", re.MULTILINE)


def combined_schema(service: ir.Service) -> dict[str, Any]:
    named = {name: schema for name, schema, _ in model_schemas(service)}
    return {"$defs": {name: named[name] for name in sorted(named)}}


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
    return group, natural_order(name)


def natural_order(text: str) -> list[tuple[int, str]]:
    """The key of natural order (``a9`` before ``a10``), as ruff sorts names."""
    return [(int(c), "") if c.isdigit() else (-1, c) for c in re.findall(r"\d+|\D+", text)]


def _package_init(exports: dict[str, str]) -> str:
    """``models/__init__.py``: ``exports`` (class name -> module) imported lazily."""
    from eventualc.emit.render import render

    # In the order ruff's isort keeps the imports: by module (``model_input`` before
    # ``mv_input``, though ``MVInput`` sorts before ``ModelInput``).
    names = sorted(exports, key=lambda name: natural_order(exports[name]))
    return render(
        "models_init.py.jinja",
        names=names,
        modules=exports,
        exports=sorted(names, key=export_order),
    )
