"""What the examples' tests share: running a scenario on both local runtimes.

``on_both(service, tmp_path, scenario)`` runs ``scenario(Runtime)`` on the
TestEnvironment and on the SQLite engine driven by the same virtual clock, asserts that
both return the same summary (made JSON-like) and returns it. Handler modules that keep
state in memory (the fake bank, the tables, the outbox) define ``reset()``; it runs
before each runtime's turn. ``example`` (the fixture in this folder's conftest) builds
an example into a temporary project.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.parity import VirtualEngine

from eventual import Service
from eventual.testing import TestEnvironment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Example = Callable[[str], Service]


def handler_modules(service: Service) -> list[ModuleType]:
    """The example's handler modules, imported."""
    folder = Path(importlib.import_module(service.package).__file__ or "").parent / "handlers"
    names = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    return [importlib.import_module(f"{service.package}.handlers.{n}") for n in names]


def handler(service: Service, name: str) -> ModuleType:
    return importlib.import_module(f"{service.package}.handlers.{name}")


class Runtime:
    """One local runtime, as a scenario drives it: the TestEnvironment or the engine."""

    def __init__(self, service: Service, tmp_path: Path, engine: bool) -> None:
        self.env = None if engine else TestEnvironment(service)
        self.engine = VirtualEngine(service, tmp_path / "engine.db") if engine else None

    def start(self, workflow: str, input: Any = None, name: str | None = None) -> str:
        if self.env is not None:
            return self.env.start_execution(workflow, input, name).id
        assert self.engine is not None
        return self.engine.engine.start(workflow, input, name)

    def publish(self, event: str, payload: Any) -> None:
        if self.env is not None:
            self.env.publish(event, payload)
        else:
            assert self.engine is not None
            self.engine.engine.publish(event, payload)

    def signal(self, execution: str, signal: str, payload: Any = None) -> None:
        if self.env is not None:
            self.env.send_signal(execution, signal, payload)
        else:
            assert self.engine is not None
            self.engine.engine.signal(execution, signal, payload)

    def tick(self, seconds: float = 1) -> None:
        (self.env or self.engine).tick(seconds)  # type: ignore[union-attr]

    def outcome(self, execution: str) -> list[Any]:
        """``[status, result, error]`` of an execution (its id or name)."""
        if self.env is not None:
            state = self.env.execution(execution).get_status()
            error = None if state.error is None else {
                "error": state.error.error, "message": state.error.message}  # fmt: skip
            return [state.status.value, state.result, error]
        assert self.engine is not None
        view = self.engine.engine.execution(execution)
        return [view.status.value, view.result, view.error]

    def query(self, execution: str, name: str) -> Any:
        if self.env is not None:
            return self.env.execution(execution).query(name)
        assert self.engine is not None
        return self.engine.engine.query(execution, name)

    def count(self, workflow: str) -> int:
        """How many executions of ``workflow`` there are."""
        if self.env is not None:
            return len(self.env.executions(workflow))
        assert self.engine is not None
        return len(self.engine.engine.executions(workflow))

    def dead_letters(self) -> list[list[str]]:
        """``[subscription, event]`` of each dead letter, in order."""
        if self.env is not None:
            return [[d.subscription, d.event] for d in self.env.dead_letters]
        assert self.engine is not None
        return [[d.subscription, d.event] for d in self.engine.engine.dead_letters()]

    def emitted(self) -> list[str]:
        """The names of the events published so far, in order."""
        if self.env is not None:
            return [name for name, _ in self.env.emitted]
        assert self.engine is not None
        return [name for _, _, name in self.engine.engine.events()]


def on_both(service: Service, tmp_path: Path, scenario: Callable[[Runtime], Any]) -> Any:
    """``scenario``'s summary, the same on the TestEnvironment and on the engine."""
    got = []
    for engine in (False, True):
        for module in handler_modules(service):
            if hasattr(module, "reset"):
                module.reset()
        got.append(json.loads(json.dumps(scenario(Runtime(service, tmp_path, engine)))))
    assert got[1] == got[0], "the engine and the TestEnvironment disagree"
    return got[0]
