"""Project settings: the root (the directory holding ``pyproject.toml``), ``[tool.eventualc]``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    specs: tuple[Path, ...]
    out: Path


def find_project(start: Path | None = None) -> Project:
    """The project around ``start`` (default: the current directory).

    Raises ``ValueError`` when ``pyproject.toml`` cannot be parsed or its settings
    have the wrong shape, so the CLI can report a usage error.
    """
    here = (start or Path.cwd()).resolve()
    root = next((d for d in (here, *here.parents) if (d / "pyproject.toml").is_file()), None)
    if root is None:
        return Project(here, (here / "specs",), here / "generated")
    try:
        settings = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{root / 'pyproject.toml'}: {exc}") from exc
    tool = settings.get("tool", {}).get("eventualc", {})
    specs = tool.get("specs", "specs")
    specs = [specs] if isinstance(specs, str) else specs
    out = tool.get("out", "generated")
    if not (isinstance(specs, list) and all(isinstance(s, str) for s in specs)) or not isinstance(
        out, str
    ):
        raise ValueError(
            "[tool.eventualc]: 'specs' must be a path or a list of paths, 'out' a path"
        )
    return Project(root, tuple(root / s for s in specs), root / out)
