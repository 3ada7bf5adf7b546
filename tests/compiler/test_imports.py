"""The import structure, read statically (``ast``; nothing is imported): the compiler's
modules import each other without a cycle, only the command line imports the command
line, and the runtime never imports the compiler.

A module's imports are those it runs when it is imported (the statements of its body,
of the blocks and class bodies in it), and, counted apart, those inside functions
(lazy imports, run when called); never those under ``if TYPE_CHECKING:`` (never run).
The compiler has no cycle either way. ``import a.b`` and ``from a import b`` (``b`` a
module) point at module ``a.b``, not at the package ``a`` whose ``__init__`` Python
runs first: a package's ``__init__`` importing its own modules is not a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPILER = REPO / "compiler"
RUNTIME = REPO / "runtime"

Graph = dict[str, set[str]]


def modules(root: Path, package: str) -> dict[str, Path]:
    """``{dotted name: file}`` of every module of ``package`` under ``root``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(tree: ast.Module, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run on import (``lazy``: those in functions too);
    never those under ``if TYPE_CHECKING:``."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not lazy:
            continue
        elif isinstance(node, ast.If) and _type_checking(node.test):
            pending += node.orelse
        else:
            pending += ast.iter_child_nodes(node)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``node``, in ``module``, imports: ``from x import y``
    is module ``x.y`` when there is one, else ``x``."""
    if isinstance(node, ast.Import):
        return {_owner(alias.name, known) for alias in node.names} - {""}
    base = node.module or ""
    if node.level:
        is_package = f"{module}.__init__" in known  # ``graph`` marks packages so
        anchor = module.split(".")
        anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, *([base] if base else [])])
    found = {f"{base}.{alias.name}" for alias in node.names} & known
    return found or {_owner(base, known)} - {""}


def _owner(dotted: str, known: set[str]) -> str:
    """The longest module of ``known`` that ``dotted`` is or is inside of; ``""`` if none."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts)


def graph(package: str, lazy: bool = False) -> Graph:
    """Module -> the modules of ``package`` it imports."""
    files = modules(COMPILER, package)
    known = set(files) | {f"{name}.__init__" for name, p in files.items() if p.stem == "__init__"}
    edges: Graph = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in imports(tree, lazy):
            edges[name] |= imported(node, name, known) - {name, f"{name}.__init__"}
    return edges


def cycle(edges: Graph) -> list[str]:
    """One cycle of ``edges`` (its modules, the first repeated at the end), or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_compiler_imports_without_a_cycle_even_through_lazy_imports() -> None:
    edges = graph("eventualc")
    assert "eventualc.cli.factory" in edges["eventualc.cli.engine"]  # the graph is read
    assert "eventualc.cli.console" in edges["eventualc.cli.factory"]
    assert "eventualc.cli.deploy" in edges["eventualc.cli"]
    assert "eventualc.build" not in edges["eventualc.cli.factory"]  # a lazy import
    assert cycle(edges) == []
    with_lazy = graph("eventualc", lazy=True)
    assert "eventualc.build" in with_lazy["eventualc.cli.factory"]
    assert cycle(with_lazy) == []


def test_only_the_command_line_imports_the_command_line() -> None:
    def in_cli(name: str) -> bool:
        return name == "eventualc.cli" or name.startswith("eventualc.cli.")

    importers = {
        name
        for name, targets in graph("eventualc", lazy=True).items()
        if not in_cli(name) and any(in_cli(t) for t in targets)
    }
    assert importers == {"eventualc.__main__"}  # `python -m eventualc`


def compiler_imports(tree: ast.Module) -> list[str]:
    """Every import of ``eventualc`` in ``tree``: lazy, under ``TYPE_CHECKING`` or by
    ``import_module``/``__import__`` with a literal name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append(node.module or "")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if called in ("import_module", "__import__"):
                found.append(str(node.args[0].value))
    return [name for name in found if name.split(".")[0] == "eventualc"]


def test_the_runtime_never_imports_the_compiler() -> None:
    planted = "def f():\n    if TYPE_CHECKING:\n        from eventualc.cli import x\n"
    assert compiler_imports(ast.parse(planted)) == ["eventualc.cli"]
    assert compiler_imports(ast.parse("importlib.import_module('eventualc.frontend.ir')")) == [
        "eventualc.frontend.ir"
    ]
    files = modules(RUNTIME, "eventual")
    assert len(files) > 40
    offending = {
        name: found
        for name, path in files.items()
        if (found := compiler_imports(ast.parse(path.read_text("utf-8"), str(path))))
    }
    assert offending == {}
