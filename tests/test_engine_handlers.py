"""The worker's handler threads: reused across runs, and a run abandoned at its timeout
gets its thread replaced, so hung handlers never take the worker's threads."""

from __future__ import annotations

import threading

from eventual.engine.handlers import HandlerThreads


def test_threads_are_reused_across_runs() -> None:
    threads = HandlerThreads(2)
    seen: list[str] = []
    done = threading.Semaphore(0)

    def job(n: int) -> None:
        seen.append(threading.current_thread().name)
        done.release()

    for n in range(50):
        threads.submit(n, job, n)
    for _ in range(50):
        assert done.acquire(timeout=10)
    threads.close()
    assert len(seen) == 50 and len(set(seen)) <= 2


def test_an_abandoned_run_gets_its_thread_replaced() -> None:
    threads = HandlerThreads(1)
    hang, started, finished = threading.Event(), threading.Event(), threading.Semaphore(0)
    names: list[str] = []

    def stuck() -> None:
        names.append(threading.current_thread().name)
        started.set()
        hang.wait(10)

    def quick(n: int) -> None:
        names.append(threading.current_thread().name)
        finished.release()

    threads.submit(1, stuck)
    assert started.wait(10)
    threads.submit(2, quick, 2)  # would wait for ever behind the stuck run
    assert not finished.acquire(timeout=0.2)
    threads.abandon(1)
    assert finished.acquire(timeout=10)  # a new thread took it
    hang.set()  # the stuck call returns; its thread leaves instead of taking more work
    for n in range(3, 8):
        threads.submit(n, quick, n)
    for _ in range(5):
        assert finished.acquire(timeout=10)
    threads.close()
    assert names[0] not in names[1:]
