"""Step kinds: the runtime's registry holds exactly the kinds the spec schema accepts,
each a unit the interpreter reaches through it."""

from __future__ import annotations

import json
from pathlib import Path

from eventual.steps import KINDS, StepKind

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "eventual-spec.schema.json"


def test_the_registry_has_exactly_the_schemas_kinds() -> None:
    kinds = json.loads(SCHEMA.read_text())["$defs"]["Step"]["x-kinds"]
    assert sorted(KINDS) == sorted(kinds)


def test_each_kind_is_registered_under_its_own_name() -> None:
    for name, kind in KINDS.items():
        assert isinstance(kind, StepKind)
        assert kind.name == name
        assert type(kind).start is not StepKind.start, f"{name} does not say how it starts"
