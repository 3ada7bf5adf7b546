"""``Operations``: what operators do to a running service, the same API on every
runtime, as temporalio's test environment is its client pointed elsewhere.

``eventual.testing.TestEnvironment`` (in memory, virtual clock),
``eventual.engine.Engine`` (SQLite) and ``eventual.aws.Client`` (a deployed stack)
each implement it; mypy checks that they do (``_: type[Operations] = ...`` at the
end of each one's module). An
execution is named by its id or its name; ``get`` and ``list`` answer with
``ExecutionView`` values, ``list`` newest first; requests a runtime refuses raise
(``ValueError`` in the TestEnvironment, ``EngineError`` on the engine and AWS) with
the same message for the same reason.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from eventual.views import ExecutionView


class Operations(Protocol):
    def start(self, workflow: str, input: Any = None, name: str | None = None) -> str:
        """Starts ``workflow``; the execution's id (a name used before gives that one)."""
        ...

    def get(self, execution: str, /) -> ExecutionView: ...

    def list(
        self, workflow: str | None = None, status: str | None = None
    ) -> builtins.list[ExecutionView]: ...

    def history(self, execution: str, /) -> builtins.list[dict[str, Any]]: ...

    def signal(self, execution: str, signal: str, payload: Any = None, /) -> None: ...

    def cancel(self, execution: str, /) -> None: ...

    def publish(self, event: str, payload: Any = None, /) -> str:
        """Publishes ``event`` (``Name`` or ``service.Name``); the event's id."""
        ...

    def query(self, execution: str, name: str, /) -> Any:
        """The workflow's declared query ``name`` evaluated on the execution's stored
        state (read-only; an ended execution answers from its final state), as JSON
        values; an undeclared name raises naming the declared ones."""
        ...


class _Queries(Protocol):
    def execution(self, ref: str, /) -> ExecutionView: ...

    def executions(
        self, workflow: str | None = None, status: str | None = None
    ) -> builtins.list[ExecutionView]: ...


class ViewNames:
    """``get`` and ``list``, the ``Operations`` names of ``execution`` and
    ``executions``, for a class that has those."""

    def get(self: _Queries, execution: str) -> ExecutionView:
        return self.execution(execution)

    def list(
        self: _Queries, workflow: str | None = None, status: str | None = None
    ) -> builtins.list[ExecutionView]:
        return self.executions(workflow, status)
