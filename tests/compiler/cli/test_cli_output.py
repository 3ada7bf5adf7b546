"""What the engine commands print: results alone on stdout; on stderr, live progress in
which every step ends, an emit names its event and a signal wait shows the command that
unblocks it, and one line per command saying what it did; terminal-safe text always."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support import MakeService, build_project, eventualc

from eventual.workflow import compile_workflow
from eventualc.cli.engine_view import Place, describe, printable, table

SPEC = """\
service: shop
events:
  OrderPlaced:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
tasks:
  charge: {input: string, output: string, emits: [OrderPlaced]}
subscriptions:
  record: {events: [OrderPlaced]}
workflows:
  checkout:
    input: string
    output: string
    signals: {approve: boolean, poke: "null"}
    steps:
      - {id: paid, task: charge, input: "${{ input }}"}
      - set: {seen: true}
      - emit: OrderPlaced
        payload: {orderId: "${{ input }}-again"}
      - return: ${{ steps.paid.output }}
  approval:
    input: string
    signals: {approve: boolean, poke: "null"}
    steps:
      - {id: ok, wait_for_signal: approve}
      - wait_for_signal: poke
"""
CHARGE = """\
import eventual

def charge(input: str, ctx: eventual.TaskContext) -> str:
    print(f"charging {input}")
    ctx.emit("OrderPlaced", {"orderId": input})
    return f"paid-{input}"
"""
RECORD = """\
import time
from pathlib import Path

import eventual
from ..models import OrderPlaced

def record(event: OrderPlaced, ctx: eventual.SubscriptionContext) -> None:
    time.sleep(0.3)  # slower than the workflow: run must still wait for it
    print(f"recording {event.orderId}")
    with Path("recorded.txt").open("a") as out:
        out.write(event.orderId + "\\n")
"""


# -- text, pure ------------------------------------------------------------------------------


def test_control_characters_are_escaped() -> None:
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("evil\u202eexe.txt") == "evil\\u202eexe.txt"
    assert printable("two\nlines\x00") == "two\\x0alines\\x00"
    assert printable("café ✓ 注文") == "café ✓ 注文"


def test_every_table_cell_is_escaped() -> None:
    shown = table(["ID", "NAME"], [["x-1", "\x1b]0;pwned\x07\x1b[2J"]])
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in shown.splitlines()[1]


@pytest.fixture
def place(make_service: MakeService) -> Place:
    service = make_service(SPEC, charge=CHARGE, record=RECORD)
    workflow = compile_workflow("approval", service.workflows["approval"])
    return Place("order 7\x1b[1m", workflow, db="data/x.db")


def test_a_signal_wait_shows_the_command_that_unblocks_it(place: Place) -> None:
    started = {"type": "StepStarted", "step": ["steps", 0], "kind": "wait_for_signal", "id": "ok"}
    assert describe(started, {}, place) == (
        "  · ok: waits for signal approve: "
        "`eventualc signal 'order 7\\x1b[1m' approve --payload JSON --db data/x.db`"
    )
    poke = {"type": "StepStarted", "step": ["steps", 1], "kind": "wait_for_signal", "id": None}
    assert describe(poke, {}, place) == (  # no payload: no --payload
        "  · steps[1]: waits for signal poke: "
        "`eventualc signal 'order 7\\x1b[1m' poke --db data/x.db`"
    )


def test_every_step_ends_even_with_a_null_output() -> None:
    ended = {"type": "StepCompleted", "step": ["steps", 1], "id": None, "output": None}
    assert describe(ended, {}) == "  ✓ steps[1]"


# -- the commands, as processes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("output")
    handlers = {"charge.py": CHARGE, "record.py": RECORD}
    build_project(root, "shop", SPEC, handlers, out="generated")
    return root


def test_run_prints_the_result_alone_and_waits_for_what_it_caused(project: Path) -> None:
    done = eventualc(project, "run", "checkout", "--input", '"o-1"', "--name", "first")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '"paid-o-1"\n'  # handlers' prints are not in it
    lines = done.stderr.splitlines()
    assert "charging o-1" in lines and "recording o-1" in lines, done.stderr
    assert "  ✓ steps[1]" in lines  # `set`: a null output, still an end line
    assert "  · steps[2]: emit OrderPlaced" in lines
    assert "  ✓ steps[2]" in lines
    # Both deliveries (the task's event and the emit step's) are done when run exits.
    recorded = (project / "recorded.txt").read_text().split()
    assert sorted(recorded) == ["o-1", "o-1-again"]


def test_run_says_when_the_name_already_ran(project: Path) -> None:
    again = eventualc(project, "run", "checkout", "--input", '"o-1"', "--name", "first")
    assert again.returncode == 0
    assert again.stdout == '"paid-o-1"\n'
    assert "eventualc: first already ran (checkout-" in again.stderr
    assert "SUCCEEDED at " in again.stderr and "charging" not in again.stderr


def test_commands_say_what_they_did_in_one_line(project: Path) -> None:
    started = eventualc(project, "start", "approval", "--input", '"x"', "--name", "\x1b[31mred")
    execution = started.stdout.strip()
    assert started.stdout == f"{execution}\n"
    assert (
        started.stderr == f"eventualc: queued {execution} (approval); `eventualc worker` runs it\n"
    )
    listed = eventualc(project, "executions", "list").stdout
    assert "\x1b" not in listed and "\\x1b[31mred" in listed
    shown = eventualc(project, "executions", "show", execution).stdout
    assert "\x1b" not in shown and "name:     \\x1b[31mred" in shown
    signalled = eventualc(project, "signal", execution, "approve", "--payload", "true")
    assert signalled.stderr == f"eventualc: sent signal approve to {execution}\n"
    cancelled = eventualc(project, "cancel", execution)
    assert cancelled.stderr.startswith(f"eventualc: cancelling {execution}: ")


def test_publish_prints_its_id_and_a_summary(project: Path) -> None:
    done = eventualc(project, "publish", "OrderPlaced", "--payload", '{"orderId": "p-1"}')
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 32
    assert "recording p-1" in done.stderr
    assert "eventualc: 1 event published: shop.OrderPlaced; 0 executions started" in done.stderr
    assert json.loads(done.stdout.strip().join('""'))  # nothing but the id on stdout
