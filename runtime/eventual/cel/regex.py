"""CEL regular expressions (``matches``) on RE2, as the CEL specification requires.

``search(pattern, text)`` is true when ``pattern`` matches anywhere in ``text``, in time
linear in the text whatever the pattern (RE2 has no backtracking: ``'a' * 28 + '!'`` against
``^(a+)+$`` takes microseconds, where Python's ``re`` takes seconds). RE2 syntax is CEL's:
no backreferences or lookaround. ``regex_problem(pattern)`` is RE2's reason for rejecting a
pattern, or None; the checker reports it at build time, so only patterns computed at run
time can fail there (as ``invalid regular expression``).

The engine is the ``google-re2`` package, imported on first use. Without it, ``matches``
fails with an error saying so rather than falling back to ``re``: a silent fallback would
bring back the exponential cases this module exists to rule out. Compiled patterns are
cached (the 256 most recent). RE2's memory cap (8 MB per pattern) bounds huge patterns.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["RegexError", "RegexUnavailable", "regex_problem", "search"]


class RegexError(Exception):
    """A pattern RE2 rejects (``str``: RE2's reason)."""


class RegexUnavailable(RegexError):
    """The google-re2 package is not installed."""


@lru_cache(maxsize=1)
def _engine() -> tuple[Any, Any]:
    try:  # imported here: 6 ms, paid only by expressions that use matches
        import re2  # type: ignore[import-untyped]
    except ImportError:
        raise RegexUnavailable(
            "regular expressions need the google-re2 package (pip install google-re2)"
        ) from None
    options = re2.Options()
    options.log_errors = False  # RE2 would print every rejected pattern to stderr
    return re2, options


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    re2, options = _engine()
    try:
        return re2.compile(pattern, options)
    except re2.error as err:
        reason = err.args[0] if err.args else "rejected"
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise RegexError(text) from None
    except (TypeError, ValueError, UnicodeError) as err:
        raise RegexError(str(err)) from None


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches a part of ``text`` (RegexError for a bad pattern)."""
    compiled = _compiled(pattern)
    try:
        return compiled.search(text) is not None
    except UnicodeError as err:  # lone surrogates cannot be handed to RE2 as UTF-8
        raise RegexError(f"text is not valid Unicode: {err}") from None


def regex_problem(pattern: str) -> str | None:
    """Why RE2 rejects ``pattern``, or None when it compiles (or no RE2 is installed, which
    ``search`` reports when it runs)."""
    try:
        _compiled(pattern)
    except RegexUnavailable:
        return None
    except RegexError as err:
        return str(err)
    return None
