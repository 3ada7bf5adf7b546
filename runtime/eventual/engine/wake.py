"""Waking a worker the moment there is work for it, in this process or another.

A worker waits on two things at once (``select``): a socket pair its own handler
threads write to when they finish, and a Unix datagram socket bound in Linux's
abstract namespace under a name derived from the worker's id. Anyone who commits work
(``Engine.start``, ``publish``, ``signal``, ``cancel``, ``redrive``, in any process on
this host) sends one byte to every live worker of the store (the ``workers`` table
names them), after the commit. So a start is seen within a system call, not at the
next poll.

Implementation note: the abstract namespace needs no file (no 108-byte path limit, no
stale socket files after a crash) and is reachable only from this host's network
namespace, which is exactly the set of processes that can share a SQLite file
safely. Elsewhere (macOS, Windows) binding fails and the worker falls back to its
adaptive poll. A wake-up is a hint, never a message: a lost one costs at most one
poll interval, so sends are non-blocking and their errors are ignored.

Chosen over ``PRAGMA data_version`` (still a poll: latency is the poll interval, and
every poll is a query) and ``os.eventfd`` (one process only).
"""

from __future__ import annotations

import contextlib
import hashlib
import select
import socket
import sys
from collections.abc import Callable, Iterable


def address(worker: str) -> str:
    """The abstract socket name of ``worker``'s wake-up channel."""
    return "\0eventual-wake/" + hashlib.sha256(worker.encode()).hexdigest()[:32]


class Wakeup:
    """One worker's wake-up channel: ``poke`` from its threads, ``notify`` from anyone."""

    def __init__(self, worker: str) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._listener: socket.socket | None = None
        self._waiting = False  # pokes are sent only while the worker waits (or is about to)
        if sys.platform.startswith("linux"):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                listener.bind(address(worker))
                listener.setblocking(False)
                self._listener = listener
            except OSError:
                listener.close()

    @property
    def waiting(self) -> bool:
        """Whether the worker waits (or is about to): only then does a poke send."""
        return self._waiting

    @property
    def listening(self) -> bool:
        """Whether other processes can wake this worker (else it polls for their work)."""
        return self._listener is not None

    def poke(self) -> None:
        """Wakes the waiting worker from another thread of this process (a system call
        only while it waits: a busy worker looks at its threads' reports anyway)."""
        if self._waiting:
            with contextlib.suppress(BlockingIOError, OSError):
                self._writer.send(b"\0")

    def wait(self, timeout: float | None, ready: Callable[[], bool] = lambda: False) -> bool:
        """Waits until woken or ``timeout`` seconds pass (``None``: until woken); whether
        it was woken. Every pending wake-up is consumed. ``ready``: whether what a poke
        announces is there already (checked once pokes are on, so none is missed)."""
        self._waiting = True
        try:
            if ready():
                return True
            sockets = [self._reader] if self._listener is None else [self._reader, self._listener]
            woken, _, _ = select.select(sockets, [], [], timeout)
        finally:
            self._waiting = False
        for sock in woken:
            _drain(sock)
        return bool(woken)

    def close(self) -> None:
        for sock in (self._reader, self._writer, self._listener):
            if sock is not None:
                sock.close()


def notify(workers: Iterable[str]) -> None:
    """Wakes ``workers`` (ids of live workers on this host), ignoring any that are gone."""
    if not sys.platform.startswith("linux"):
        return
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender.setblocking(False)
    try:
        for worker in workers:
            with contextlib.suppress(OSError):  # gone, or already has wake-ups queued
                sender.sendto(b"\0", address(worker))
    finally:
        sender.close()


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(BlockingIOError, OSError):
        while sock.recv(64):
            pass
