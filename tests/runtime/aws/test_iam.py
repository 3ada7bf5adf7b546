"""The synthesized IAM policies, enforced: every function calls AWS as its own role.

The module's fixture starts a second moto server (``tests/runtime/aws/moto_iam.py``: moto with
the corrections its IAM evaluation needs, listed there), creates the session's two
stacks on it from their templates, and gives each function an IAM user holding exactly
its role's policies from the template (the ``Ref``, ``Fn::GetAtt`` and ``Fn::Join`` in
them resolved to the names and ARNs moto gave the resources), then turns enforcement
on (``INITIAL_NO_AUTH_ACTION_COUNT`` 0, through ``/moto-api/reset-auth``). From then on
each function's handler runs on boto3 clients signed with its own user's key, and any
request its policy does not allow is refused: a refusal a test did not provoke fails
the test at once (``Enforcing.denials``). The operator and the harness's event sources
use a user allowed everything (what Lambda's event source mappings and the operator's
credentials stand for).

Conditions: the server evaluates S3's conditional-write keys (``s3:if-match``,
``s3:if-none-match``), so a write the policies require to be conditional is refused
without its header. Other conditions always hold there (``events:source``,
``events:detail-type``, ``s3:prefix``, ``iam:PassedToService``), and neither resource
policies (queue policies), ``iam:PassRole`` nor the ``s3:PutObjectTagging`` AWS
requires for a ``PutObject`` with tags are evaluated: ``test_stack`` asserts those
statements in the template.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.runtime.aws.harness import REGION, Function, Harness, Stack, resolve_references
from tests.runtime.aws.support import Aws, waiting_for_signal
from tests.support import moto_server

from eventual.aws import Client
from eventual.aws.config import Clients, Config, boto3_clients
from eventual.aws.deployment import Deployment
from eventual.aws.payloads import Payloads
from eventual.aws.store import Conflict, history_key, name_key
from eventual.aws.table import Stored
from eventual.status import ExecutionStatus

ACCOUNT = "123456789012"  # moto's default account
EVERYTHING = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
# What functions' roles also get and never call through boto3 (Lambda writes the logs).
LOGGING_POLICY = "policy/service-role/AWSLambdaBasicExecutionRole"


# the policies ---------------------------------------------------------------------------------


def role_policies(template: Mapping[str, Any], function: str) -> list[dict[str, Any]]:
    """The policy documents of ``function``'s role in ``template``, unresolved: the
    role's inline ``Policies``, the ``AWS::IAM::Policy`` resources naming it and the
    ``AWS::IAM::ManagedPolicy`` resources it attaches. Raises on any other policy."""
    resources = template["Resources"]
    role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    properties = resources[role]["Properties"]
    documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
    documents += [
        resource["Properties"]["PolicyDocument"] for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": role} in resource["Properties"]["Roles"]
    ]  # fmt: skip
    for arn in properties.get("ManagedPolicyArns", []):
        if "Ref" in arn:
            documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
        else:
            assert LOGGING_POLICY in json.dumps(arn), f"{function}: unexpected policy {arn}"
    return documents


def names(clients: Clients, stack: Stack, template: Mapping[str, Any]) -> dict[str, str]:
    """What the policies' references resolve to on the server: the stack's resources
    (names, ``.Arn``) as moto made them, and the pseudo parameters."""
    found = {
        **stack.physical, "AWS::Partition": "aws", "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com",
    }  # fmt: skip
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket":
            found[f"{logical}.Arn"] = f"arn:aws:s3:::{stack.physical[logical]}"
        elif resource["Type"] == "AWS::Events::EventBus":
            bus = clients.events.describe_event_bus(Name=stack.physical[logical])
            found[f"{logical}.Arn"] = bus["Arn"]
        elif resource["Type"] == "AWS::DynamoDB::Table":
            table = clients.dynamodb.describe_table(TableName=stack.physical[logical])
            found[f"{logical}.Arn"] = table["Table"]["TableArn"]
    return found


# the server -----------------------------------------------------------------------------------


class Enforcing(Harness):
    """The harness with each function on its own user's credentials; what they were
    refused, as ``<function>: <service>:<operation>``."""

    def __init__(self, stacks: list[Stack], endpoint: str, keys: Mapping[str, Any]) -> None:
        super().__init__(stacks, endpoint)
        operator = Clients(boto3_clients(REGION, endpoint, keys["operator"]))
        self.sqs, self.scheduler = operator.sqs, operator.get("scheduler")
        self.endpoint = endpoint
        self.keys = keys
        self.denials: list[str] = []

    def deployment(self, function: Function) -> Deployment:
        key = (function.stack, function.logical_id)
        if key not in self.deployments:
            config = Config.from_environment(function.environment)
            clients = self.clients_of(function.stack, function.logical_id)
            service = self.services.get(function.stack)
            self.deployments[key] = Deployment(config, service, clients, clock=self.clock)
        return self.deployments[key]

    def clients_of(self, stack: str, function: str) -> Clients:
        """Clients signed with ``function``'s key, whose refusals are recorded."""
        make = boto3_clients(REGION, self.endpoint, self.keys[f"{stack}-{function}"])

        def watched(name: str) -> Any:
            client = make(name)
            client.meta.events.register("after-call", self._refused(f"{stack}/{function}"))
            return client

        return Clients(watched)

    def _refused(self, who: str) -> Any:
        def hook(http_response: Any, model: Any, **_: Any) -> None:
            if http_response.status_code == 403:
                self.denials.append(f"{who}: {model.service_model.service_name}:{model.name}")

        return hook

    def invoke(self, source: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
        response = super().invoke(source, received)
        assert not self.denials, f"refused by IAM: {self.denials}"
        return response


@dataclass
class Enforced:
    aws: Aws
    harness: Enforcing
    operator: Clients
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # user -> resolved

    def client(self, stack: str) -> Client:
        return Client(stack, service=self.aws.service(stack), clients=self.operator)

    def function(self, stack: str, name: str) -> Deployment:
        """The deployment of task or subscription ``name`` (or ``orchestrator``)."""
        found = next(
            f for f in self.harness.stacks[stack].functions.values()
            if f.environment.get("EVENTUAL_FUNCTION", f.kind) == name
        )  # fmt: skip
        return self.harness.deployment(found)

    def finish(self, client: Client, execution: str, timeout: float = 60) -> Any:
        self.harness.run(until=lambda: client.get(execution).status.done, timeout=timeout)
        return client.get(execution)


@pytest.fixture(scope="module")
def enforced(aws: Aws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Enforced]:
    root = tmp_path_factory.mktemp("iam")
    script = Path(__file__).with_name("moto_iam.py")
    with moto_server(root / "moto.log", script) as endpoint:
        setup = Clients(boto3_clients(REGION, endpoint))  # before enforcement: any key
        templates = aws.project.templates
        stacks = [Stack.deploy(setup, name, t) for name, t in templates.items()]
        keys = {"operator": _user(setup, "operator", [EVERYTHING])}
        policies = {}
        for stack in stacks:
            template = templates[stack.name]
            resolved = names(setup, stack, template)
            for logical in stack.functions:
                user = f"{stack.name}-{logical}"
                policies[user] = [
                    resolve_references(d, resolved) for d in role_policies(template, logical)
                ]
                keys[user] = _user(setup, user, policies[user])
        _enforce(endpoint)
        harness = Enforcing(stacks, endpoint, keys)
        operator = Clients(boto3_clients(REGION, endpoint, keys["operator"]))
        yield Enforced(aws, harness, operator, policies)


def _user(clients: Clients, name: str, documents: list[dict[str, Any]]) -> Any:
    """A botocore session of a new IAM user holding ``documents`` as inline policies."""
    import botocore.session  # type: ignore[import-untyped]

    iam = clients.get("iam")
    iam.create_user(UserName=name)
    for index, document in enumerate(documents):
        iam.put_user_policy(UserName=name, PolicyName=f"policy{index}",
                            PolicyDocument=json.dumps(document))  # fmt: skip
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = botocore.session.Session()
    session.set_credentials(key["AccessKeyId"], key["SecretAccessKey"])
    return session


def _enforce(endpoint: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(autouse=True)
def no_unexpected_denials(enforced: Enforced) -> Iterator[None]:
    enforced.harness.denials.clear()
    yield
    assert not enforced.harness.denials, f"refused by IAM: {enforced.harness.denials}"


def refused(call: Any) -> str:
    """The error of ``call()``, which must be IAM's refusal; ``AccessDenied``."""
    with pytest.raises(Exception) as caught:
        call()
    error = getattr(caught.value, "response", {}).get("Error", {})
    # moto renders its refusals of JSON-protocol services (SQS, EventBridge) as XML in
    # the message of an error whose code is the HTTP status.
    code = error.get("Code")
    if code == "403" and "<Code>AccessDenied</Code>" in error.get("Message", ""):
        code = "AccessDenied"
    assert code == "AccessDenied", f"not refused by IAM: {caught.value!r}"
    return str(code)


# tests -------------------------------------------------------------------------------------------


def test_every_function_has_only_its_own_policies(enforced: Enforced) -> None:
    text = {user: json.dumps(documents) for user, documents in enforced.policies.items()}
    assert len(text) == sum(len(s.functions) for s in enforced.harness.stacks.values())
    for user, policy in text.items():
        assert '"Resource": "*"' not in policy, user
        assert '"Ref"' not in policy and "Fn::" not in policy, user  # all resolved
    tasks = [u for u in text if u.startswith("trips-Task")]
    assert tasks and all("OrchestratorQueue" not in text[u] for u in tasks)
    assert all("Inbox" not in text[u] and "/executions/" not in text[u] for u in tasks)
    tables = {u for u in text if "dynamodb:" in text[u]}  # the records: the orchestrators'
    assert tables == {f"{s}-Orchestrator" for s in enforced.harness.stacks}


def test_workflows_and_choreography_complete_under_enforcement(enforced: Enforced) -> None:
    trips, orders = enforced.client("trips"), enforced.client("orders")
    trip = f"iam-{uuid.uuid4().hex[:8]}"
    trips.publish("TripRequested", {"tripId": trip})  # a rule starts bookTrip
    enforced.harness.run(until=lambda: trip in enforced.aws.calls("recordBooking"), timeout=60)
    assert trips.get(trip).result == {"flight": f"flight-{trip}", "hotel": f"hotel-{trip}"}
    saga = trips.start("bookTrip", f"broke-{trip}")  # fails, compensates
    family = trips.start("family", f"kin-{trip}")  # a child execution
    approval = trips.start("approval", trip)
    nap = trips.start("longNap", trip)  # a 30-day sleep: a Scheduler schedule
    order = orders.start("processOrder", f"order-{trip}")
    cleared = trips.start("clearance", f"choreo-{trip}")  # waits for events, keyed and not
    poked = trips.start("approval", f"poked-{trip}", name=f"poked-{trip}")
    trips.start("poke", f"poked-{trip}")  # a task's ctx.signal
    relayed = trips.start("approval", f"relayed-{trip}", name=f"relayed-{trip}")
    trips.publish("Relay", {"tripId": f"relayed-{trip}", "by": "relay"})  # a handler's
    trips.publish("Cleared", {"tripId": f"choreo-{trip}", "by": "ana"})
    trips.publish("Cleared", {"tripId": "any", "by": "ana"})
    orders.publish("OrderCreated", {"orderId": f"choreo-{trip}"})  # the seed's choreography
    enforced.harness.run(until=lambda: waiting_for_signal(trips, approval), timeout=60)
    trips.signal(approval, "approve", {"by": "ana"})
    trips.publish("Glitch", {"n": 1})  # retried, then its dead-letter queue
    for execution in (saga, family, approval):
        enforced.finish(trips, execution)
    enforced.harness.run(timeout=60)
    assert enforced.harness.advance(timedelta(days=31)) >= 1
    assert enforced.finish(trips, nap).result == f"{trip} woke"
    assert enforced.finish(orders, order).status is ExecutionStatus.SUCCEEDED
    assert trips.get(saga).error["error"] == "CardDeclined"
    assert trips.get(family).result == f"flight-kin-{trip}"
    assert trips.get(approval).result == f"{trip} approved by ana"
    assert enforced.finish(trips, cleared).result == f"ana/any/choreo-{trip}"
    assert enforced.finish(trips, poked).result == f"poked-{trip} approved by task"
    assert enforced.finish(trips, relayed).result == f"relayed-{trip} approved by relay"
    ran = {f for f, n in enforced.harness.invocations.items() if n}
    everyone = {f for s in enforced.harness.stacks.values() for f in s.functions}
    assert ran == everyone  # each function ran, on its own credentials only


def test_a_task_cannot_send_a_signal_or_any_control_message(enforced: Enforced) -> None:
    trips = enforced.client("trips")
    execution = trips.start("approval", f"iam-forge-{uuid.uuid4().hex[:8]}")
    enforced.harness.run(until=lambda: waiting_for_signal(trips, execution), timeout=60)
    task = enforced.function("trips", "bookHotel")
    signal = {"op": "signal", "id": "forged", "execution": execution, "name": "approve",
              "payload": {"by": "mallory"}}  # fmt: skip
    fifo = {"MessageGroupId": execution, "MessageDeduplicationId": "forged"}
    sqs = task.clients.sqs
    orchestrator = task.config.orchestrator_queue
    refused(lambda: sqs.send_message(QueueUrl=orchestrator, MessageBody=json.dumps(signal), **fifo))
    refused(lambda: sqs.send_message(QueueUrl=task.config.inbox_queue, MessageBody="{}"))
    entries = [{"Id": "0", "MessageBody": json.dumps(signal), **fifo}]
    refused(lambda: sqs.send_message_batch(QueueUrl=orchestrator, Entries=entries))
    refused(lambda: sqs.receive_message(QueueUrl=orchestrator))  # nor read others' messages
    # Signal queues: only their own function sends there (the orchestrator trusts the
    # queue to name the sender), so neither a task without signals nor one with them
    # can speak as the relay subscription.
    relay = enforced.function("trips", "relay").config.signal_queue
    assert relay is not None
    refused(lambda: sqs.send_message(QueueUrl=relay, MessageBody=json.dumps(signal), **fifo))
    poker = enforced.function("trips", "pokeApproval").clients.sqs
    refused(lambda: poker.send_message(QueueUrl=relay, MessageBody=json.dumps(signal), **fifo))
    enforced.harness.denials.clear()  # the refusals provoked above
    assert task.config.results_queue  # where it may send: its answers
    sqs.send_message(QueueUrl=task.config.results_queue, MessageBody="{}",
                     MessageGroupId=execution, MessageDeduplicationId=uuid.uuid4().hex)  # fmt: skip
    enforced.harness.run(timeout=30)  # the orchestrator drops that answer without a token
    assert trips.get(execution).status is ExecutionStatus.IN_PROGRESS
    trips.signal(execution, "approve", {"by": "ana"})
    assert enforced.finish(trips, execution).result.endswith("approved by ana")


def test_a_task_cannot_read_another_executions_objects(enforced: Enforced) -> None:
    trips = enforced.client("trips")
    big = f"iam-big-{uuid.uuid4().hex[:8]}-" + "x" * 250_000  # its input: a payload in S3
    other = trips.start("bookTrip", big, name=big[:60])
    assert enforced.finish(trips, other).status is ExecutionStatus.SUCCEEDED
    task = enforced.function("trips", "chargeCard")
    s3, bucket = task.clients.s3, task.config.bucket
    table = enforced.function("trips", "orchestrator").config.state_table
    dynamodb, item = task.clients.dynamodb, {"id": {"S": other}}
    refused(lambda: dynamodb.get_item(TableName=table, Key=item))  # nor its record
    refused(lambda: dynamodb.put_item(TableName=table, Item={**item, "revision": {"N": "9"}}))
    refused(lambda: dynamodb.scan(TableName=table))
    for key in (history_key(other, 0), name_key("bookTrip", big[:60])):
        refused(lambda key=key: s3.get_object(Bucket=bucket, Key=key))
        refused(lambda key=key: s3.put_object(Bucket=bucket, Key=key, Body=b"{}"))
    for prefix in ("payloads/", "executions/", ""):  # nor find payloads' keys
        refused(lambda prefix=prefix: s3.list_objects_v2(Bucket=bucket, Prefix=prefix))
    refused(
        lambda: task.clients.sqs.receive_message(
            QueueUrl=enforced.function("trips", "bookHotel").config.results_queue
        )
    )
    enforced.harness.denials.clear()
    own = Payloads(lambda: s3, bucket)  # what it may do: store and follow its own references
    reference = own.pack(json.dumps({"mine": "y" * 250_000}))
    assert json.loads(own.unpack(reference)) == {"mine": "y" * 250_000}


def test_the_orchestrator_and_subscriptions_keep_to_their_roles(enforced: Enforced) -> None:
    orchestrator = enforced.function("trips", "orchestrator")
    subscription = enforced.function("trips", "recordBooking")
    other_stack = enforced.function("orders", "orchestrator")
    task_queue = orchestrator.task_queue("bookHotel")
    refused(lambda: orchestrator.clients.sqs.receive_message(QueueUrl=task_queue))
    refused(lambda: orchestrator.clients.s3.get_object(
        Bucket=other_stack.config.bucket, Key=history_key("any", 0)))  # fmt: skip
    dynamodb, key = orchestrator.clients.dynamodb, {"id": {"S": "any"}}
    refused(lambda: dynamodb.get_item(TableName=other_stack.config.state_table, Key=key))
    # Its own table: the records it reads and writes, one at a time; no listing, no delete.
    table = orchestrator.config.state_table
    refused(lambda: dynamodb.scan(TableName=table))
    refused(lambda: dynamodb.delete_item(TableName=table, Key=key))
    refused(lambda: orchestrator.clients.sqs.send_message(
        QueueUrl=other_stack.config.orchestrator_queue, MessageBody="{}",
        MessageGroupId="g", MessageDeduplicationId="d"))  # fmt: skip
    assert subscription.config.results_queue is None
    results = orchestrator.config.results_queue
    refused(
        lambda: subscription.clients.sqs.send_message(
            QueueUrl=results, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId="d"
        )
    )
    refused(lambda: subscription.clients.sqs.send_message(
        QueueUrl=orchestrator.config.inbox_queue, MessageBody="{}"))  # fmt: skip
    refused(lambda: subscription.clients.s3.get_object(
        Bucket=subscription.config.bucket, Key=history_key("any", 0)))  # fmt: skip
    refused(lambda: subscription.clients.dynamodb.get_item(TableName=table, Key=key))
    refused(lambda: subscription.clients.get("scheduler").list_schedules())
    enforced.harness.denials.clear()


def test_objects_are_written_only_conditionally(enforced: Enforced) -> None:
    """No object is written over: every PutObject needs ``If-None-Match``. Records are
    written over at every step, in the state table, conditionally on the revision
    read (IAM has no condition key for that: the runtime always passes one)."""
    trips = enforced.client("trips")
    execution = trips.start("bookTrip", f"iam-cond-{uuid.uuid4().hex[:8]}")
    enforced.finish(trips, execution)
    orchestrator = enforced.function("trips", "orchestrator")
    s3, bucket = orchestrator.clients.s3, orchestrator.config.bucket
    history = history_key(execution, 0)
    refused(lambda: s3.put_object(Bucket=bucket, Key=history, Body=b"[]"))  # over a chunk
    refused(lambda: s3.put_object(Bucket=bucket, Key=history, Body=b"[]", IfMatch='"e"'))
    task = enforced.function("trips", "bookHotel")
    payload = "payloads/" + "0" * 64
    refused(lambda: task.clients.s3.put_object(Bucket=bucket, Key=payload, Body=b"x"))
    enforced.harness.denials.clear()
    spare = history_key(f"iam-none-{uuid.uuid4().hex[:8]}", 0)
    s3.put_object(Bucket=bucket, Key=spare, Body=b"[]", IfNoneMatch="*")  # a creation: allowed
    with pytest.raises(Exception, match="PreconditionFailed"):  # once
        s3.put_object(Bucket=bucket, Key=spare, Body=b"[]", IfNoneMatch="*")
    records = orchestrator.records  # the orchestrator's own reads and writes: allowed
    found = records.read(execution)
    assert found is not None
    with pytest.raises(Conflict):  # and conditional on the revision read
        records.write(execution, found.text, found.revision, Stored("{}", found.revision - 1))
    records.write(execution, found.text, found.revision + 1, found)
