"""Plain helpers the test modules share (fixtures stay in the ``conftest.py`` files).

Projects: ``build_project`` writes a project folder and builds it with the real
``eventualc build``. Processes: ``eventualc`` runs the command line to its end,
``eventualc_process`` keeps one running for the duration. Waiting: ``wait_for`` polls a
condition, ``shown_execution`` polls ``eventualc executions show``. AWS: ``moto_server``
serves moto on 127.0.0.1, ``environment`` sets variables for the duration. The rest reads
results: ``codes``, ``json_paths``; and ``forget`` drops an imported generated package.

Test modules import these from here (``from tests.support import ...``), never from
another test module or a ``conftest.py``; ``test_test_imports`` checks that.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventual import Service
from eventualc.pipeline import FrontEnd

REPO = Path(__file__).resolve().parents[1]

CheckSpec = Callable[..., FrontEnd]  # the ``check_spec`` fixture
MakeService = Callable[..., Service]  # the ``make_service`` fixture


# -- reading results ---------------------------------------------------------------------------


def codes(result: FrontEnd) -> list[str]:
    return [d.code for d in result.diagnostics]


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON-like value, the root included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += json_paths(value, (*prefix, i))
    return found


def forget(package: str) -> None:
    """Drops an imported package and its modules, so that the next build is imported anew."""
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]


@contextmanager
def imports_apart(package: str) -> Iterator[None]:
    """Within: ``package`` as a command run now would import it (none of it imported yet);
    after: ``sys.path`` and that package's modules as they were, so tests that follow
    import what they imported before."""
    path = list(sys.path)
    kept = {m: sys.modules[m] for m in sys.modules if m == package or m.startswith(package + ".")}
    forget(package)
    try:
        yield
    finally:
        sys.path[:] = path
        forget(package)
        sys.modules.update(kept)


# -- the command line, as users run it ---------------------------------------------------------


def eventualc(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120,
    check: bool = False, preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``python -m eventualc ARGS`` run to its end in ``cwd`` (``env``: the whole
    environment, this process's when not given; ``preexec_fn`` runs in the child before
    it starts, e.g. to set resource limits), output captured as text. Asserts that it
    printed no traceback and, with ``check``, that it exited 0."""
    done = subprocess.run(
        [sys.executable, "-m", "eventualc", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env=None if env is None else dict(env), check=False,
        preexec_fn=preexec_fn,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    if check:
        assert done.returncode == 0, f"eventualc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@contextmanager
def eventualc_process(cwd: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m eventualc ARGS`` running in ``cwd`` for the duration, its stdout and
    stderr piped as text; killed and reaped at the end if it is still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "eventualc", *args], cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def build_project(
    root: Path, name: str, spec: str, handlers: Mapping[str, str], out: str | None = None
) -> str:
    """Builds service ``name`` from ``spec`` into a project under ``root`` with the real
    ``eventualc build``, then writes ``handlers`` (``{file name: source}``) over its stubs.
    ``out`` is the generated package (by default a unique one, so several builds import
    side by side); returns its name."""
    package = out or f"gen_{name}_{uuid.uuid4().hex[:8]}"
    (root / "pyproject.toml").write_text(
        f"[project]\nname = '{name}'\n\n[tool.eventualc]\nspecs = 'specs'\nout = '{package}'\n"
    )
    (root / "specs").mkdir()
    (root / "specs" / f"{name}.yaml").write_text(spec)
    eventualc(root, "build", check=True)
    for file, source in handlers.items():
        (root / package / name / "handlers" / file).write_text(source)
    return package


# -- waiting -----------------------------------------------------------------------------------


def wait_for(
    condition: Callable[[], bool], what: str | Callable[[], str], timeout: float = 60,
    interval: float = 0.01,
) -> None:  # fmt: skip
    """Polls ``condition`` every ``interval`` seconds until it holds; fails saying ``what``
    (a text, or a function giving it at the time) did not happen in ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"{said} did not happen in {timeout} s")
        time.sleep(interval)


def shown_execution(
    root: Path, execution: str, until: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> dict[str, Any]:
    """``eventualc executions show EXECUTION --json`` in ``root``, asked again until
    ``until`` holds of what it shows; what it showed last."""
    shown: dict[str, Any] = {}

    def holds() -> bool:
        nonlocal shown
        shown = json.loads(eventualc(root, "executions", "show", execution, "--json").stdout)
        return until(shown)

    wait_for(holds, lambda: f"{execution} reaching what was awaited (last: {shown})", timeout,
             interval=0.2)  # fmt: skip
    return shown


# -- AWS, simulated ----------------------------------------------------------------------------


@contextmanager
def moto_server(log: Path, script: Path | None = None) -> Iterator[str]:
    """A moto server on 127.0.0.1 for the duration, its output in ``log``; its URL.
    ``script``: a file to run instead of ``moto.server`` (taking its arguments)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, *([str(script)] if script else ["-m", "moto.server"]),
             "-H", "127.0.0.1", "-p", str(port)],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url, server), "the moto server starting", timeout=30,
                 interval=0.1)  # fmt: skip
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(url: str, server: subprocess.Popen[bytes]) -> bool:
    assert server.poll() is None, "moto server exited"
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """``values`` set in this process's environment for the duration, then put back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
