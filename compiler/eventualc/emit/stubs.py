"""Handler stubs: one module per task and per handler subscription, owned by the user.

``emit_stubs`` gives each stub's path, text and expected signature. The write stage
creates a stub only when its file is missing and never overwrites or deletes one;
``stale_stubs`` compares what users wrote with what the spec now says, so a changed
type is reported with the new signature instead of silently breaking handlers.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from eventualc.emit.models import export_order
from eventualc.frontend import ir
from eventualc.frontend.naming import Position, task_positions

_ANY = re.compile(r"\bAny\b")
LINE_LENGTH = 100  # of the generated code, as ruff formats it


@dataclass(frozen=True, slots=True)
class Stub:
    path: str  # relative to the output folder
    name: str  # the spec name of the task or subscription
    function: str
    parameters: tuple[tuple[str, str], ...]  # (name, annotation)
    returns: str

    @property
    def signature(self) -> str:
        params = ", ".join(f"{n}: {a}" for n, a in self.parameters)
        return f"def {self.function}({params}) -> {self.returns}"


def emit_stubs(build: ir.Build) -> list[tuple[Stub, str]]:
    stubs: list[tuple[Stub, str]] = []
    for service in build.services:
        for task in service.tasks:
            stubs.append(_task_stub(service, task))
        for sub in service.subscriptions:
            if sub.workflow is None:
                stubs.append(_subscription_stub(service, sub))
    return stubs


def runtime_module(function: str) -> str:
    """How a stub names the ``eventual`` module: aliased when the handler is ``eventual``."""
    return "_eventual" if function == "eventual" else "eventual"


def _task_stub(service: ir.Service, task: ir.Task) -> tuple[Stub, str]:
    given, returned = task_positions(task)
    context = f"{runtime_module(task.python_name)}.TaskContext"
    stub = Stub(
        f"{service.name}/handlers/{task.python_name}.py",
        task.name,
        task.python_name,
        (("input", given.annotation), ("ctx", context)),
        returned.annotation,
    )
    models = [p.model for p in (given, returned) if _is_model(p)]
    imports = [("..models", sorted(set(m for m in models if m)))]
    return stub, _render(stub, task.description, imports, "task")


def _subscription_stub(service: ir.Service, sub: ir.Subscription) -> tuple[Stub, str]:
    names = [ref.name for ref in sub.events]
    stub = Stub(
        f"{service.name}/handlers/{sub.python_name}.py",
        sub.name,
        sub.python_name,
        (
            ("event", " | ".join(names)),
            ("ctx", f"{runtime_module(sub.python_name)}.SubscriptionContext"),
        ),
        "None",
    )
    by_module: dict[str, set[str]] = {}
    for ref in sub.events:
        module = "..models" if ref.service == service.name else f"...{ref.service}.models"
        by_module.setdefault(module, set()).add(ref.name)
    imports = [(module, sorted(names)) for module, names in sorted(by_module.items())]
    return stub, _render(stub, sub.description, imports, "subscription")


def _is_model(p: Position) -> bool:
    return p.model is not None and p.annotation == p.model


def _render(stub: Stub, description: str, imports: list[tuple[str, list[str]]], kind: str) -> str:
    from eventualc.emit.render import render

    annotations = [a for _, a in stub.parameters] + [stub.returns]
    return render(
        "stub.py.jinja",
        kind=kind,
        name=stub.name,
        # A handler named `annotations` would clash with the future import; its stub's
        # annotations need no postponing anyway (every name in them is imported above it).
        future=stub.function != "annotations",
        uses_any=any(_ANY.search(a) for a in annotations),
        module=runtime_module(stub.function),
        imports=[(m, sorted(names, key=export_order)) for m, names in imports if names],
        signature=_signature_lines(stub),
        summary=description or f"The {stub.name} {kind}.",
        line_length=LINE_LENGTH,
    )


def _signature_lines(stub: Stub) -> str:
    """The ``def`` line of ``stub`` as ruff formats it: on one line if it fits in
    ``LINE_LENGTH``, else the parameters on one indented line, else one a line (a
    union too long for its line, one member a line)."""
    # A handler named `l` is the task's name, but pycodestyle calls it ambiguous (E743).
    noqa = "  # noqa: E743" if stub.function in _AMBIGUOUS else ""
    if len(stub.signature) < LINE_LENGTH:
        return f"{stub.signature}:{noqa}"
    parameters = [f"{n}: {a}" for n, a in stub.parameters]
    body = f"    {', '.join(parameters)}"
    if len(body) > LINE_LENGTH:
        body = "\n".join(_parameter_lines(p) for p in parameters)
    return f"def {stub.function}({noqa}\n{body}\n) -> {stub.returns}:"


_AMBIGUOUS = frozenset({"l", "I", "O"})


def _parameter_lines(parameter: str) -> str:
    line = f"    {parameter},"
    if len(line) <= LINE_LENGTH:
        return line
    return line.replace(" | ", "\n    | ")


def stale_stubs(stub: Stub, text: str) -> tuple[int, str] | None:
    """Where and why the handler in ``text`` no longer matches ``stub``; ``None`` if it does."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return exc.lineno or 1, f"cannot be parsed ({exc.msg})"
    found = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == stub.function
        ),
        None,
    )
    if found is None:
        return 1, f"defines no function '{stub.function}'"
    written = [_annotation(a.annotation) for a in found.args.args]
    expected = [_normal(a) for _, a in stub.parameters]
    if written != expected or _annotation(found.returns) != _normal(stub.returns):
        return found.lineno, "has a signature that no longer matches the spec"
    return None


def _annotation(node: ast.expr | None) -> str:
    return ast.unparse(node) if node is not None else ""


def _normal(annotation: str) -> str:
    return ast.unparse(ast.parse(annotation, mode="eval").body)
