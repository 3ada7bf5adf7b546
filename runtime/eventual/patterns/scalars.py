"""The comparisons of single values EventBridge patterns make: wildcards, case, IPs, numbers.

Takes the argument of one matcher (a wildcard string, a string compared ignoring case,
an address or CIDR, a number) and gives what the matchers of ``compiled`` and
``reference`` test values with. Every test here runs in time linear in the value (times
the length of the pattern argument): nothing backtracks, so a hostile event cannot
stall a matcher (a wildcard like ``*a*a*a*b`` against 8,000 characters takes
microseconds, where a backtracking regex took minutes).

Semantics follow aws/event-ruler, the matcher EventBridge runs:

* ``Glob``: ``*`` is any run of characters (none included), ``\\*`` a star, ``\\\\`` a
  backslash; any other backslash and two consecutive stars are invalid (event-ruler's
  README, "Wildcard matching").
* ``ignore_case``: each UTF-16 unit as its lower or upper case.
* ``ip``: IPv4 as four decimal parts of at most 255, leading zeros allowed
  (``10.0.0.01`` is ``10.0.0.1``, as Java's ``InetAddress`` reads it); IPv6 with
  IPv4-mapped addresses seen as IPv4.
* ``comparable``: a number EventBridge compares numerically is a finite float64 whose
  shortest decimal form has the same value (event-ruler's ``ComparableNumber``), so
  ``2**53`` is one and ``9223372036854775808`` (2**63) is not.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

STAR: Final = None  # a wildcard token; other tokens are one-character strings
Token = str | None

_IPV4_TEXT: Final = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)")
_IPV6_TEXT: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


class ScalarError(ValueError):
    """A matcher argument event-ruler rejects (a wildcard string, a CIDR)."""


class Glob:
    """A wildcard pattern, matched in linear time.

    ``match`` splits the pattern at its stars into literal segments: the first must
    start the value, the last must end it, and each one between is found leftmost
    after the previous (greedy leftmost is exact for star-only patterns: taking the
    earliest occurrence never rules out a later segment). ``tokens`` is the pattern as
    characters and ``STAR``s, for the reference matcher and the complexity measure.
    """

    __slots__ = ("_fixed", "_head", "_middle", "_tail", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _glob_tokens(text)
        segments, current = [], ""
        for token in self.tokens:
            if token is STAR:
                segments.append(current)
                current = ""
            else:
                current += token
        segments.append(current)
        self._fixed = len(segments) == 1
        self._head, self._tail = segments[0], segments[-1]
        self._middle = tuple(segments[1:-1])

    def __repr__(self) -> str:
        return f"Glob({self.text!r})"

    def match(self, value: str) -> bool:
        head, tail = self._head, self._tail
        if self._fixed:
            return value == head
        end = len(value) - len(tail)
        if end < len(head) or not value.startswith(head) or not value.endswith(tail):
            return False
        position = len(head)
        for segment in self._middle:
            found = value.find(segment, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True


def _glob_tokens(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "*":
            if text[i + 1 : i + 2] == "*":
                raise ScalarError(f"consecutive wildcard characters at {i}")
            tokens.append(STAR)
        elif char == "\\":
            if text[i + 1 : i + 2] not in ("*", "\\"):
                raise ScalarError(f"invalid escape character at {i}")
            tokens.append(text[i + 1])
            i += 1
        else:
            tokens.append(char)
        i += 1
    return tuple(tokens)


def glob_states(tokens: tuple[Token, ...], states: frozenset[int], char: str) -> frozenset[int]:
    """One step of the wildcard automaton: state ``i`` means ``tokens[:i]`` matched.

    ``states`` must be closed (see ``glob_closure``); so is the result.
    """
    after: set[int] = set()
    for i in states:
        if i and tokens[i - 1] is STAR:
            after.add(i)  # the star takes the character
        if i < len(tokens) and tokens[i] == char:
            after.add(i + 1)
    return glob_closure(tokens, after)


def glob_closure(tokens: tuple[Token, ...], states: set[int]) -> frozenset[int]:
    """``states`` with every state a star can reach matching nothing."""
    for i in sorted(states):
        while i < len(tokens) and tokens[i] is STAR:
            i += 1
            states.add(i)
    return frozenset(states)


def glob_reference(glob: Glob, value: str) -> bool:
    """Whether ``value`` matches, by running the automaton (the reference reading)."""
    tokens = glob.tokens
    states = glob_closure(tokens, {0})
    for char in value:
        states = glob_states(tokens, states, char)
        if not states:
            return False
    return len(tokens) in states


# --------------------------------------------------------------------------- case


def ignore_case(text: str) -> re.Pattern[str]:
    """Each character as its lower or upper case (per UTF-16 unit, like EventBridge).

    The alternatives at one position never both match one text (they differ in their
    first character or are equal), so matching never backtracks.
    """
    return _alternatives(_case_options(text))


def ignore_case_reversed(text: str) -> re.Pattern[str]:
    """``ignore_case`` of ``text`` read backwards: matched at the start of a reversed
    value, it decides an ignore-case suffix in one pass."""
    return _alternatives([tuple(o[::-1] for o in options) for options in _case_options(text)][::-1])


def _case_options(text: str) -> list[tuple[str, ...]]:
    options: list[tuple[str, ...]] = []
    for char in text:
        lower, upper = char.lower(), char.upper()
        if ord(char) > 0xFFFF:
            options.append((char,))
        elif lower == upper:
            options.append((lower,))
        else:
            options.append((lower, upper))
    return options


def _alternatives(options: list[tuple[str, ...]]) -> re.Pattern[str]:
    parts = (
        re.escape(o[0]) if len(o) == 1 else "(?:" + "|".join(map(re.escape, o)) + ")"
        for o in options
    )
    return re.compile("".join(parts))


# --------------------------------------------------------------------------- addresses


def ip(text: str) -> IPv4Address | IPv6Address | None:
    """The address a string spells (IPv4-mapped IPv6 as IPv4), or None."""
    import ipaddress

    parts = _IPV4_TEXT.fullmatch(text)
    if parts is not None:
        digits = [part.lstrip("0") or "0" for part in parts.groups()]
        if any(len(d) > 3 or int(d) > 255 for d in digits):
            return None
        return ipaddress.IPv4Address(bytes(int(d) for d in digits))
    if not _IPV6_TEXT.fullmatch(text):
        return None
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address


def network(text: str) -> IPv4Network | IPv6Network:
    """The network of a CIDR EventBridge accepts; raises ``ScalarError``.

    EventBridge rejects ``/32`` for IPv4 and ``/128`` for IPv6 (event-ruler's ``CIDR``).
    """
    import ipaddress

    address, slash, bits = text.partition("/")
    found = ip(address)
    if not slash or found is None or not re.fullmatch(r"[+-]?[0-9]{1,10}", bits):
        raise ScalarError(f"malformed CIDR {text!r}")
    limit = 31 if found.version == 4 else 127
    if not 0 <= int(bits) <= limit:
        raise ScalarError(f"mask bits of {text!r} must be 0 to {limit}")
    return ipaddress.ip_network(f"{found}/{int(bits)}", strict=False)


# --------------------------------------------------------------------------- numbers


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite(value: Any) -> bool:
    """A number that is not infinite or NaN (every int, however large)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return is_number(value)


def comparable(number: int | float) -> bool:
    """Whether EventBridge compares ``number`` as a number (see the module docstring).

    A float is compared if finite: its text is not known here, and its shortest form
    has its value by construction.
    """
    if isinstance(number, float):
        return math.isfinite(number)
    try:
        as_float = float(number)
    except OverflowError:
        return False
    return math.isfinite(as_float) and Decimal(repr(as_float)) == number
