"""The task anything: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

from typing import Any

import eventual


def anything(input: Any, ctx: eventual.TaskContext) -> dict[str, Any]:
    """The anything task."""
    raise NotImplementedError("anything is not implemented yet")
