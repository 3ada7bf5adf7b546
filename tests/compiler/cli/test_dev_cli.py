"""`eventualc dev` with real file changes: a handler edited while it runs is the one the
next execution calls, without a restart; a spec change rebuilds; events show live."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests import support
from tests.support import build_project, eventualc_process, shown_execution, wait_for

SPEC = """\
service: shop
events:
  OrderPlaced:
    schema: {type: object, required: [orderId], properties: {orderId: {type: string}}}
tasks:
  charge: {input: string, output: string}
subscriptions:
  fulfil:
    events: [OrderPlaced]
    workflow: checkout
    input: ${{ event.orderId }}
    execution_name: ${{ event.orderId }}
workflows:
  checkout:
    input: string
    output: string
    steps:
      - {id: paid, task: charge, input: "${{ input }}"}
      - return: ${{ steps.paid.output }}
"""
CHARGE = """\
import eventual

def charge(input: str, ctx: eventual.TaskContext) -> str:
    return "{version}-" + input
"""


class Output:
    """A child's stderr, read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")),
                         daemon=True).start()  # fmt: skip

    def wait_for(self, text: str, timeout: float = 90) -> None:
        wait_for(lambda: any(text in line for line in self.lines),
                 lambda: f"{text!r} in:\n{''.join(self.lines)}", timeout, interval=0.1)  # fmt: skip


def eventualc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return support.eventualc(root, *args, check=True)


def result(root: Path, execution: str) -> object:
    shown = shown_execution(root, execution, lambda s: s["status"] != "IN_PROGRESS", timeout=90)
    return shown["result"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    build_project(tmp_path, "shop", SPEC, {"charge.py": CHARGE.format(version="v1")},
                  out="generated")  # fmt: skip
    return tmp_path


@pytest.fixture
def dev(project: Path) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    with eventualc_process(project, "dev", "--interval", "0.2") as process:
        output = Output(process)
        output.wait_for("eventualc: worker on ")
        yield process, output


def edit(path: Path, text: str) -> None:
    path.write_text(text)
    later = time.time() + 2  # a new mtime even on a coarse clock
    os.utime(path, (later, later))


def test_dev_reloads_an_edited_handler_and_rebuilds_a_changed_spec(
    project: Path, dev: tuple[subprocess.Popen[str], Output]
) -> None:
    process, output = dev
    eventualc(project, "start", "checkout", "--input", '"a"', "--name", "a")
    assert result(project, "a") == "v1-a"
    output.wait_for('✓ paid: "v1-a"')  # the worker's progress, live

    handler = project / "generated" / "shop" / "handlers" / "charge.py"
    edit(handler, CHARGE.format(version="v2"))
    output.wait_for("generated/shop/handlers/charge.py changed: rebuilding, restarting")
    output.wait_for("eventualc: worker on ", timeout=90)  # (the second one)
    deadline = time.monotonic() + 60
    while sum("eventualc: worker on " in line for line in output.lines) < 2:
        assert time.monotonic() < deadline, "".join(output.lines)
        time.sleep(0.1)
    published = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, '.'); "
         "from eventual.engine import Engine; from generated.shop import service; "
         "Engine(sys.argv[1], [service]).publish('OrderPlaced', {'orderId': 'b'})",
         str(project / ".eventual" / "local.db")], cwd=project, check=True,
    )  # fmt: skip  # queued, not processed: dev's worker runs it
    assert published.returncode == 0
    assert result(project, "b") == "v2-b"
    output.wait_for("eventualc dev: event shop.OrderPlaced → fulfil (starts checkout)")

    spec = project / "specs" / "shop.yaml"
    edit(
        spec,
        SPEC.replace("output: string\n    steps", "output: string\n    timeout: 1h\n    steps"),
    )
    output.wait_for("specs/shop.yaml changed: rebuilding, restarting the worker")
    output.wait_for("files written")  # the build ran (definition.json changed)

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in "".join(output.lines)
    assert output.lines[-1] == "eventualc dev: stopped\n"
