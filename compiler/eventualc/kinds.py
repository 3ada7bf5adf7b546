"""Step kinds: the compiler's one list of them, and the check that every per-kind table
covers exactly that list.

The compiler half of a step kind is one entry in each of five tables, one per concern:
lowering (``lower.KIND_FIELDS``: spec mapping -> ``ir.Step`` fields), checking
(``checks.expressions.STEP_CHECKS``: templates typed, flow through the step), output
typing (``checks.outputs.OWN_OUTPUTS``), drawing (``flowchart.DRAWINGS``) and the
engine's live view (``engine_view.START_SHOWN``). Each table calls ``complete`` where
it is defined, so a kind missing from one (or one no schema knows) fails when the
compiler is imported, with the table and the kind named: never an ``AttributeError``
while a spec is checked. ``tests/test_kinds.py`` checks that ``KINDS`` is the spec
schema's ``x-kinds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

KINDS: tuple[str, ...] = (
    "task", "workflow", "emit", "sleep", "sleep_until", "wait_for_signal", "wait_for_event", "if",
    "parallel", "for_each", "set", "try", "fail", "return",
    "while", "break", "continue",
)  # fmt: skip


Table = TypeVar("Table", bound=Mapping[str, object])


class KindTableError(RuntimeError):
    """A per-kind table that does not cover exactly ``KINDS``: a compiler bug."""


def complete(table: Table, where: str) -> Table:
    """``table`` itself when its keys are exactly ``KINDS``; else ``KindTableError``."""
    missing = [k for k in KINDS if k not in table]
    unknown = sorted(set(table) - set(KINDS))
    if missing or unknown:
        raise KindTableError(
            f"{where}: step kinds missing {missing or 'none'}, unknown {unknown or 'none'}"
            " (see eventualc.kinds)"
        )
    return table
