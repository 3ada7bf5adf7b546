"""``eventualc check --against PATH``: warnings for changes that break executions
running on the previous version (``eventualc.deploy.compat``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from eventualc.cli import cli
from eventualc.deploy.compat import narrowed

OLD = """\
service: shop
events:
  Paid: {schema: {type: object, required: [id], properties: {id: {type: string}}}}
  Refunded: {schema: {type: object, properties: {id: {type: string}}}}
tasks:
  charge:
    input: {type: object, required: [id], properties: {id: {type: string}, note: {type: string}}}
  refund: {input: string}
workflows:
  buy:
    input: string
    signals: {approve: {type: object, properties: {by: {type: string}}}}
    steps:
      - task: charge
        input: {id: "${{ input }}"}
      - task: refund
        input: ${{ input }}
      - emit: Paid
        payload: {id: "${{ input }}"}
"""

NEW = """\
service: shop
events:
  Paid: {schema: {type: object, required: [id], properties: {id: {type: string}}}}
tasks:
  charge:
    input:
      type: object
      required: [id, amount]
      properties: {id: {type: string}, note: {type: string}, amount: {type: integer}}
workflows:
  buy:
    input: string
    signals: {approve: {type: object, properties: {by: {type: string}}}}
    steps:
      - task: charge
        input: {id: "${{ input }}", amount: 1}
      - emit: Paid
        payload: {id: "${{ input }}"}
"""


def _check(tmp_path: Path, against: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "new").mkdir(exist_ok=True)
    (tmp_path / "new" / "shop.yaml").write_text(NEW)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["check", "new", "--against", str(against)])
    assert done.exit_code == 0, done.output
    return done.output


def test_a_removed_task_or_event_and_a_narrowed_input_are_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "shop.yaml").write_text(OLD)
    output = _check(tmp_path, tmp_path / "old", monkeypatch)
    assert "warning[W901]: shop: task 'refund' is removed" in output
    assert "warning[W901]: shop: event 'Refunded' is removed" in output
    assert "W902" in output and "task 'charge'" in output and "requires amount" in output
    assert "workflow 'buy'" not in output and "signal" not in output  # unchanged


def test_a_previous_definition_gives_the_removed_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "shop.yaml").write_text(OLD)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["build", "old", "--out", "gen"]).exit_code == 0
    for against in (tmp_path / "gen", tmp_path / "gen" / "shop" / "definition.json"):
        output = _check(tmp_path, against, monkeypatch)
        assert "task 'refund' is removed" in output and "W902" not in output


def test_nothing_to_compare_with_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "shop.yaml").write_text(NEW)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["check", "new", "--against", "nowhere"])
    assert done.exit_code == 2 and "--against nowhere" in done.output


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ({"type": "integer"}, {"type": "number"}, ""),
        ({"type": "number"}, {"type": "integer"}, "must be integer"),
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, "fewer values"),
        ({"enum": ["a"]}, {"enum": ["a", "b"]}, ""),
        ({"type": "string"}, {"type": "string", "maxLength": 3}, "maxLength 3"),
        ({"type": "object", "properties": {"a": {}, "b": {}}},
         {"type": "object", "properties": {"a": {}}}, "no longer takes b"),
        ({"type": "object", "properties": {"a": {"type": "string"}}},
         {"type": "object", "properties": {"a": {"type": "string", "minLength": 1}}}, "a: minLength"),
        ({"type": "array", "items": {"type": "number"}},
         {"type": "array", "items": {"type": "integer"}}, "[] must be integer"),
    ],
)  # fmt: skip
def test_narrowing(old: object, new: object, reason: str) -> None:
    found = narrowed(old, new)
    assert (reason in found and bool(found)) if reason else found == ""
