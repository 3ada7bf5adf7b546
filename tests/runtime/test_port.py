"""The interpreter's port: commands are matched exhaustively (proven by mypy), every
runtime's implementation is a ``Port``, and queued events read back as typed ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

from eventual import port

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"

_HEAD = (
    "from typing import assert_never\n\n"
    "from eventual.port import (\n"
    "    CancelChild, Command, Finished, Publish, RunTask, StartChild, StartTimer,\n"
    ")\n\n\n"
    "def describe(command: Command) -> str:\n"
    "    match command:\n"
)
_TAIL = "        case _:\n            assert_never(command)\n"
_COMMANDS = ["RunTask", "StartTimer", "Publish", "StartChild", "CancelChild", "Finished"]


def _mypy(tmp_path: Path, missing: str | None) -> tuple[str, int]:
    cases = "".join(
        f"        case {name}():\n            return {name!r}\n"
        for name in _COMMANDS if name != missing
    )  # fmt: skip
    module = tmp_path / "matcher.py"
    module.write_text(_HEAD + cases + _TAIL)
    # Only the port is checked (it imports the standard library alone): the rest of
    # the package is skipped, which keeps this a few seconds.
    stdout, _, status = api.run([
        "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"),
        "--python-version", "3.11", "--follow-imports", "skip", str(module),
        str(RUNTIME / "eventual" / "port.py"),
    ])  # fmt: skip
    return stdout, status


def test_a_match_with_every_command_passes_mypy(tmp_path: Path) -> None:
    stdout, status = _mypy(tmp_path, None)
    assert status == 0, stdout


@pytest.mark.parametrize("missing", ["Publish"])
def test_a_match_missing_a_command_fails_mypy(tmp_path: Path, missing: str) -> None:
    stdout, status = _mypy(tmp_path, missing)
    assert status == 1
    assert f'Argument 1 to "assert_never" has incompatible type "{missing}"' in stdout


def test_queued_events_read_as_typed_events() -> None:
    assert port.workflow_event({"op": "task", "handle": 3, "output": 1, "error": None}) == (
        port.TaskAnswered(3, 1, None)
    )
    assert port.workflow_event({"op": "signal", "name": "go", "payload": [1]}) == (
        port.SignalReceived("go", [1])
    )
    assert port.workflow_event({"op": "cancel"}) == port.Cancel()
    with pytest.raises(ValueError, match="unknown workflow event 'explode'"):
        port.workflow_event({"op": "explode"})
