"""Workflows as the interpreter sees them: a ``definition.json`` workflow compiled once.

``compile_workflow`` turns the step records of a ``definition.Workflow`` into frozen
``Step`` values whose templates are compiled CEL renderers, and indexes every step
list (a *block*) by its path, so interpreter state can refer to a block with a short
JSON list. Paths:
``("steps",)`` is the workflow's own list; ``(*step, "then")``, ``(*step, "else")``,
``(*step, "branch", name)``, ``(*step, "steps")`` (for_each), ``(*step, "try")``,
``(*step, "catch", i)`` and ``(*step, "compensate")`` are a step's nested lists,
where a step's path is its block's path plus its index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eventual import definition
from eventual.cel.render import compile_template
from eventual.errors import names_error
from eventual.patterns import compile_pattern
from eventual.retry import Retries, RetryPolicy

Path = tuple[str | int, ...]
Renderer = Callable[[Mapping[str, Any]], Any]
ROOT: Path = ("steps",)

__all__ = ["ROOT", "Catch", "CompiledWorkflow", "Path", "RetryPolicy", "Step", "compile_workflow"]


@dataclass(frozen=True, slots=True)
class Catch:
    errors: tuple[str, ...]
    var: str
    block: Path

    def handles(self, error: str) -> bool:
        return names_error(self.errors, error)


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    id: str | None
    path: Path
    target: str | None = None
    value: Renderer | None = None
    duration: float | None = None
    timeout: float | None = None
    retry: Retries | None = None
    var: str | None = None
    concurrency: int | None = None  # for_each: explicit in every definition
    error: str | None = None
    blocks: tuple[tuple[str, Path], ...] = ()
    assign: tuple[tuple[str, Renderer], ...] = ()
    catch: tuple[Catch, ...] = ()
    compensate: Path | None = None
    compensate_on_failure: bool = False
    signals: tuple[str, ...] = ()  # wait_for_signal on a list
    timeout_value: Renderer | None = None  # a timeout template (see ``timeouts``)
    max_iterations: int | None = None  # while: explicit in every definition
    filter: Callable[[Any], bool] | None = None  # wait_for_event: the compiled detail filter


@dataclass(frozen=True, slots=True)
class CompiledWorkflow:
    name: str
    version: str
    input_model: str | None
    output_model: str | None
    timeout: float | None
    signals: Mapping[str, str | None]
    blocks: Mapping[Path, tuple[Step, ...]]
    events: frozenset[str] = frozenset()  # the events its wait_for_event steps wait for

    def step(self, path: Path) -> Step:
        return self.blocks[path[:-1]][int(path[-1])]


def compile_workflow(name: str, workflow: definition.Workflow) -> CompiledWorkflow:
    blocks: dict[Path, tuple[Step, ...]] = {}
    _block(workflow.steps, ROOT, blocks)
    return CompiledWorkflow(
        name, workflow.version, workflow.input, workflow.output, workflow.timeout,
        dict(workflow.signals), blocks, workflow.waited_events(),
    )  # fmt: skip


def _block(
    steps: tuple[definition.Step, ...], path: Path, blocks: dict[Path, tuple[Step, ...]]
) -> Path:
    blocks[path] = tuple(_step(s, (*path, i), blocks) for i, s in enumerate(steps))
    return path


def _step(data: definition.Step, path: Path, blocks: dict[Path, tuple[Step, ...]]) -> Step:
    kind = data.kind
    if kind == "parallel":
        names = [(b, _block(s, (*path, "branch", b), blocks)) for b, s in data.blocks]
    else:
        names = [(b, _block(s, (*path, b), blocks)) for b, s in data.blocks]
    catch = tuple(
        Catch(c.errors, c.var, _block(c.steps, (*path, "catch", i), blocks))
        for i, c in enumerate(data.catch)
    )
    compensate = _block(data.compensate, (*path, "compensate"), blocks) if data.compensate else None
    templated = data.value is not None or kind in ("task", "workflow", "return")
    return Step(
        kind=kind, id=data.id, path=path, target=data.target,
        value=compile_template(data.value) if templated else None,
        duration=data.duration, timeout=data.timeout, retry=data.retry,
        var=data.var, concurrency=data.concurrency, error=data.error,
        blocks=tuple(names),
        assign=tuple((var, compile_template(t)) for var, t in data.set),
        catch=catch, compensate=compensate, compensate_on_failure=data.compensate_on_failure,
        signals=data.signals,
        timeout_value=(
            compile_template(data.timeout_expr) if data.timeout_expr is not None else None
        ),
        max_iterations=data.max_iterations,
        filter=compile_pattern(data.filter) if data.filter is not None else None,
    )  # fmt: skip
