"""The test tree mirrors the packages: ``tests/compiler/<stage>/`` tests
``compiler/eventualc/<stage>/``, ``tests/runtime/<part>/`` tests ``runtime/eventual/<part>/``;
``tests/examples/`` tests ``examples/``. Only this check and its sibling stay at the root."""

from __future__ import annotations

from tests.support import REPO

TESTS = REPO / "tests"
PACKAGES = {"compiler": REPO / "compiler" / "eventualc", "runtime": REPO / "runtime" / "eventual"}


def test_each_test_folder_names_a_package_or_the_examples() -> None:
    for side, package in PACKAGES.items():
        folders = [  # folders of test modules (not their data, such as cel's conformance files)
            p.parent for p in (TESTS / side).rglob("test_*.py")
        ]
        assert folders, side
        for folder in folders:
            mirrored = package / folder.relative_to(TESTS / side)
            assert mirrored.is_dir(), f"{folder.relative_to(REPO)} mirrors no package"
    assert (REPO / "examples").is_dir() and list((TESTS / "examples").glob("test_*.py"))


def test_no_test_module_is_left_at_the_root() -> None:
    root = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert root == ["test_test_imports.py", "test_test_layout.py"], root
