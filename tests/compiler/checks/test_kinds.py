"""Step kinds: the compiler's registry is the spec schema's ``x-kinds``, and a per-kind
table that misses a kind fails as it is built, naming the table and the kind."""

from __future__ import annotations

import pytest

from eventualc import kinds
from eventualc.checks.expressions import STEP_CHECKS
from eventualc.checks.outputs import OWN_OUTPUTS
from eventualc.cli.engine_view import START_SHOWN
from eventualc.frontend.lower import KIND_FIELDS
from eventualc.frontend.shape import step_kinds
from eventualc.graphs.flowchart import DRAWINGS


def test_the_registry_is_the_schemas_step_kinds() -> None:
    assert sorted(kinds.KINDS) == sorted(step_kinds())


@pytest.mark.parametrize("table", [KIND_FIELDS, STEP_CHECKS, OWN_OUTPUTS, DRAWINGS, START_SHOWN])
def test_every_per_kind_table_covers_every_kind(table: dict[str, object]) -> None:
    assert set(table) == set(kinds.KINDS)


def test_a_table_missing_a_kind_fails_naming_it() -> None:
    table = {k: None for k in kinds.KINDS if k != "sleep"} | {"nap": None}
    with pytest.raises(kinds.KindTableError, match=r"flowchart: .*\['sleep'\].*\['nap'\]"):
        kinds.complete(table, "flowchart")
    assert kinds.complete(dict.fromkeys(kinds.KINDS), "t") == dict.fromkeys(kinds.KINDS)
