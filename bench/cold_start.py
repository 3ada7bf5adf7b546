"""The cold start of a Lambda function of a generated service, as Lambda runs it.

Builds the Lambda asset of ``generated/`` (``eventualc.deploy.asset.build_asset``, for
this machine's architecture and this interpreter's Python, so that it can run here)
and times, in fresh ``python -I -S -B`` processes with only the asset on the path
(Lambda's ``/var/task`` is read-only: nothing can be compiled to disk there), the setup
of the first event, before any request is sent:

- a task's (``orders.shipOrder``): ``eventual.aws.entry``, the service, the handler's
  module, its input's model, and the SQS client it answers through;
- the orchestrator's: the entry, the orchestrator with its state table and bucket, the
  workflow's input model, and its clients (DynamoDB, S3, SQS);
- the floor, what any function on these libraries pays: ``import botocore.session,
  pydantic``, one one-field model, and an SQS client.

Each is timed from the asset as built (modules compiled to ``.pyc`` for the Python that
runs them) and from the same asset without its bytecode (as assets were shipped
before: every cold start compiles what it imports). Best and median of ``--runs``
fresh processes, interleaved so that the machine's load hurts them alike. Target: a
task's first-event setup <= 300 ms.

    python bench/cold_start.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0

_TIMED = "import os, sys, time\nt = time.perf_counter()\n{}\nprint(time.perf_counter() - t)\n"
_SETUP = (
    "import eventual.aws.entry\n"
    "from eventual.aws.config import Config\n"
    "from eventual.aws.deployment import Deployment\n"
    "d = Deployment(Config.from_environment(os.environ))\n"
)
CASES = {
    "floor: botocore session, pydantic model, SQS client": (
        "import botocore.session, pydantic\n"
        "class Floor(pydantic.BaseModel):\n    x: int = 0\n"
        "botocore.session.Session().create_client('sqs')\n"
    ),
    "task: entry, service, handler, input model, SQS": (
        _SETUP + "d.service.handler('shipOrder'); d.values.adapter('ShipOrderInput')\n"
        "d.clients.sqs\n"
    ),
    "orchestrator: entry, orchestrator, table, bucket, model, SQS": (
        _SETUP + "from eventual.aws.orchestrator import Orchestrator\n"
        "Orchestrator(d); d.records; d.values.adapter('ProcessOrderInput'); d.clients.sqs\n"
    ),
}
ENVIRONMENT = {
    "EVENTUAL_SERVICE": "generated.orders", "EVENTUAL_BUS": "b", "EVENTUAL_BUCKET": "s",
    "EVENTUAL_ORCHESTRATOR_QUEUE": "q.fifo", "EVENTUAL_INBOX_QUEUE": "i",
    "EVENTUAL_STATE_TABLE": "t", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
}  # fmt: skip


def build(folder: Path) -> tuple[Path, Path]:
    """The asset as built (with bytecode), and a copy of it without."""
    sys.path[:0] = [str(REPO / "compiler"), str(REPO / "runtime")]
    from eventualc.deploy.asset import build_asset, bytecode_compiler

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert bytecode_compiler(version) == sys.executable
    machine = "arm64" if platform.machine() in ("arm64", "aarch64") else "x86_64"
    asset = build_asset(REPO / "generated", machine, folder / "cache", python_version=version)
    sources = folder / "sources-only"
    shutil.copytree(asset, sources, ignore=shutil.ignore_patterns("__pycache__"))
    return asset, sources


def seconds(asset: Path, code: str) -> float:
    script = f"import sys\nsys.path[:0] = [{str(asset)!r}]\n" + _TIMED.format(code)
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True,
        env={**os.environ, **ENVIRONMENT}, check=True, cwd=asset,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        compiled, sources = build(Path(scratch))
        folders = {"with .pyc": compiled, "sources only": sources}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for label, code in CASES.items():
                for kind, folder in folders.items():
                    times.setdefault((label, kind), []).append(seconds(folder, code) * 1000)
    load = os.getloadavg()[0]
    print(f"cold first-event setup, python -I -S -B from the asset, {args.runs} fresh processes")
    print(f"each (Python {platform.python_version()}, {platform.machine()}, load {load:.1f})\n")
    print(f"{'':<64}{'with .pyc':>22}{'sources only':>22}")
    print(f"{'':<64}{'best / median ms':>22}{'best / median ms':>22}")
    for label in CASES:
        cells = [f"{min(t):7.0f} / {statistics.median(t):5.0f}" for t in
                 (times[(label, kind)] for kind in folders)]  # fmt: skip
        print(f"{label:<64}{cells[0]:>22}{cells[1]:>22}")
    task = statistics.median(
        times[("task: entry, service, handler, input model, SQS", "with .pyc")]
    )
    verdict = "PASS" if task <= TARGET_MS else "FAIL"
    print(f"\ntask's first-event setup, median with .pyc: {task:.0f} ms (target <= 300): {verdict}")


if __name__ == "__main__":
    main()
