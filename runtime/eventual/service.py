"""``Service``: a built service as data, plus lazy access to its handlers and models.

``eventualc build`` writes ``definition.json`` into each service package; this module
reads it (the standard library's ``json``) and resolves code only when asked:
``handler(name)`` imports one handler module, ``model(name)`` one model module, so a
Lambda that runs one function imports only what that function needs.

The definition's format and its records are ``eventual.definition``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eventual.definition import Definition, Event, Subscription, Task, Workflow


class Service:
    """``definition`` as records (a mapping is read as ``definition.json`` data)."""

    def __init__(self, definition: Definition | Mapping[str, Any], package: str) -> None:
        if not isinstance(definition, Definition):
            try:
                definition = Definition.from_json(definition)
            except ValueError as exc:  # another format
                raise ValueError(f"{package}: {exc}") from exc
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{package}: definition.json is malformed ({exc!r})") from exc
        self.definition = definition
        self.package = package
        self.name = definition.service
        self.version = definition.version
        self.events: Mapping[str, Event] = definition.events
        self.tasks: Mapping[str, Task] = definition.tasks
        self.subscriptions: Mapping[str, Subscription] = definition.subscriptions
        self.workflows: Mapping[str, Workflow] = definition.workflows
        # event name (as this service writes it) -> the workflows that wait for it: read
        # on every publish, so walked out of the step trees once
        waiting: dict[str, list[str]] = {}
        for workflow, spec in self.workflows.items():
            for event in spec.waited_events():
                waiting.setdefault(event, []).append(workflow)
        self.waiting: Mapping[str, list[str]] = waiting

    @classmethod
    def load(cls, package: str, path: str | Path) -> Service:
        """The service of ``package`` from its ``definition.json`` at ``path``."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), package)

    def __repr__(self) -> str:
        return f"Service({self.name!r}, version={self.version[:12]!r})"

    def definition_text(self) -> str:
        """The definition as the text runtimes store it by ``version`` (keys sorted)."""
        return json.dumps(self.definition.to_json(), sort_keys=True)

    def handler(self, name: str) -> Callable[..., Any]:
        """The handler function of task or subscription ``name`` (imports its module)."""
        spec = self.tasks.get(name) or self.subscriptions.get(name)
        if spec is None or not spec.handler:
            raise KeyError(f"{self.name} has no handler named {name!r}")
        module = importlib.import_module(f"{self.package}.handlers.{spec.handler}")
        function: Callable[..., Any] = getattr(module, spec.handler)
        return function

    def model(self, name: str) -> Any:
        """The model class (or type alias) ``name`` (imports only its module);
        ``shop.OrderPlaced`` is a model of service ``shop``, built beside this one."""
        owner, _, bare = name.rpartition(".")
        models = importlib.import_module(f"{self._package_of(owner)}.models")
        return getattr(models, bare)

    def has_model(self, name: str) -> bool:
        """Whether ``model(name)`` can be imported (another service may not be built here)."""
        owner, _, _ = name.rpartition(".")
        try:
            return importlib.util.find_spec(f"{self._package_of(owner)}.models") is not None
        except ImportError:
            return False

    def _package_of(self, service: str) -> str:
        if not service or service == self.name:
            return self.package
        parent = self.package.rpartition(".")[0]
        return f"{parent}.{service}" if parent else service
