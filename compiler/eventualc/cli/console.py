"""How every command talks to the terminal: one-line reports, failures, JSON options,
what handlers print, and stopping on a signal.

Results go to stdout, everything else to stderr as ``eventualc: ...`` lines. ``fail``
exits (1 unless told); ``UsageError`` exits 2 with a one-line message; the engine's
refusals become one of the two (``engine_errors``, ``usage_errors``), never a traceback.
Imports nothing of the package: every other module may use it.
"""

from __future__ import annotations

import io
import json
import signal as signals
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any, NoReturn, TextIO

import click


class UsageError(click.UsageError):
    """A usage mistake: exit 2 with a one-line message."""


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"eventualc: {message}", err=True)
    sys.exit(code)


def say(message: str) -> None:
    """What a command did, in one line on stderr (stdout holds results alone)."""
    click.echo(f"eventualc: {message}", err=True)


def parse_json(text: str | None, option: str) -> Any:
    """The JSON value of ``option``: strict JSON, so no ``NaN`` or ``Infinity``."""
    if text is None:
        return None
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError as exc:
        raise click.UsageError(f"{option} is not valid JSON: {exc}") from exc


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON number (JSON has no NaN or Infinity)")


@contextmanager
def engine_errors() -> Iterator[None]:
    """A refused request or a failing store inside: its message, exit 1."""
    from eventual.engine import EngineError, StoreError

    try:
        yield
    except (EngineError, StoreError) as exc:
        fail(str(exc))


def usage_errors(lookup: Callable[[], object]) -> None:
    """``lookup()`` (of a name given on the command line); a refusal is a usage error."""
    from eventual.engine import EngineError

    try:
        lookup()
    except EngineError as exc:
        raise click.UsageError(str(exc)) from exc


class _Lines(io.TextIOBase):
    """A stream that writes whole lines to ``target``: what each thread prints is kept
    until its newline, so handlers printing at once never share a line."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.pending = threading.local()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        pending = getattr(self.pending, "text", "") + text
        complete, _, self.pending.text = pending.rpartition("\n")
        if complete:
            with self.lock:
                self.target.write(complete + "\n")
                self.target.flush()
        return len(text)

    def flush(self) -> None:
        rest, self.pending.text = getattr(self.pending, "text", ""), ""
        if rest:
            with self.lock:
                self.target.write(rest)
                self.target.flush()


@contextmanager
def handlers_running() -> Iterator[None]:
    """While handlers run here: what they print goes to stderr, so stdout holds results."""
    with redirect_stdout(_Lines(sys.stderr)):
        yield


@contextmanager
def stoppable() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM (in-flight work then finishes); a second
    SIGINT stops at once."""
    stop = threading.Event()

    def handle(number: int, _frame: object) -> None:
        if stop.is_set() and number == signals.SIGINT:
            raise KeyboardInterrupt
        click.echo("eventualc: stopping after the work in flight…", err=True)
        stop.set()

    old = {s: signals.signal(s, handle) for s in (signals.SIGINT, signals.SIGTERM)}
    try:
        yield stop
    finally:
        for number, previous in old.items():
            signals.signal(number, previous)
