"""Durations as people write them (``2days``, ``5 minutes``, ``1.5h``) -> the spec's form.

``suggest_duration`` turns such text into the ``<n><unit>`` form the spec accepts
(``2d``, ``5m``, ``1h30m``), for a "did you mean" hint; ``None`` when the text is not
a recognizable duration. The spec's own parser is ``eventual.durations``;
``is_template`` tells a duration position holding a ``${{ }}`` template from a constant.
"""

from __future__ import annotations

import re

from eventual.durations import format_duration

_UNITS = {
    "ms": 0.001, "msec": 0.001, "milli": 0.001, "millis": 0.001, "millisecond": 0.001,
    "s": 1.0, "sec": 1.0, "second": 1.0,
    "m": 60.0, "min": 60.0, "minute": 60.0,
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0,
    "d": 86400.0, "day": 86400.0,
    "w": 604800.0, "wk": 604800.0, "week": 604800.0,
}  # fmt: skip
_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*(?:,|and\b)?", re.IGNORECASE)


def suggest_duration(text: str) -> str | None:
    """The spec form of ``text`` when it reads as a duration and differs from it."""
    total, position = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != position:
            return None
        unit = _unit(match[2])
        if unit is None:
            return None
        total += float(match[1]) * unit
        position = match.end()
    if position == 0 or position != len(text) or total <= 0:
        return None
    suggested = format_duration(total)
    return suggested if suggested != text else None


def _unit(word: str) -> float | None:
    word = word.lower()
    if word not in _UNITS and len(word) > 2 and word.endswith("s"):
        word = word[:-1]  # days, minutes, secs, hrs
    return _UNITS.get(word)


def is_template(value: object) -> bool:
    """Whether a duration position holds a ``${{ }}`` template rather than a constant."""
    return isinstance(value, str) and "${{" in value
