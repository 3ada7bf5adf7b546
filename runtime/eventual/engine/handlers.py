"""The threads a worker runs handlers on: reused, and replaced when one is abandoned.

A thread per run would cost a thread's start (tens of microseconds, and a scheduler
hand-off) on every step; a fixed pool would let handlers that hang past their timeout
take every thread for good. So threads are kept and reused, and ``abandon(key)``
retires the thread running that run (Python cannot kill it: it finishes its call,
reports to no one, and exits) and starts a replacement at once. Threads are daemons:
an abandoned one never keeps the process alive.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_Job = tuple[int, Callable[..., None], tuple[Any, ...]]


class HandlerThreads:
    """``size`` daemon threads taking ``(key, function, args)`` jobs in order."""

    def __init__(self, size: int, name: str = "eventual-handler") -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running: dict[int, int] = {}  # job key -> the thread's ident
        self._retired: set[int] = set()
        self._threads = 0
        for _ in range(size):
            self._spawn()

    def submit(self, key: int, function: Callable[..., None], *args: Any) -> None:
        self._jobs.put((key, function, args))

    def abandon(self, key: int) -> None:
        """The run ``key`` is given up: its thread leaves when the call returns, and a
        new thread takes its place now."""
        with self._lock:
            ident = self._running.pop(key, None)
            if ident is None:
                return
            self._retired.add(ident)
        self._spawn()

    def close(self) -> None:
        """Lets idle threads exit (running calls finish on their own)."""
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._jobs.put(None)

    def _spawn(self) -> None:
        with self._lock:
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._serve, name=f"{self.name}-{number}", daemon=True).start()

    def _serve(self) -> None:
        ident = threading.get_ident()
        while True:
            job = self._jobs.get()
            if job is None:
                break
            key, function, args = job
            with self._lock:
                self._running[key] = ident
            try:
                function(*args)
            finally:
                with self._lock:
                    if self._running.get(key) == ident:
                        del self._running[key]
                    retired = ident in self._retired
                    self._retired.discard(ident)
            if retired:
                break
        with self._lock:
            self._threads -= 1
