"""Scope: what a workflow expression may read at one point, and how paths join.

``Flow`` is the state the expression checker carries through a workflow: the steps
that surely completed (with their output types), the variables surely set, the local
names of ``for_each`` and ``catch``, the paths that conditions proved are not null
(see ``narrowing``), and whether the point is reached at all. ``merge`` joins the flows
of alternative paths. The types of the built-in ``error``, ``execution`` and ``meta``
values are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from eventualc.typecheck.narrowing import Path
from eventualc.typecheck.values import STRING, TIMESTAMP, Object, Type, union

ERROR_TYPE = Object(
    (("error", STRING), ("message", STRING)), frozenset({"error", "message"}), name="error"
)
EXECUTION_TYPE = Object(
    (("id", STRING), ("name", STRING), ("workflow", STRING), ("start_time", TIMESTAMP)),
    frozenset({"id", "name", "workflow", "start_time"}), name="execution",
)  # fmt: skip
META_TYPE = Object(
    (("id", STRING), ("name", STRING), ("source", STRING), ("time", TIMESTAMP)),
    frozenset({"id", "name", "source", "time"}), name="meta",
)  # fmt: skip


@dataclass(frozen=True)
class Flow:
    """What an expression may read at one point of a workflow.

    ``non_null`` holds the paths that conditions proved are not null here (see
    ``narrowing``); ``ended`` says no path reaches this point (after ``fail`` or
    ``return``), so it adds nothing where paths join.
    """

    steps: dict[str, Type] = field(default_factory=dict)
    vars: dict[str, Type] = field(default_factory=dict)
    locals: dict[str, Type] = field(default_factory=dict)
    non_null: frozenset[Path] = frozenset()
    ended: bool = False

    def with_step(self, step_id: str | None, output: Type) -> Flow:
        return self if step_id is None else replace(self, steps={**self.steps, step_id: output})

    def with_locals(self, **names: Type) -> Flow:
        return replace(self, locals={**self.locals, **names})

    def knowing(self, proved: frozenset[Path]) -> Flow:
        return replace(self, non_null=self.non_null | proved)


def merge(flows: list[Flow], base: Flow) -> Flow:
    """After alternative paths: what every path that goes on completed, with the union
    of types; an ended flow when none goes on."""
    going = [f for f in flows if not f.ended]
    if not going:
        return replace(flows[0], ended=True)

    def common(maps: list[dict[str, Type]]) -> dict[str, Type]:
        keys = set(maps[0]).intersection(*maps[1:])
        return {k: union(*(m[k] for m in maps)) for k in keys}

    return Flow(
        common([f.steps for f in going]),
        common([f.vars for f in going]),
        base.locals,
        frozenset.intersection(*(f.non_null for f in going)),
    )
