"""The front end as one call: what it says about folders with nothing to check."""

from __future__ import annotations

from pathlib import Path

from eventualc.pipeline import load


def test_an_empty_folder_says_nothing_was_found(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "notes.txt").write_text("not a spec")
    result = load([tmp_path / "specs"], tmp_path)
    assert result.ok
    assert [(d.code, d.span) for d in result.diagnostics] == [("W008", None)]
    assert "no spec files (*.yaml, *.yml)" in result.diagnostics[0].message


def test_files_without_a_service_are_skipped_with_a_warning_each(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("service: shop\nevents: {Ping: {schema: string}}\n")
    (tmp_path / "b.yaml").write_text("# nothing yet\n")
    (tmp_path / "c.yml").write_text("events: {Pong: {schema: string}}\n")
    result = load([tmp_path], tmp_path)
    assert result.build is not None and [s.name for s in result.build.services] == ["shop"]
    assert [(d.code, d.span and Path(d.span.file).name) for d in result.diagnostics] == [
        ("W701", "a.yaml"),  # Ping: neither emitted nor consumed
        ("W007", "b.yaml"),
        ("W007", "c.yml"),
    ]
