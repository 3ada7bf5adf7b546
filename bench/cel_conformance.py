"""cel-spec conformance of eventual.cel beside its Python peers, in one run.

Runs the vendored cel-spec tests (``tests/cel/conformance``; the runnable subset and the
pass rule are ``tests/cel/conformance_suite.py``'s) against:
- eventual.cel (this project);
- cel-python (``pip install cel-python``, import ``celpy``), when installed;
- the Rust-based ``common-expression-language`` (import ``cel``), when installed.
and prints, per file, how many runnable tests each passes, as a markdown table.

The peers are not dependencies: a missing one is reported and left out. Leniencies, to
be fair to them: the Rust library returns Python values, so its ints pass where a uint
is expected, and its type values are their names; a peer's error of any kind during
evaluation counts as an evaluation error (its parse errors do not).

Run from anywhere:  python bench/cel_conformance.py [--files basic,string_ext]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.runtime.cel.conformance_eventual import EVENTUAL
from tests.runtime.cel.conformance_suite import (
    CORE_FILES,
    EXTENSION_FILES,
    Implementation,
    Tagged,
    run_files,
    same_double,
)

_NATIVE_KINDS: dict[str, tuple[type, ...]] = {
    "int": (int,), "uint": (int,), "double": (float,), "string": (str,), "bytes": (bytes,),
    "null": (type(None),), "list": (list,), "map": (dict,),
}  # fmt: skip


def _native(value: Tagged) -> Any:
    kind, raw = value
    if kind == "list":
        return [_native(v) for v in raw]
    if kind == "map":
        return {_native(k): _native(v) for k, v in raw}
    return raw


def _same_native(value: Any, expected: Tagged) -> bool:
    """Python values against a tagged expectation (bool is not int, uint is int)."""
    kind, raw = expected
    if kind == "bool":
        return value is raw
    if kind == "type":
        return isinstance(value, str) and value == raw
    if kind in ("timestamp", "duration"):
        return bool(value == raw)
    if isinstance(value, bool) or not isinstance(value, _NATIVE_KINDS.get(kind, ())):
        return False
    if kind == "double":
        return same_double(value, raw)
    if kind == "list":
        return len(value) == len(raw) and all(map(_same_native, value, raw))
    if kind == "map":
        wanted = {_native(k): v for k, v in raw}
        return value.keys() == wanted.keys() and all(
            _same_native(value[k], wanted[k]) for k in value
        )
    return bool(value == raw)


def rust_implementation() -> Implementation | None:
    try:
        import cel  # type: ignore[import-not-found]
    except ImportError:
        return None

    class EvalError(Exception):
        pass

    def evaluate(expr: str, bindings: dict[str, Tagged]) -> Any:
        cel.compile(expr)  # a parse error is not an evaluation error
        try:
            return cel.evaluate(expr, {k: _native(v) for k, v in bindings.items()})
        except Exception as err:
            raise EvalError(str(err)) from err

    return Implementation("common-expression-language (Rust)", evaluate, (EvalError,), _same_native)


def _celpy_same(
    celtypes: Any, convert: Callable[[Tagged], Any], to_cel: dict[str, Callable[[Any], Any]]
) -> Callable[[Any, Tagged], bool]:
    """cel-python's values against a tagged expectation."""
    kinds: dict[type, str] = {
        celtypes.IntType: "int", celtypes.UintType: "uint", celtypes.DoubleType: "double",
        celtypes.StringType: "string", celtypes.BytesType: "bytes", celtypes.BoolType: "bool",
        celtypes.ListType: "list", celtypes.MapType: "map", type(None): "null",
        celtypes.TimestampType: "timestamp", celtypes.DurationType: "duration",
    }  # fmt: skip
    type_names = {cls: name for cls, name in kinds.items()}
    type_names.update({celtypes.TimestampType: "google.protobuf.Timestamp",
                       celtypes.DurationType: "google.protobuf.Duration",
                       type(None): "null_type"})  # fmt: skip

    def kind_of(value: Any) -> str | None:
        # Some of its operators return plain Python floats and strings.
        plain = {float: "double", str: "string", bool: "bool", bytes: "bytes"}
        return kinds.get(type(value)) or plain.get(type(value))

    def same(value: Any, expected: Tagged) -> bool:
        kind, raw = expected
        if kind == "type":
            return isinstance(value, type) and type_names.get(value) == raw
        if kind_of(value) != kind:
            return False
        if kind == "double":
            return same_double(float(value), raw) or (math.isnan(raw) and math.isnan(value))
        if kind == "list":
            return len(value) == len(raw) and all(map(same, value, raw))
        if kind == "map":
            return len(value) == len(raw) and all(
                any(k == convert(rk) and same(v, rv) for rk, rv in raw) for k, v in value.items()
            )
        return bool(value == (to_cel[kind](raw) if kind in to_cel else raw))

    return same


def celpy_implementation() -> Implementation | None:
    try:
        import celpy  # type: ignore[import-not-found]
        from celpy import celtypes
    except ImportError:
        return None
    env = celpy.Environment()
    to_cel: dict[str, Callable[[Any], Any]] = {
        "int": celtypes.IntType, "uint": celtypes.UintType, "double": celtypes.DoubleType,
        "string": celtypes.StringType, "bytes": celtypes.BytesType, "bool": celtypes.BoolType,
        "null": lambda _: None, "timestamp": celtypes.TimestampType,
        "duration": celtypes.DurationType,
    }  # fmt: skip

    def convert(value: Tagged) -> Any:
        kind, raw = value
        if kind == "list":
            return celtypes.ListType([convert(v) for v in raw])
        if kind == "map":
            return celtypes.MapType({convert(k): convert(v) for k, v in raw})
        return to_cel[kind](raw)

    def evaluate(expr: str, bindings: dict[str, Tagged]) -> Any:
        program = env.program(env.compile(expr))
        result = program.evaluate({k: convert(v) for k, v in bindings.items()})
        if isinstance(result, celpy.CELEvalError):
            raise result
        return result

    same = _celpy_same(celtypes, convert, to_cel)
    return Implementation("cel-python", evaluate, (celpy.CELEvalError,), same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default=",".join(CORE_FILES + EXTENSION_FILES))
    files = tuple(parser.parse_args().files.split(","))
    impls = [EVENTUAL]
    for name, make in (
        ("cel-python", celpy_implementation),
        ("the Rust library", rust_implementation),
    ):
        impl = make()
        if impl is None:
            print(f"{name} is not installed: left out")
        else:
            impls.append(impl)
    results = {impl.name: run_files(files, impl)[0] for impl in impls}
    header = "| file | runnable | " + " | ".join(impl.name for impl in impls) + " |"
    print(header)
    print("|---|---:|" + "---:|" * len(impls))
    for group, members in (
        ("core", [f for f in files if f in CORE_FILES]),
        ("extensions", [f for f in files if f not in CORE_FILES]),
    ):
        for file in members:
            runnable = results[EVENTUAL.name][file][1]
            cells = " | ".join(str(results[i.name][file][0]) for i in impls)
            print(f"| {file} | {runnable} | {cells} |")
        if members:
            runnable = sum(results[EVENTUAL.name][f][1] for f in members)
            cells = " | ".join(
                f"**{sum(results[i.name][f][0] for f in members)}** "
                f"({100 * sum(results[i.name][f][0] for f in members) / runnable:.1f}%)"
                for i in impls
            )
            print(f"| **{group}** | **{runnable}** | {cells} |")


if __name__ == "__main__":
    main()
