"""The task charge: yours to edit; eventualc never overwrites this file."""

from __future__ import annotations

import eventual

from ..models import Money


def charge(input: Money, ctx: eventual.TaskContext) -> str:
    """The charge task."""
    raise NotImplementedError("charge is not implemented yet")
