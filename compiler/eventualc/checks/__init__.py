"""Checks: IR -> diagnostics, one concern per module.

Each check is a function ``(build) -> list[Diagnostic]``; ``run_checks`` runs them in
order. Checks whose input depends on resolved references run only when the
reference checks found no error.
"""

from __future__ import annotations

from eventualc.checks import (
    bounds,
    examples,
    expressions,
    filters,
    flow,
    loops,
    names,
    quotas,
    references,
    retries,
)
from eventualc.diagnostics import Diagnostic
from eventualc.frontend import ir

_INDEPENDENT = (names.check_names, references.check_references, bounds.check_bounds,
                examples.check_examples,
                retries.check_retries, loops.check_loops)  # fmt: skip
_DEPENDENT = (expressions.check_expressions, filters.check_filters, flow.check_flow,
              quotas.check_quotas)  # fmt: skip


def run_checks(build: ir.Build) -> list[Diagnostic]:
    diagnostics = [d for check in _INDEPENDENT for d in check(build)]
    if any(d.is_error for d in diagnostics):
        return diagnostics
    return diagnostics + [d for check in _DEPENDENT for d in check(build)]
