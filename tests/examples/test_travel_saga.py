"""examples/travel-saga: the Step Functions saga (reserve flight and car, pay, confirm;
undo in reverse on failure, the failed reservation's own undo included), on both local
runtimes.

Needs from §2.8: ``compensate_on_failure`` (Step Functions runs the failed step's own
undo: a catch on ``ReserveFlight`` goes to ``CancelFlightReservation``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.examples.support import EXAMPLES, Example, Runtime, handler, on_both

from eventualc.cli import cli

TRIP = {"trip_id": "t1", "depart_city": "Detroit", "depart_time": "2026-12-20",
        "arrive_city": "Frankfurt", "arrive_time": "2026-12-21", "rental": "BMW",
        "rental_from": "2026-12-21", "rental_to": "2026-12-28"}  # fmt: skip
FORWARD = ["reserveFlight t1", "reserveCarRental t1", "processPayment t1"]


def book(example: Example, tmp_path: Path, trip: dict[str, Any]) -> Any:
    service = example("travel-saga")
    tables = handler(service, "tables")

    def scenario(runtime: Runtime) -> Any:
        execution = runtime.start("bookTrip", trip)
        runtime.tick(10)
        return [runtime.outcome(execution), runtime.emitted(), list(tables.CALLS),
                {name: dict(table) for name, table in tables.TABLES.items()}]  # fmt: skip

    return on_both(service, tmp_path, scenario)


def test_the_spec_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(EXAMPLES / "travel-saga" / "specs")])
    assert result.exit_code == 0, result.output


def test_a_trip_is_reserved_paid_and_confirmed(example: Example, tmp_path: Path) -> None:
    outcome, emitted, calls, tables = book(example, tmp_path, TRIP)
    booked = {"trip_id": "t1", "flight": "F-t1", "car": "C-t1", "payment": "P-t1"}
    assert outcome == ["SUCCEEDED", booked, None]
    assert emitted == ["TripBooked"]
    assert calls == [*FORWARD, "confirmFlight t1", "confirmCarRental t1"]
    assert tables == {
        "flights": {"t1": {"booking_id": "F-t1", "status": "confirmed"}},
        "rentals": {"t1": {"booking_id": "C-t1", "status": "confirmed"}},
        "payments": {"t1": {"booking_id": "P-t1", "status": "paid"}},
    }


@pytest.mark.parametrize(
    ("run_type", "failed", "calls"),
    [
        ("failFlightsReservation", "ReserveFlightFailed", ["reserveFlight t1", "cancelFlight t1"]),
        ("failCarRentalReservation", "ReserveCarRentalFailed",
         [*FORWARD[:2], "cancelCarRental t1", "cancelFlight t1"]),
        ("failPayment", "ProcessPaymentFailed",
         [*FORWARD, "refundPayment t1", "cancelCarRental t1", "cancelFlight t1"]),
        ("failFlightsConfirmation", "ConfirmFlightFailed",
         [*FORWARD, "confirmFlight t1", "refundPayment t1", "cancelCarRental t1",
          "cancelFlight t1"]),
    ],
)  # fmt: skip
def test_a_failure_unwinds_the_saga_in_reverse_and_reports_it(
    example: Example, tmp_path: Path, run_type: str, failed: str, calls: list[str]
) -> None:
    outcome, emitted, got_calls, tables = book(example, tmp_path, {**TRIP, "run_type": run_type})
    task = failed.removesuffix("Failed")
    message = f"{failed}: {task[0].lower()}{task[1:]} failed for t1"
    assert outcome == ["FAILED", None, {"error": "ReservationFailed", "message": message}]
    assert emitted == ["TripBookingFailed"]
    assert got_calls == calls
    assert all(record["status"] in ("cancelled", "refunded")
               for table in tables.values() for record in table.values())  # fmt: skip


def test_an_undo_that_fails_is_retried(example: Example, tmp_path: Path) -> None:
    service = example("travel-saga")
    tables = handler(service, "tables")
    cancel = tables.cancel
    failures = [2]

    def flaky(table: str, trip_id: str, status: str) -> None:
        if table == "rentals" and failures[0]:
            failures[0] -= 1
            raise ConnectionError("the rentals table is unreachable")
        cancel(table, trip_id, status)

    tables.cancel = flaky
    try:

        def scenario(runtime: Runtime) -> Any:
            failures[0] = 2
            execution = runtime.start("bookTrip", {**TRIP, "run_type": "failPayment"})
            runtime.tick(10)
            return [runtime.outcome(execution)[0], list(tables.CALLS),
                    tables.TABLES["rentals"]["t1"]["status"]]  # fmt: skip

        status, calls, rental = on_both(service, tmp_path, scenario)
    finally:
        tables.cancel = cancel
    assert status == "FAILED"
    assert calls == [*FORWARD, "refundPayment t1", *["cancelCarRental t1"] * 3, "cancelFlight t1"]
    assert rental == "cancelled"
