"""The services the AWS suite deploys: the seed ``orders`` and ``trips``, built for real.

``make_project(root)`` writes a project holding ``specs/orders.yaml`` (the repository's)
and ``TRIPS``, runs the real ``eventualc build`` into a package of its own name, puts
the handlers in place (the repository's for ``orders``, ``TRIPS_HANDLERS`` for
``trips``) and runs the real ``eventualc synth``: the templates are what gets
deployed. ``trips`` has what the seed does not: a saga with compensation, a retried
task, a signal, a timer, a child workflow, a while loop, two signals to race, a workflow-starting subscription, a
signalling subscription, a subscription that always fails (retries, then its
dead-letter queue) and a 30-day sleep.

Handlers append one JSON line per call to the file named by ``$TRIPS_LOG``, so tests
can count what ran.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import REPO, eventualc

TRIPS = """\
service: trips
events:
  TripRequested:
    schema: {type: object, required: [tripId], properties: {tripId: {type: string}}}
  TripBooked:
    schema: {type: object, required: [tripId], properties: {tripId: {type: string}}}
  Glitch:
    schema: {type: object, required: [n], properties: {n: {type: integer}}}
  Approved:
    schema: {type: object, required: [tripId, by], properties: {tripId: {type: string}, by: {type: string}}}
  Cleared:
    schema: {type: object, required: [tripId, by], properties: {tripId: {type: string}, by: {type: string}}}
  Relay:
    schema: {type: object, required: [tripId, by], properties: {tripId: {type: string}, by: {type: string}}}
tasks:
  bookFlight:
    input: string
    output: string
    retry: {attempts: 3, backoff: 1s}
  bookHotel: {input: string, output: string}
  cancelFlight: {input: string}
  chargeCard: {input: string}
  pokeApproval: {input: string, signals: [approval.approve]}
subscriptions:
  startTrip:
    events: [TripRequested]
    workflow: bookTrip
    input: ${{ event.tripId }}
    execution_name: ${{ event.tripId }}
  recordBooking: {events: [TripBooked]}
  glitchy:
    events: [Glitch]
    retry: {attempts: 2, backoff: 1s}
  relay:
    events: [Relay]
    signals: [approval.approve]
    retry: {attempts: 2, backoff: 1s}
  approvedBy:
    events: [Approved]
    retry: {attempts: 5, backoff: 2s}
    signal:
      workflow: approval
      execution_name: ${{ event.tripId }}
      name: approve
      payload: {by: "${{ event.by }}"}
workflows:
  bookTrip:
    input: string
    steps:
      - id: flight
        task: bookFlight
        input: ${{ input }}
        compensate:
          - task: cancelFlight
            input: ${{ steps.flight.output }}
      - id: hotel
        task: bookHotel
        input: ${{ input }}
      - task: chargeCard
        input: ${{ input }}
      - emit: TripBooked
        payload: {tripId: "${{ input }}"}
      - return: {flight: "${{ steps.flight.output }}", hotel: "${{ steps.hotel.output }}"}
  approval:
    input: string
    signals:
      approve: {type: object, required: [by], properties: {by: {type: string}}}
    steps:
      - sleep: 2s
      - id: decision
        wait_for_signal: approve
        timeout: 1h
      - return: ${{ input + " approved by " + steps.decision.output.by }}
  collect:
    signals: {item: integer}
    steps:
      - id: a
        wait_for_signal: item
      - id: b
        wait_for_signal: item
      - return: ${{ steps.a.output + steps.b.output }}
  longNap:
    input: string
    steps:
      - sleep: 30d
      - return: ${{ input + " woke" }}
  family:
    input: string
    steps:
      - id: trip
        workflow: bookTrip
        input: ${{ input }}
      - return: ${{ steps.trip.output.flight }}
  decide:
    input: integer
    signals: {approve: "null", reject: {type: string}}
    queries: {phase: "${{ vars.phase }}", deadline: "${{ input }}"}
    steps:
      - set: {phase: waiting}
      - id: answer
        wait_for_signal: [approve, reject]
        timeout: ${{ input }}
      - set: {phase: "${{ steps.answer.output.name }}"}
      - return: ${{ steps.answer.output }}
  clearance:
    input: string
    steps:
      - id: cleared
        wait_for_event: Cleared
        match: {tripId: "${{ input }}"}
        timeout: 1h
      - id: again
        wait_for_event: Cleared
        match: {by: "${{ steps.cleared.output.by }}"}
        timeout: 1h
      - id: order
        wait_for_event: orders.OrderCreated
        match: {orderId: "${{ input }}"}
        timeout: 1h
      - return: ${{ steps.cleared.output.by + "/" + steps.again.output.tripId + "/" + steps.order.output.orderId }}
  poke:
    input: string
    steps:
      - task: pokeApproval
        input: ${{ input }}
  rounds:
    input: integer
    output: integer
    steps:
      - set: {n: 0}
      - while: ${{ vars.n < input }}
        max_iterations: 4
        steps:
          - set: {n: "${{ vars.n + 1 }}"}
          - if: ${{ vars.n == 2 }}
            then: [{continue: true}]
          - sleep: 1s
          - task: bookHotel
            input: ${{ "round-" + string(vars.n) }}
      - return: ${{ vars.n }}
