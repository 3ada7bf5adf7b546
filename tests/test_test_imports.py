"""No test module imports another: what tests share lives in support modules.

A test module is a ``test_*.py`` file or a ``conftest.py`` (pytest imports those itself);
every other module under ``tests/`` is a support module (``tests/support.py`` first of
all). Test modules and ``bench/`` scripts import support modules by their full name
(``tests.support``), never by a bare name that works only because pytest put the
module's folder on ``sys.path``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support import REPO

TESTS = REPO / "tests"
SKIPPED = {"golden", "corpus"}  # generated code and spec inputs, not test code


def _sources() -> list[Path]:
    found = sorted(TESTS.rglob("*.py")) + sorted((REPO / "bench").glob("*.py"))
    return [p for p in found if not SKIPPED & set(p.relative_to(REPO).parts)]


def _is_test_module(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "conftest.py"


def _imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every absolute import, ``from a import b`` as ``a.b`` too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{a.name}") for a in node.names)


def _module_file(name: str, folder: Path) -> Path | None:
    """The file under ``folder`` that the dotted ``name`` names, if any."""
    path = folder.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _problems(where: str, source: str, folder: Path) -> Iterator[str]:
    """What is wrong with the imports of ``source`` (the file ``where``, in ``folder``)."""
    for line, name in _imported(ast.parse(source)):
        if name == "tests" or name.startswith("tests."):
            target = _module_file(name, REPO)
            if target is not None and _is_test_module(target):
                yield f"{where}:{line}: imports the test module {name}"
        elif _bare_sibling(name, folder):
            yield f"{where}:{line}: imports {name} by a bare name; write tests.…"


def _bare_sibling(name: str, folder: Path) -> bool:
    """Whether ``name`` is a module of ``folder`` (a folder of tests) imported bare."""
    inside = folder.is_relative_to(TESTS)
    return "." not in name and inside and _module_file(name, folder) is not None


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_only_support_modules_are_imported(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert list(_problems(str(path.relative_to(REPO)), source, path.parent)) == []


def test_the_check_sees_test_modules_and_bare_names_imported() -> None:
    """The rule bites: the kinds of import this rule removed are each reported."""
    source = (
        "from tests.conftest import forget\nfrom tests.runtime.engine.test_engine import same\n"
        "from tests.runtime import test_testing\nimport tests.support\n"
        "from tests.support import REPO\nfrom conformance_suite import load\nimport json\n"
    )
    assert list(_problems("x.py", source, TESTS / "runtime" / "cel")) == [
        "x.py:1: imports the test module tests.conftest",
        "x.py:2: imports the test module tests.runtime.engine.test_engine",
        "x.py:3: imports the test module tests.runtime.test_testing",
        "x.py:6: imports conformance_suite by a bare name; write tests.…",
    ]


def test_no_two_test_modules_share_a_name() -> None:
    """tests/ folders are not packages: pytest imports each test module by its file name,
    so two of the same name stop the whole run at collection."""
    names = [p.name for p in (REPO / "tests").rglob("test_*.py") if "golden" not in p.parts]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
