"""Labels of flowchart nodes: templates, event names and step details as short text.

Pure functions of IR values; the flowchart and each step kind's drawing
(``eventualc.kinds``) use them, so a label reads the same wherever it is drawn. Labels
hold names, durations and expressions as written (shortened), never descriptions.
"""

from __future__ import annotations

import json
import re

from eventual.durations import format_duration
from eventualc.frontend import ir

_WHOLE_EXPRESSION = re.compile(r"^\$\{\{(.*)\}\}$", re.DOTALL)
_LABEL_LIMIT = 48


def expression_text(value: object) -> str:
    """A template as a short one-line label: ``${{ x }}`` alone shows as ``x``."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    whole = _WHOLE_EXPRESSION.match(text.strip())
    text = " ".join((whole.group(1) if whole else text).split())
    return text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 1] + "…"


def step_expression(step: ir.Step) -> str:
    """The label of a step's template (``expr``)."""
    return expression_text(step.expr.value if step.expr else None)


def event_text(ref: ir.EventRef, service: str) -> str:
    return ref.name if ref.service == service else ref.qualified


def details(step: ir.Step) -> str:
    """What a node shows under its title: id, timeout, attempts, concurrency, limit."""
    parts = [step.id] if step.id else []
    if step.timeout is not None:
        parts.append(f"timeout {format_duration(step.timeout)}")
    elif step.timeout_expr is not None:
        parts.append(f"timeout {expression_text(step.timeout_expr.value)}")
    if step.retry is not None and any(policy.attempts > 1 for policy in step.retry):
        parts.append("/".join(str(policy.attempts) for policy in step.retry) + " attempts")
    if step.concurrency is not None:
        parts.append(f"{step.concurrency} at a time")
    if step.max_iterations is not None:
        parts.append(f"at most {step.max_iterations:,} times")
    return " · ".join(parts)
