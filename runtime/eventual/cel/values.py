"""CEL values that JSON has no form for: ``uint`` numbers and type values.

``Uint`` is an ``int`` subclass, so that it prints, serialises and hashes as the number it
is, while ``kind_of`` tells it apart: CEL keeps ``int`` and ``uint`` apart in arithmetic
(``1u + 1`` is an error) but compares them by value (``1u == 1``). Only ``1u`` literals and
``uint()`` make one; JSON payloads never hold one.

``kind_of(value)`` names a value's CEL type (``int``, ``uint``, ``timestamp``...);
``format_double`` writes a double as CEL and JSON do.

``CelType`` is the value of a type name (``int``, ``google.protobuf.Timestamp``) and the
result of ``type(x)``; two are equal when their names are; outside CEL it is its name.
``TYPE_NAMES`` maps each name an expression may use to its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any


class Uint(int):
    """A CEL ``uint``: an int in 0..2**64-1 that CEL arithmetic keeps apart from ``int``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{int(self)}u"


class CelType(str):
    """A CEL type value, named as CEL prints it (``int``, ``list``, ``null_type``...).

    A ``str`` subclass so that, outside CEL, a type value is just its name (JSON, text);
    inside CEL, ``kind_of`` tells it apart, so ``type(1) == 'int'`` is false.
    """

    __slots__ = ()

    @property
    def name(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return str(self)


# kind (as kind_of names it) -> the type name CEL gives it
KIND_TYPE_NAMES = {
    "null": "null_type",
    "bool": "bool",
    "int": "int",
    "uint": "uint",
    "double": "double",
    "string": "string",
    "bytes": "bytes",
    "list": "list",
    "map": "map",
    "timestamp": "google.protobuf.Timestamp",
    "duration": "google.protobuf.Duration",
    "type": "type",
}
TYPE_NAMES: dict[str, CelType] = {name: CelType(name) for name in KIND_TYPE_NAMES.values()}


_INF = float("inf")
_KIND_OF: dict[type, str] = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "double",
    str: "string",
    bytes: "bytes",
    list: "list",
    dict: "map",
    datetime: "timestamp",
    timedelta: "duration",
    Uint: "uint",
    CelType: "type",
}
# For subclasses (IntEnum, OrderedDict...) and other mappings; bool before int.
_KIND_BY_CLASS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),
    (int, "int"),
    (float, "double"),
    (str, "string"),
    (bytes, "bytes"),
    (list, "list"),
    (Mapping, "map"),
    (datetime, "timestamp"),
    (timedelta, "duration"),
)


def kind_of(value: Any) -> str:
    """The CEL type name of a value: null bool int double string bytes list map timestamp
    duration, or the Python type name for anything outside the JSON-like model."""
    found = _KIND_OF.get(type(value))
    if found is not None:
        return found
    for cls, name in _KIND_BY_CLASS:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def format_double(x: float) -> str:
    """As JSON writes doubles (Python's shortest repr): ``2.0``, ``1e+16``, ``NaN``."""
    if x != x:
        return "NaN"
    if x in (_INF, -_INF):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(float(x))
