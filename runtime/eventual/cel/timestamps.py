"""CEL timestamps and durations: parsing, printing, ranges, conversions and accessors.

Timestamps are aware ``datetime``s (naive ones are read as UTC), kept to microseconds;
they print as RFC 3339 in UTC (``2024-01-01T00:00:00Z``). Durations are ``timedelta``s in
CEL's range, +-10,000 years (``duration overflow`` beyond); they read CEL's (Go's) syntax
``1h30m``/``-1.5s``/``500ms``, rounded to microseconds, and print as seconds (``5400s``).
``TIME_FUNCTIONS`` are the accessors in the evaluator's function table: ``getHours()``...
in UTC, or in the time zone given as an IANA name or a ``[+-]HH:MM`` offset; the four of
them that durations have too (``getHours/getMinutes/getSeconds/getMilliseconds``).
Every failure is a ``CelEvaluationError``; a ``Mismatch`` means another type was given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .errors import Mismatch, fail
from .values import kind_of

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
_NUMBERS = frozenset({"int", "uint", "double"})


def _zone_arg(zone: Any) -> None:
    if not isinstance(zone, str):
        raise Mismatch


def aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def utc(ts: datetime) -> datetime:
    if ts.tzinfo is UTC:
        return ts
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        fail("timestamp overflow")


def format_timestamp(ts: datetime) -> str:
    """RFC 3339 in UTC with 'Z', fractional seconds only as needed: ``2024-01-01T00:00:00Z``."""
    t = utc(ts)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += "." + f"{t.microsecond:06d}".rstrip("0")
    return text + "Z"


# CEL's durations span +-10,000 years (as google.protobuf.Duration does).
MAX_DURATION = timedelta(seconds=315_576_000_000)


def duration_in_range(d: timedelta) -> timedelta:
    """``d``, or the error ``duration overflow`` outside CEL's range."""
    if -MAX_DURATION <= d <= MAX_DURATION:
        return d
    fail("duration overflow")


def _micros(d: timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def format_duration(d: timedelta) -> str:
    """CEL's form: seconds with the fraction needed, ``3600s``, ``1.5s``, ``-0.000001s``."""
    total = _micros(d)
    seconds, fraction = divmod(abs(total), 1_000_000)
    text = f"{'-' if total < 0 else ''}{seconds}"
    if fraction:
        text += "." + f"{fraction:06d}".rstrip("0")
    return text + "s"


# Patterns are compiled on first use (by re's cache), keeping them out of import time.
_TIMESTAMP_RE = (
    r"(?a)([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def _parse_timestamp(text: str) -> datetime:
    m = re.fullmatch(_TIMESTAMP_RE, text)
    if m is None:
        fail(f"invalid timestamp {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "").ljust(6, "0")[:6])
    offset = timedelta()
    if not m.group(8):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, micro, timezone(offset))
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        fail(f"invalid timestamp {text!r}")


_DURATION_UNITS = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1000,
    "\u00b5s": 1000,
    "\u03bcs": 1000,
    "ns": 1,
}
_DURATION_PART = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:h|ms|m|s|us|\u00b5s|\u03bcs|ns)"
_DURATION_RE = rf"(?a)([-+]?)((?:{_DURATION_PART})+|0)"
_DURATION_PARTS_RE = r"([0-9]*)(?:\.([0-9]*))?([^0-9.]+)"


def _parse_duration(text: str) -> timedelta:
    """CEL (Go) duration syntax, ``-1.5h``, ``1h30m``, ``500ms``, rounded to microseconds."""
    m = re.fullmatch(_DURATION_RE, text)
    if m is None or len(text) > 200:
        fail(f"invalid duration {text!r}")
    nanos = 0
    for whole, fraction, unit in re.findall(_DURATION_PARTS_RE, m.group(2)):
        size = _DURATION_UNITS[unit]
        nanos += int(whole or "0") * size
        if fraction:
            nanos += int(fraction) * size // 10 ** len(fraction)
    micros, rest = divmod(nanos, 1000)
    micros += rest >= 500
    try:
        return duration_in_range(timedelta(microseconds=-micros if m.group(1) == "-" else micros))
    except OverflowError:
        fail("duration overflow")


