"""``eventualc init``: a project name -> the files of a new project that works at once.

``starter_files(name)`` is pure: ``{relative path: text}`` from the templates in
``starter/`` (a ``pyproject.toml`` with ``[tool.eventualc]`` and pytest settings, a
small spec, a test using the ``eventual_env`` fixture, a pre-commit config with the
``eventualc-check`` hook, a README and a ``.gitignore``); ``eventualc build`` then
``pytest`` pass in it unchanged. ``create_project`` writes them into a folder that
does not exist or is empty. A bad name or a non-empty folder is a ``ValueError``
with a message for the user.

The project depends on the eventualc that created it, as it was installed
(``installed_requirement``): from a path or a wheel file, ``eventualc @ file:///…``;
from a VCS URL, that URL at the installed commit; from an index, ``eventualc~=X.Y.Z``.
So ``pip install -e .`` in the new project resolves where this one came from.
``init_git`` makes the folder a git repository (pre-commit needs one).
"""

from __future__ import annotations

import json
import keyword
import re
import shutil
import subprocess
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


def starter_files(project: str, requirement: str = "eventualc") -> dict[str, str]:
    """The new project's files; ``requirement`` is its dependency on eventualc."""
    service = service_name(project)
    files = {}
    for target, template in _TEMPLATES.items():
        text = (_STARTER / template).read_text("utf-8")
        text = text.replace("__SERVICE__", service).replace("__NAME__", project)
        text = text.replace('"__REQUIREMENT__"', json.dumps(requirement))
        files[target.replace("__SERVICE__", service)] = text
    return files


def requirement_of(version: str, direct_url: str | None) -> str:
    """The requirement naming an installed eventualc: its PEP 610 ``direct_url.json``
    (a path, a wheel file or a VCS checkout) when it has one, else its version."""
    try:
        origin = json.loads(direct_url) if direct_url else {}
    except ValueError:
        origin = {}
    url = origin.get("url") if isinstance(origin, dict) else None
    if not isinstance(url, str) or not url:
        exact = re.fullmatch(r"\d+\.\d+\.\d+", version)
        return f"eventualc~={version}" if exact else f"eventualc>={version}"
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        url = f"{vcs['vcs']}+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
    subdirectory = origin.get("subdirectory")
    if subdirectory:
        url += f"#subdirectory={subdirectory}"
    return f"eventualc @ {url}"


def installed_requirement() -> str:
    """The requirement of the eventualc running now, as it was installed."""
    from importlib import metadata

    try:
        distribution = metadata.distribution("eventualc")
    except metadata.PackageNotFoundError:
        return "eventualc"
    return requirement_of(distribution.version, distribution.read_text("direct_url.json"))


def init_git(folder: Path) -> str | None:
    """Makes ``folder`` a git repository; why not, when it could not."""
    if shutil.which("git") is None:
        return "git is not installed"
    done = subprocess.run(["git", "init", "-q", str(folder)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode:
        return done.stderr.strip() or "git init failed"
    return None


def create_project(folder: Path, requirement: str = "eventualc") -> dict[str, str]:
    """Writes a new project into ``folder``; returns what it wrote."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder} already exists and is not an empty folder")
    files = starter_files(folder.resolve().name, requirement)
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return files
