"""Values as users see them, the same in the TestEnvironment and the embedded engine:
payloads are kept as given (validated, never re-dumped), so an absent optional field
stays absent and filters match what was published; an event of another service
reaches a handler as the model its stub declares; invalid values list every problem."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventual import ExecutionStatus, Service
from eventual.engine import Engine
from eventual.errors import PayloadInvalid
from eventual.invoke import Values
from eventual.testing import TestEnvironment
from eventualc.cli import cli

BANK = """
service: bank
events:
  Payment:
    schema:
      type: object
      required: [id]
      properties:
        id: {type: string}
        partnerBank: {type: string}
        amount: {type: number}
subscriptions:
  noPartner:
    events: [Payment]
    filter: {partnerBank: [{exists: false}]}
  notExample:
    events: [Payment]
    filter: {partnerBank: [{anything-but: Example Bank}]}
  fromShop:
    events: [shop.OrderPlaced]
tasks:
  describe:
    input: Payment
    output: Payment
workflows:
  echo:
    input: Payment
    output: Payment
    steps:
      - id: described
        task: describe
        input: ${{ input }}
      - emit: Payment
        payload: ${{ steps.described.output }}
      - return: ${{ steps.described.output }}
"""

SHOP = """
service: shop
events:
  OrderPlaced:
    schema:
      type: object
      required: [orderId]
      properties:
        orderId: {type: string}
        note: {type: string}
"""

RECORDER = """
SEEN: list = []

def {name}(event, ctx):
    SEEN.append(event)
"""

DESCRIBE = """
from ..models import Payment

def describe(input, ctx):
    return Payment(id=input.id + "!")  # partnerBank and amount left unset
