"""A pytest plugin (registered by the ``eventualc`` distribution): fixtures for tests of
eventual services, so a user's test needs no boilerplate.

``eventual_env`` is a fresh ``TestEnvironment`` of ``eventual_service``. By default
``eventual_service`` is the one service built into the project's output package
(``[tool.eventualc] out``, default ``generated``); a project with several services
overrides the ``eventual_service`` fixture in its ``conftest.py``. Nothing built yet
fails the test with what to run (``eventualc build``).
"""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eventual.service import Service

if TYPE_CHECKING:
    from eventual.testing import TestEnvironment


def _output_package(root: Path) -> str:
    try:
        settings = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        settings = {}
    out = settings.get("tool", {}).get("eventualc", {}).get("out", "generated")
    return str(out).strip("/").replace("/", ".")


@pytest.fixture
def eventual_service(pytestconfig: pytest.Config) -> Service:
    package = _output_package(Path(pytestconfig.rootpath))
    folder = Path(pytestconfig.rootpath) / package.replace(".", "/")
    names = sorted(p.parent.name for p in folder.glob("*/definition.json"))
    if not names:
        pytest.fail(f"eventual_service: nothing is built in {folder}: run `eventualc build` "
                    "in the project first", pytrace=False)  # fmt: skip
    if len(names) > 1:
        pytest.fail(f"eventual_service: {len(names)} services are built in {folder} "
                    f"({', '.join(names)}): override the eventual_service fixture in "
                    "conftest.py to choose one", pytrace=False)  # fmt: skip
    service: Service = importlib.import_module(f"{package}.{names[0]}").service
    return service


@pytest.fixture
def eventual_env(eventual_service: Service) -> TestEnvironment:
    from eventual.testing import TestEnvironment  # only tests that use it pay for it

    return TestEnvironment(eventual_service)
