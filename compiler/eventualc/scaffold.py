"""``eventualc init``: a project name -> the files of a new project that works at once.

``starter_files(name)`` is pure: ``{relative path: text}`` from the templates in
``starter/`` (a ``pyproject.toml`` with ``[tool.eventualc]`` and pytest settings, a
small spec, a test using the ``eventual_env`` fixture, a pre-commit config with the
``eventualc-check`` hook, a README and a ``.gitignore``); ``eventualc build`` then
``pytest`` pass in it unchanged. ``create_project`` writes them into a folder that
does not exist or is empty. A bad name or a non-empty folder is a ``ValueError``
with a message for the user.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

_STARTER = Path(__file__).with_name("starter")
_SERVICE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROJECT = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")  # a folder and a distribution name
# Project file -> template in ``starter/``; ``__SERVICE__`` in a path is the service name.
_TEMPLATES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "specs/__SERVICE__.yaml": "spec.yaml.tmpl",
    "tests/test___SERVICE__.py": "test_service.py.tmpl",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.tmpl",
    ".gitignore": "gitignore.tmpl",
    "README.md": "README.md.tmpl",
}


def service_name(project: str) -> str:
    """The service (and package) name of a project folder name: ``my-shop`` -> ``my_shop``."""
    name = re.sub(r"[^a-z0-9]+", "_", project.lower()).strip("_")
    if (
        not _PROJECT.match(project)
        or not _SERVICE.match(name)
        or keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
    ):
        raise ValueError(
            f"cannot make a service name from {project!r}: use letters, digits, '-', '_' or '.', "
            "starting with a letter, and not a Python keyword"
        )
    return name


def starter_files(project: str) -> dict[str, str]:
    service = service_name(project)
    files = {}
    for target, template in _TEMPLATES.items():
        text = (_STARTER / template).read_text("utf-8")
        text = text.replace("__SERVICE__", service).replace("__NAME__", project)
        files[target.replace("__SERVICE__", service)] = text
    return files


def create_project(folder: Path) -> dict[str, str]:
    """Writes a new project into ``folder``; returns what it wrote."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder} already exists and is not an empty folder")
    files = starter_files(folder.resolve().name)
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return files
