"""``Service``: a built service as data, plus lazy access to its handlers and models.

``eventualc build`` writes ``definition.json`` into each service package; this module
reads it (the standard library's ``json``) and resolves code only when asked:
``handler(name)`` imports one handler module, ``model(name)`` one model module, so a
Lambda that runs one function imports only what that function needs.

The definition format (version 1), all names as written in the spec:
``{"format": 1, "service": str, "version": sha256,
"events": {Name: {"model": Name, "description": str}},
"tasks": {name: {"handler": module, "input": Model|null, "output": Model|null,
"timeout": s, "heartbeat": s|null, "retry": Retry, "emits": [Event], "memory": MB}},
"subscriptions": {name: {"handler": module|null, "events": [Event], "filter": {}|null,
"emits": [Event], "retry": Retry, "timeout": s, "memory": MB,
"workflow": name|null, "input": template|null, "execution_name": template|null}},
"workflows": {name: {"version": sha256, "input": Model|null, "output": Model|null,
"timeout": s|null, "signals": {name: Model}, "steps": [Step]}}}``
where an ``Event`` of another service is ``service.Name``, a ``Retry`` is
``{"attempts", "backoff", "multiplier", "max_backoff", "jitter", "errors"}`` and a
``Step`` is ``{"kind", "id", ...}`` with the kind's keys (see the compiler's
``emit/definition.py``); a ``set`` step lists its ``[var, template]`` pairs in written
order, each assignment seeing the ones before it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

FORMAT = 1


class Service:
    def __init__(self, definition: Mapping[str, Any], package: str) -> None:
        if definition.get("format") != FORMAT:
            raise ValueError(
                f"{package}: unsupported definition format {definition.get('format')!r}"
            )
        self.definition = definition
        self.package = package
        self.name: str = definition["service"]
        self.version: str = definition["version"]
        self.events: Mapping[str, Any] = definition["events"]
        self.tasks: Mapping[str, Any] = definition["tasks"]
        self.subscriptions: Mapping[str, Any] = definition["subscriptions"]
        self.workflows: Mapping[str, Any] = definition["workflows"]

    @classmethod
    def load(cls, package: str, path: str | Path) -> Service:
        """The service of ``package`` from its ``definition.json`` at ``path``."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), package)

    def __repr__(self) -> str:
        return f"Service({self.name!r}, version={self.version[:12]!r})"

    def definition_text(self) -> str:
        """The definition as the text runtimes store it by ``version`` (keys sorted)."""
        return json.dumps(self.definition, sort_keys=True)

    def handler(self, name: str) -> Callable[..., Any]:
        """The handler function of task or subscription ``name`` (imports its module)."""
        spec = self.tasks.get(name) or self.subscriptions.get(name)
        if spec is None or not spec.get("handler"):
            raise KeyError(f"{self.name} has no handler named {name!r}")
        module = importlib.import_module(f"{self.package}.handlers.{spec['handler']}")
        function: Callable[..., Any] = getattr(module, spec["handler"])
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