"""


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "bank.yaml").write_text(textwrap.dedent(BANK))
    (tmp_path / "specs" / "shop.yaml").write_text(textwrap.dedent(SHOP))
    out = f"gen_{uuid.uuid4().hex[:8]}"
    result = CliRunner().invoke(cli, ["build", "specs", "--out", out])
    assert result.exit_code == 0, result.output
    handlers = tmp_path / out / "bank" / "handlers"
    for name in ("no_partner", "not_example", "from_shop"):
        (handlers / f"{name}.py").write_text(RECORDER.replace("{name}", name))
    (handlers / "describe.py").write_text(DESCRIBE)
    service: Service = importlib.import_module(f"{out}.bank").service
    yield service
    for module in [m for m in list(sys.modules) if m.startswith(out)]:
        del sys.modules[module]


def seen(service: Service, handler: str) -> list[Any]:
    found: list[Any] = importlib.import_module(f"{service.package}.handlers.{handler}").SEEN
    return found


class Runtime:
    """The TestEnvironment or the engine on a real file, driven alike."""

    def __init__(self, kind: str, service: Service, path: Path) -> None:
        self.env = TestEnvironment(service) if kind == "env" else None
        shop = importlib.import_module(service.package.rpartition(".")[0] + ".shop").service
        self.engine = None if self.env else Engine(path, [service, shop], clock=lambda: 0.0)

    def publish(self, name: str, payload: Any) -> None:
        if self.env:
            self.env.publish(name, payload)
        else:
            assert self.engine
            self.engine.publish(name, payload)

    def run(self, workflow: str, value: Any) -> tuple[ExecutionStatus, Any, list[Any]]:
        """Runs one execution to its end: (status, result, every TaskSucceeded output)."""
        if self.env:
            execution = self.env.start_execution(workflow, value)
            self.env.tick()
            status = execution.get_status()
            outputs = [h["output"] for h in execution.history() if h["type"] == "TaskSucceeded"]
            return status.status, status.result, outputs
        assert self.engine
        id_ = self.engine.start(workflow, value)
        self.settle()
        view = self.engine.execution(id_)
        history = self.engine.history(id_)
        return (
            view.status,
            view.result,
            [h["output"] for h in history if h["type"] == "TaskSucceeded"],
        )

    def settle(self) -> None:
        if self.env:
            self.env.tick()
        else:
            assert self.engine
            engine = self.engine
            engine.run(
                until=lambda: (
                    engine.store.db.execute("SELECT 1 FROM work LIMIT 1").fetchone() is None
                )
            )

    def emitted(self) -> list[Any]:
        if self.env:
            return [payload for _, payload in self.env.emitted]
        assert self.engine
        rows = self.engine.store.db.execute("SELECT payload FROM events ORDER BY seq")
        return [json.loads(row[0]) for row in rows]


@pytest.mark.parametrize("kind", ["env", "engine"])
def test_absent_optional_fields_stay_absent_and_filters_see_them_so(
    bank: Service, tmp_path: Path, kind: str
) -> None:
    runtime = Runtime(kind, bank, tmp_path / "e.db")
    runtime.publish("Payment", {"id": "1"})
    runtime.publish("Payment", {"id": "2", "partnerBank": "Example Bank"})
    runtime.publish("Payment", {"id": "3", "partnerBank": "Other Bank", "amount": 5})
    runtime.settle()
    # EventBridge matches only fields present: {"exists": false} matches the first,
    # "anything-but" needs the field to be there (AWS docs, "Anything-but matching").
    assert [e.id for e in seen(bank, "no_partner")] == ["1"]
    assert [e.id for e in seen(bank, "not_example")] == ["3"]
    assert runtime.emitted()[:3] == [
        {"id": "1"},
        {"id": "2", "partnerBank": "Example Bank"},
        {"id": "3", "partnerBank": "Other Bank", "amount": 5},
    ]


@pytest.mark.parametrize("kind", ["env", "engine"])
def test_task_outputs_and_results_keep_only_the_fields_set(
    bank: Service, tmp_path: Path, kind: str
) -> None:
    runtime = Runtime(kind, bank, tmp_path / "e.db")
    status, result, outputs = runtime.run("echo", {"id": "a", "amount": 2.5})
    assert status is ExecutionStatus.SUCCEEDED
    assert outputs == [{"id": "a!"}]
    assert result == {"id": "a!"}
    assert runtime.emitted()[-1] == {"id": "a!"}


@pytest.mark.parametrize("kind", ["env", "engine"])
def test_another_services_event_reaches_the_handler_as_its_model(
    bank: Service, tmp_path: Path, kind: str
) -> None:
    runtime = Runtime(kind, bank, tmp_path / "e.db")
    shop = importlib.import_module(bank.package.rpartition(".")[0] + ".shop")
    runtime.publish("shop.OrderPlaced", {"orderId": "o-1"})
    runtime.settle()
    [event] = seen(bank, "from_shop")
    assert type(event) is shop.models.OrderPlaced
    assert event.orderId == "o-1"


def test_invalid_values_list_every_problem_and_are_strict_json(bank: Service) -> None:
    values = Values(bank)
    with pytest.raises(PayloadInvalid) as caught:
        values.payload("Payment", {"partnerBank": 3, "amount": "x"})
    message = str(caught.value)
    assert "id: Field required" in message
    assert "partnerBank: Input should be a valid string" in message
    assert "amount:" in message
    with pytest.raises(PayloadInvalid, match="not JSON"):
        values.payload("Payment", {"id": "1", "amount": float("nan")})
    cyclic: dict[str, object] = {"id": "1", "amount": 1}
    cyclic["self"] = cyclic
    with pytest.raises(PayloadInvalid, match="not JSON"):
        values.payload("Payment", cyclic)
    with pytest.raises(PayloadInvalid, match="not JSON"):
        values.validate(None, [float("inf")])
    with pytest.raises(PayloadInvalid, match="partnerBank"):
        values.payload("Payment", {"id": "1", "partnerBank": True})  # no coercion to str
    # JSON Schema's integer admits 5.0; the value stays as given
    assert values.payload("Payment", {"id": "1", "amount": 5.0}) == {"id": "1", "amount": 5.0}
