"""How complex a pattern's wildcards are, measured the way aws/event-ruler measures it.

EventBridge rejects a rule whose wildcards are "too complex" (the user guide, "Wildcards
and event pattern complexity": an ``InvalidEventPatternException``). The measure is
event-ruler's ``MachineComplexityEvaluator``: for the worst possible value of one
field, how many prefixes of that field's wildcard patterns (``wildcard`` and
``anything-but`` ``wildcard``, counted per pattern) match it at once. A prefix stops
before or after a star: ``*ab`` has the prefixes ``*``, ``*a``, ``*ab``; ``ab`` is
matched by ``*`` and ``*ab``, so ``*ab`` scores 2; ``a*aaa`` with ``aa*aa`` scores 7
("aaaa" matches ``a*``, ``a*a``, ``a*aa``, ``a*aaa``, ``aa*``, ``aa*a``, ``aa*aa``),
as event-ruler's own tests state.

``wildcard_complexity(rules)`` returns the highest score over the fields of a
pattern's sub-rules and the field it is on. It explores the automaton of a field's
patterns over the characters they name (plus one they don't), state set by state set,
and stops at ``cap``: the work is bounded whatever the pattern.

EventBridge does not publish its limit. ``MAX_WILDCARD_COMPLEXITY`` is the highest
score we accept; see its comment for where the number comes from.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Final, NamedTuple

from eventual.patterns.scalars import STAR, Token, glob_closure, glob_states
from eventual.patterns.syntax import Path, SubRule

# Not published by AWS. Two public data points bound it: a rule with four
# ``*:stack/<name>/*`` wildcards on one field was rejected as "Rule is too complex" and
# one with three was accepted (github.com/vals-ai/Valkyrie pull 278), which score 12
# and 9 by this measure; event-ruler's README suggests 10 as a per-rule limit
# ("limit each single-rule machine to complexity of 10"), inside that range.
MAX_WILDCARD_COMPLEXITY: Final = 10
_STATE_BUDGET: Final = 20_000  # automaton states explored before giving up at the cap


class Complexity(NamedTuple):
    score: int
    path: Path  # the field with that score; () when the pattern has no wildcard


def wildcard_complexity(rules: list[SubRule], cap: int = 100) -> Complexity:
    """The highest wildcard complexity of any field of ``rules`` (at most ``cap``)."""
    by_field: dict[Path, list[tuple[Token, ...]]] = {}
    for rule in rules:
        for path, found in rule:
            for kind, arg in found:
                globs = (arg,) if kind == "wildcard" else arg if kind == "but-wildcard" else ()
                by_field.setdefault(path, []).extend(glob.tokens for glob in globs)
    worst = Complexity(0, ())
    for path, tokens in by_field.items():
        score = field_complexity(tokens, cap)
        if score > worst.score:
            worst = Complexity(score, path)
    return worst


def field_complexity(patterns: Sequence[tuple[Token, ...]], cap: int) -> int:
    """The most prefixes of ``patterns`` any one non-empty value matches (at most ``cap``);
    a pattern given twice counts once, as in event-ruler."""
    patterns = list(dict.fromkeys(patterns))
    alphabet = {token for tokens in patterns for token in tokens if token is not STAR}
    other = next(chr(c) for c in range(len(alphabet) + 1) if chr(c) not in alphabet)
    characters = [*sorted(alphabet), other]
    start = tuple(glob_closure(tokens, {0}) for tokens in patterns)
    seen = {start}
    queue = deque([start])
    best = 0
    while queue:
        states = queue.popleft()
        for char in characters:
            after = tuple(
                glob_states(tokens, current, char)
                for tokens, current in zip(patterns, states, strict=True)
            )
            if after in seen:
                continue
            best = max(best, sum(len(s) - (0 in s) for s in after))
            if best >= cap or len(seen) >= _STATE_BUDGET:
                return cap
            seen.add(after)
            queue.append(after)
    return best
