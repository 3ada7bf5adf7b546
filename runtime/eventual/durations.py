"""Durations: ``30s``, ``1h30m``, ``500ms``, ``7d`` or a number of seconds -> float seconds.

Shared by the compiler (spec values) and the runtime (``sleep`` expressions), so a
duration means the same thing everywhere.
"""

from __future__ import annotations

import math
import re

_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_WHOLE = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; raises ``ValueError`` for anything that is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"not a duration: {value!r} (not a finite number)")
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return float(value)
    text = value.strip()
    if text.isdigit():
        return float(text)
    if not _WHOLE.match(text):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 1h30m, 500ms)")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest ``<n><unit>`` form of ``seconds`` (``90`` -> ``1m30s``)."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
