"""Render templates: JSON-like values whose strings may hold ``${{ expr }}`` placeholders.

``compile_template(value)`` parses every placeholder once (``CelSyntaxError`` for bad ones)
and returns a ``Renderer``: ``renderer(variables)`` builds the value, raising only
``CelEvaluationError`` (with ``expression`` set to the failing placeholder's source).

- A string that is exactly one placeholder takes the expression's value, with its type.
- Placeholders inside longer text are interpolated as text: strings as they are, ``null``,
  ``true``/``false``, numbers as JSON writes them (``2.0``, ``1e+16``), timestamps in RFC
  3339 UTC (``2024-01-01T00:00:00Z``), durations as CEL prints them (``3600s``), bytes as
  UTF-8, lists and maps as JSON (timestamps, durations and bytes inside as above).
- ``$${{`` is a literal ``${{``; dict keys are never templates; other scalars are constants.
- Parts without placeholders are constants, copied on each render (dicts and lists), so a
  caller may mutate what it gets. Values taken from the variables are not copied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .evaluate import (
    CelEvaluationError,
    compile_expression,
    format_double,
    format_duration,
    format_timestamp,
    kind_of,
)
from .template import Interpolation, Placeholder, parse_template

__all__ = ["Renderer", "compile_template", "to_text"]

Renderer = Callable[[Mapping[str, Any]], Any]


def compile_template(value: Any) -> Renderer:
    """Compile a template value (see the module docstring) into a function of the variables."""
    renderer, constant = _compile(value)
    return renderer or _constant(constant)


def _constant(value: Any) -> Renderer:
    """A renderer of a value without placeholders (escapes already resolved)."""
    if isinstance(value, dict | list):
        return lambda _: _clone(value)
    return lambda _: value


def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _compile(value: Any) -> tuple[Renderer | None, Any]:
    """(renderer, None), or (None, the value with escapes resolved) when it is a constant."""
    if isinstance(value, str):
        return _compile_string(value)
    if isinstance(value, dict):
        return _compile_dict(value)
    if isinstance(value, list):
        return _compile_list(value)
    return None, value


def _compile_dict(value: dict[Any, Any]) -> tuple[Renderer | None, Any]:
    compiled = [(k, *_compile(v)) for k, v in value.items()]
    if all(renderer is None for _, renderer, _ in compiled):
        return None, {k: constant for k, _, constant in compiled}
    items = [(k, r or _constant(constant)) for k, r, constant in compiled]

    def render_dict(variables: Mapping[str, Any]) -> dict[Any, Any]:
        return {k: r(variables) for k, r in items}

    return render_dict, None


def _compile_list(value: list[Any]) -> tuple[Renderer | None, Any]:
    compiled = [_compile(v) for v in value]
    if all(renderer is None for renderer, _ in compiled):
        return None, [constant for _, constant in compiled]
    parts = [r or _constant(constant) for r, constant in compiled]

    def render_list(variables: Mapping[str, Any]) -> list[Any]:
        return [r(variables) for r in parts]

    return render_list, None


def _compile_string(text: str) -> tuple[Renderer | None, Any]:
    parsed = parse_template(text)
    if isinstance(parsed, str):
        return None, parsed
    if isinstance(parsed, Placeholder):
        return _placeholder(parsed, as_text=False), None
    return _interpolation(parsed), None


def _placeholder(placeholder: Placeholder, as_text: bool) -> Renderer:
    evaluator = compile_expression(placeholder.expr)
    source = placeholder.source

    def render_value(variables: Mapping[str, Any]) -> Any:
        try:
            return evaluator(variables)
        except CelEvaluationError as err:
            err.expression = err.expression or source
            raise

    def render_text(variables: Mapping[str, Any]) -> str:
        try:
            value = evaluator(variables)
            return value if type(value) is str else to_text(value)
        except CelEvaluationError as err:
            err.expression = err.expression or source
            raise

    return render_text if as_text else render_value


def _interpolation(interpolation: Interpolation) -> Renderer:
    parts = [
        (lambda _, text=part: text) if isinstance(part, str) else _placeholder(part, as_text=True)
        for part in interpolation.parts
    ]

    def render_text(variables: Mapping[str, Any]) -> str:
        return "".join([part(variables) for part in parts])

    return render_text


def to_text(value: Any) -> str:
    """A value as interpolated into text (see the module docstring)."""
    kind = kind_of(value)
    if kind == "string":
        return str(value)
    if kind in ("null", "bool"):
        return "null" if value is None else "true" if value else "false"
    if kind in ("int", "uint"):
        return _int_text(value)
    if kind == "type":
        return str(value)
    if kind == "double":
        return format_double(value)
    if kind == "timestamp":
        return format_timestamp(value)
    if kind == "duration":
        return format_duration(value)
    if kind == "bytes":
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            raise CelEvaluationError("invalid UTF-8 in bytes") from None
    if kind in ("list", "map"):
        return _json_text(value)
    raise CelEvaluationError(f"cannot render a {kind} as text")


def _int_text(value: int) -> str:
    try:
        return str(int(value))
    except ValueError:  # beyond Python's digit limit for int-to-text conversion
        raise CelEvaluationError("integer too large to render") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, bytes):
        return to_text(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise CelEvaluationError(f"cannot render a {kind_of(value)} as text")


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    except CelEvaluationError:
        raise
    except RecursionError:
        raise CelEvaluationError("value nested too deeply") from None
    except (TypeError, ValueError) as err:
        raise CelEvaluationError(f"cannot render value as text: {err}") from None
