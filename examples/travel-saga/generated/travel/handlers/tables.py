"""Stand-ins for the original's DynamoDB tables of flights, car rentals and payments.

Each table maps a trip id to its record (``id`` and ``status``); ``CALLS`` lists every
task call in order, as ``"<task> <trip_id>"``, so a test can see the saga unwind.
"""

from __future__ import annotations

import eventual

TABLES: dict[str, dict[str, dict[str, str]]] = {"flights": {}, "rentals": {}, "payments": {}}
CALLS: list[str] = []


def reset() -> None:
    for table in TABLES.values():
        table.clear()
    CALLS.clear()


def call(task: str, trip_id: str, run_type: str | None = None, fails_on: str = "") -> None:
    """Records the call; fails it as the original's lambdas do when the trip asks so."""
    CALLS.append(f"{task} {trip_id}")
    if fails_on and run_type == fails_on:
        raise eventual.TaskError(
            f"{task[0].upper()}{task[1:]}Failed", f"{task} failed for {trip_id}"
        )


def put(table: str, trip_id: str, prefix: str, status: str) -> dict[str, str]:
    """Creates or updates the trip's record; returns it as a ``Booking``."""
    record = TABLES[table].setdefault(trip_id, {"booking_id": f"{prefix}-{trip_id}"})
    record["status"] = status
    return dict(record)


def cancel(table: str, trip_id: str, status: str) -> None:
    """Marks the trip's record cancelled or refunded; a trip never reserved has nothing
    to undo."""
    if trip_id in TABLES[table]:
        TABLES[table][trip_id]["status"] = status