def to_timestamp(x: Any) -> datetime:
    kind = kind_of(x)
    if kind == "timestamp":
        return aware(x)
    if kind == "string":
        return _parse_timestamp(x)
    if kind in _NUMBERS:
        try:
            return EPOCH + timedelta(seconds=x)
        except (OverflowError, ValueError):
            fail("timestamp overflow")
    raise Mismatch


def to_duration(x: Any) -> timedelta:
    if isinstance(x, timedelta):
        return x
    if isinstance(x, str):
        return _parse_duration(x)
    raise Mismatch


def _time_part(
    part: Callable[[datetime], int], of_duration: Callable[[timedelta], int] | None = None
) -> Callable[..., int]:
    """A timestamp accessor, in UTC or in the time zone given (``'Europe/Paris'``,
    ``'+05:30'``); the four that also read durations take ``of_duration``."""

    def get(value: Any, zone: Any = None) -> int:
        if isinstance(value, datetime):
            if zone is None:
                return part(utc(value))
            _zone_arg(zone)
            return part(_in_zone(value, zone))
        if of_duration is not None and zone is None and isinstance(value, timedelta):
            return of_duration(value)
        raise Mismatch

    return get


_OFFSET_RE = r"(?a)([-+]?)([0-9]{2}):([0-9]{2})"


def _in_zone(ts: datetime, zone: str) -> datetime:
    m = re.fullmatch(_OFFSET_RE, zone)
    try:
        if m is not None:
            offset = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
            return aware(ts).astimezone(timezone(-offset if m.group(1) == "-" else offset))
        from zoneinfo import ZoneInfo

        return aware(ts).astimezone(ZoneInfo(zone))
    except (ValueError, OverflowError, OSError, LookupError):
        fail(f"unknown time zone {zone!r}")


def _truncated(unit: timedelta) -> Callable[[timedelta], int]:
    """Whole units in a duration, truncated toward zero (as Go's Duration.Hours())."""

    def count(d: timedelta) -> int:
        whole = abs(d) // unit
        return -whole if d < timedelta() else whole

    return count


def _millis_part(d: timedelta) -> int:
    """The milliseconds within the second (``1.5s`` gives 500; negative for ``-1.5s``)."""
    millis = _truncated(timedelta(milliseconds=1))(d)
    return -(-millis % 1000) if millis < 0 else millis % 1000


# name -> (callable as a receiver, arguments, optional arguments, implementation), as in
# the evaluator's table.
TIME_FUNCTIONS: dict[str, tuple[bool, int, int, Callable[..., Any]]] = {
    "getFullYear": (True, 0, 1, _time_part(lambda t: t.year)),
    "getMonth": (True, 0, 1, _time_part(lambda t: t.month - 1)),
    "getDate": (True, 0, 1, _time_part(lambda t: t.day)),
    "getDayOfMonth": (True, 0, 1, _time_part(lambda t: t.day - 1)),
    "getDayOfWeek": (True, 0, 1, _time_part(lambda t: (t.weekday() + 1) % 7)),
    "getDayOfYear": (True, 0, 1, _time_part(lambda t: t.timetuple().tm_yday - 1)),
    "getHours": (True, 0, 1, _time_part(lambda t: t.hour, _truncated(timedelta(hours=1)))),
    "getMinutes": (True, 0, 1, _time_part(lambda t: t.minute, _truncated(timedelta(minutes=1)))),
    "getSeconds": (True, 0, 1, _time_part(lambda t: t.second, _truncated(SECOND))),
    "getMilliseconds": (True, 0, 1, _time_part(lambda t: t.microsecond // 1000, _millis_part)),
}