"""

_RECORD = """\
import json
import os


def record(name: str, value: object) -> None:
    path = os.environ.get("TRIPS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"handler": name, "value": value}) + "\\n")
"""

TRIPS_HANDLERS = {
    "_record.py": _RECORD,
    "book_flight.py": """\
from __future__ import annotations

import eventual

from ._record import record


def book_flight(input: str, ctx: eventual.TaskContext) -> str:
    record("bookFlight", [input, ctx.attempt])
    if input.startswith("retry-") and ctx.attempt == 1:
        raise RuntimeError("the airline's API is down")
    return f"flight-{input}"
""",
    "book_hotel.py": """\
from __future__ import annotations

import eventual

from ._record import record


def book_hotel(input: str, ctx: eventual.TaskContext) -> str:
    record("bookHotel", input)
    return f"hotel-{input}"
""",
    "cancel_flight.py": """\
from __future__ import annotations

import eventual

from ._record import record


def cancel_flight(input: str, ctx: eventual.TaskContext) -> None:
    record("cancelFlight", input)
""",
    "charge_card.py": """\
from __future__ import annotations

import eventual

from ._record import record


def charge_card(input: str, ctx: eventual.TaskContext) -> None:
    record("chargeCard", input)
    if input.startswith("broke-"):
        raise eventual.TaskError("CardDeclined", f"no funds for {input}")
""",
    "record_booking.py": """\
from __future__ import annotations

import eventual

from ..models import TripBooked
from ._record import record


def record_booking(event: TripBooked, ctx: eventual.SubscriptionContext) -> None:
    record("recordBooking", event.tripId)
""",
    "glitchy.py": """\
from __future__ import annotations

import eventual

from ..models import Glitch
from ._record import record


def glitchy(event: Glitch, ctx: eventual.SubscriptionContext) -> None:
    record("glitchy", event.n)
    raise RuntimeError(f"glitch {event.n}")
""",
    "poke_approval.py": """\
from __future__ import annotations

import eventual

from ._record import record


def poke_approval(input: str, ctx: eventual.TaskContext) -> None:
    record("pokeApproval", input)
    ctx.signal("approval", input, "approve", {"by": "task"})
""",
    "relay.py": """\
from __future__ import annotations

import eventual

from ..models import Relay
from ._record import record


def relay(event: Relay, ctx: eventual.SubscriptionContext) -> None:
    record("relay", event.tripId)
    if event.by == "undeclared":
        ctx.signal("collect", event.tripId, "item", 1)
    ctx.signal("approval", event.tripId, "approve", {"by": event.by})
""",
}


@dataclass(frozen=True)
class Project:
    root: Path
    package: str  # the generated package: ``<package>.orders``, ``<package>.trips``
    templates: dict[str, dict[str, Any]]  # stack name -> CloudFormation template


def make_project(root: Path) -> Project:
    package = f"gen_aws_{uuid.uuid4().hex[:8]}"
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'awsdemo'\n\n[tool.eventualc]\nspecs = 'specs'\nout = '{package}'\n"
    )
    (root / "specs").mkdir()
    shutil.copy(REPO / "specs" / "orders.yaml", root / "specs" / "orders.yaml")
    (root / "specs" / "trips.yaml").write_text(TRIPS)
    _eventualc(root, "build")
    handlers = root / package / "orders" / "handlers"
    for source in (REPO / "generated" / "orders" / "handlers").glob("*.py"):
        if source.name != "__init__.py":
            shutil.copy(source, handlers / source.name)
    for name, text in TRIPS_HANDLERS.items():
        (root / package / "trips" / "handlers" / name).write_text(text)
    _eventualc(root, "synth", "--out", "cdk.out")
    templates = {
        stack: json.loads((root / "cdk.out" / f"{stack}.template.json").read_text())
        for stack in ("orders", "trips")
    }
    return Project(root, package, templates)


def _eventualc(root: Path, *args: str) -> None:
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    eventualc(root, *args, env=environment, timeout=600, check=True)
