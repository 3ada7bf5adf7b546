"""cel-spec's conformance tests (``tests/runtime/cel/conformance/*.textproto``) as plain cases.

``load(name)`` reads one vendored file into ``Case``s; ``run(cases, implementation)``
evaluates them with one CEL implementation and returns the names that passed. The runner
parses and evaluates only (no type check), as the ``disable_check`` mode of cel-spec's
runners does; a test passes when the value is equal in CEL's sense *and of the same CEL
type*, or, for an ``eval_error`` test, when evaluation fails with the implementation's
evaluation error (a syntax error does not count).

Expected values and bindings are kept as tagged trees, ``("int", 1)``, ``("list",
[...])``, ``("map", [(key, value), ...])``, ``("type", "google.protobuf.Timestamp")``, so that
each implementation converts them to its own values.

EXCLUSION RULE (what "runnable" means): a test is excluded, and counted as such, when it
1. sets a ``container`` (name resolution inside a protobuf package), or
2. its expression builds a protobuf message (``Type{...}``) or names a protobuf message or
   enum: any name starting ``cel.expr.`` or ``google.protobuf.`` other than
   ``google.protobuf.Timestamp`` / ``google.protobuf.Duration`` (CEL's own names for the
   timestamp and duration types), or ``TestAllTypes`` / ``NestedTestAllTypes`` /
   ``GlobalEnum``, or
3. its bindings or expected value hold a protobuf message (``object_value``) other than a
   ``google.protobuf.Duration`` / ``google.protobuf.Timestamp``, or an ``enum_value``.
Everything else is runnable, whatever features it needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.runtime.cel.textproto import Message, parse_textproto

HERE = Path(__file__).parent / "conformance"
CORE_FILES = (
    "basic", "comparisons", "logic", "integer_math", "fp_math", "string", "lists", "macros",
    "conversions", "timestamps", "fields",
)  # fmt: skip
EXTENSION_FILES = ("string_ext",)
TARGET = 0.97

Tagged = tuple[str, Any]
ERROR: Tagged = ("error", None)

_PROTO_NAME = re.compile(
    r"\b(?:cel\.expr\.|google\.protobuf\.(?!(?:Timestamp|Duration)\b)|"
    r"(?:Nested)?TestAllTypes\b|GlobalEnum\b)"
)
_MESSAGE_LITERAL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\s*\{")


class NotRunnable(Exception):
    """A value needs protobuf messages or enums (rule 3)."""


@dataclass(frozen=True)
class Case:
    file: str
    name: str  # section/test
    expr: str
    bindings: dict[str, Tagged]
    expected: Tagged  # ERROR for eval_error tests
    excluded: str | None  # why not runnable (see the module doc), else None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def _first(message: Message, name: str, default: Any = None) -> Any:
    return message.get(name, [default])[0]


def tagged(value: Message) -> Tagged:
    """A ``cel.expr.Value`` message as a tagged tree (NotRunnable for messages/enums)."""
    ((kind, (raw,)),) = value.items() if len(value) == 1 else ((None, (None,)),)
    if kind is None:
        raise NotRunnable("an unusual value")
    scalars: dict[str, Callable[[Any], Tagged]] = {
        "int64_value": lambda r: ("int", int(r)),
        "uint64_value": lambda r: ("uint", int(r)),
        "double_value": lambda r: ("double", float(r)),
        "string_value": lambda r: ("string", _text(r)),
        "bytes_value": lambda r: ("bytes", bytes(r)),
        "bool_value": lambda r: ("bool", r == "true"),
        "null_value": lambda r: ("null", None),
        "type_value": lambda r: ("type", _text(r)),
    }
    if kind in scalars:
        return scalars[kind](raw)
    if kind == "list_value":
        return ("list", [tagged(v) for v in raw.get("values", [])])
    if kind == "map_value":
        entries = raw.get("entries", [])
        return ("map", [(tagged(_first(e, "key")), tagged(_first(e, "value"))) for e in entries])
    if kind == "object_value":
        return _object(raw)
    raise NotRunnable(kind)


def _object(any_message: Message) -> Tagged:
    ((type_url, (body,)),) = any_message.items()
    seconds, nanos = int(_first(body, "seconds", 0)), int(_first(body, "nanos", 0))
    if type_url.endswith("google.protobuf.Duration]"):
        return ("duration", timedelta(seconds=seconds, microseconds=nanos // 1000))
    if type_url.endswith("google.protobuf.Timestamp]"):
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
        return ("timestamp", moment + timedelta(microseconds=nanos // 1000))
    raise NotRunnable(f"message {type_url}")


def _case(file: str, section: str, test: Message) -> Case:
    name = f"{section}/{_text(_first(test, 'name'))}"
    expr = _text(_first(test, "expr"))
    excluded = None
    if "container" in test:
        excluded = "container"
    elif _PROTO_NAME.search(expr) or _MESSAGE_LITERAL.search(_strip_strings(expr)):
        excluded = "protobuf message or enum in the expression"
    bindings: dict[str, Tagged] = {}
    expected: Tagged = ("bool", True)  # cel-spec's default result matcher
    try:
        for binding in test.get("bindings", []):
            bindings[_text(_first(binding, "key"))] = tagged(
                _first(_first(binding, "value"), "value")
            )
        if "value" in test:
            expected = tagged(_first(test, "value"))
        elif "eval_error" in test:
            expected = ERROR
    except NotRunnable as why:
        excluded = excluded or f"protobuf value ({why})"
    return Case(file, name, expr, bindings, expected, excluded)


def _strip_strings(expr: str) -> str:
    """The expression without its string literals (a '{' in a string is no message)."""
    return re.sub(r"""(?s)[rRbB]*('''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""",
                  "''", expr)  # fmt: skip


def load(file: str) -> list[Case]:
    """Every test of ``conformance/<file>.textproto``, runnable or not."""
    parsed = parse_textproto((HERE / f"{file}.textproto").read_text())
    return [
        _case(file, _text(_first(section, "name")), test)
        for section in parsed.get("section", [])
        for test in section.get("test", [])
    ]


@dataclass(frozen=True)
class Implementation:
    """How to run one CEL library: ``evaluate(expr, bindings) -> value`` raising
    ``eval_errors`` for evaluation errors, and ``same(value, expected)``."""

    name: str
    evaluate: Callable[[str, dict[str, Tagged]], Any]
    eval_errors: tuple[type[BaseException], ...]
    same: Callable[[Any, Tagged], bool]


def passes(case: Case, impl: Implementation) -> bool:
    try:
        value = impl.evaluate(case.expr, case.bindings)
    except impl.eval_errors:
        return case.expected == ERROR
    except Exception:
        return False
    return case.expected != ERROR and impl.same(value, case.expected)


def table(results: dict[str, tuple[int, int, int]]) -> str:
    """A markdown table: file, passed, runnable, total, and the sum."""
    lines = ["| file | passed | runnable | total |", "|---|---:|---:|---:|"]
    for file, (ok, runnable, total) in results.items():
        lines.append(f"| {file} | {ok} | {runnable} | {total} |")
    ok = sum(r[0] for r in results.values())
    runnable = sum(r[1] for r in results.values())
    total = sum(r[2] for r in results.values())
    share = f" ({100 * ok / runnable:.1f}%)" if runnable else ""
    lines.append(f"| **all** | **{ok}**{share} | **{runnable}** | **{total}** |")
    return "\n".join(lines)


def run_files(
    files: tuple[str, ...], impl: Implementation
) -> tuple[dict[str, tuple[int, int, int]], list[Case]]:
    """Per file (passed, runnable, total), and the runnable cases that failed."""
    results: dict[str, tuple[int, int, int]] = {}
    failed: list[Case] = []
    for file in files:
        cases = load(file)
        runnable = [c for c in cases if c.excluded is None]
        bad = [c for c in runnable if not passes(c, impl)]
        failed += bad
        results[file] = (len(runnable) - len(bad), len(runnable), len(cases))
    return results, failed


def same_double(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b
