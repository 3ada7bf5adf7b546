"""Running deployed services on a moto server, with Lambda played by this process.

On a moto server (``tests.support.moto_server``), ``Stack.deploy`` creates a synthesized
CloudFormation template through moto's CloudFormation, after the adaptations moto needs
(``moto_template``): moto cannot run Lambda code without Docker, so ``AWS::Lambda::*``
resources (functions, event source mappings) are left out and played here instead; FIFO queues get a ``.fifo`` name
(moto does not generate one as CloudFormation does); references to the bus become its
name (moto resolves them to an object); schedule groups, which moto's CloudFormation
lacks, are created through its Scheduler API under the name references to them get;
a table's ``TimeToLiveSpecification``, which moto's CloudFormation ignores, is set
through DynamoDB's API once the stack exists. Every other resource (bus, rules with
their real patterns and targets, queues with their redrive policies, bucket, state
table, IAM) is moto's.

``Harness`` then acts as Lambda's SQS event sources, as the template declares them:
per event source mapping it receives up to the batch size, hands the function's
handler (``eventual.aws.entry.<kind>``) the batch in Lambda's SQS event shape, with
the function's environment from the template (references resolved), and deletes
the messages not reported as failed. A failed message of the orchestrator or a task
is made visible again at once (standing in for its visibility timeout); a
subscription's failed delivery comes back when the function's own backoff says.
``Requests`` counts every AWS request by kind, for ``bench/aws_cost.py``: the
functions' through hooks on their clients, the event sources' receives and deletes
as the harness makes them (empty polls left out).

The functions' clock is the harness's: ``advance(delta)`` moves it on and fires the
schedules due by then (moto keeps schedules but never runs them) as EventBridge
Scheduler would: their input to their target queue, then the schedule deleted.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from eventual.aws import entry
from eventual.aws.config import Clients, Config, boto3_clients
from eventual.aws.deployment import Deployment, utc_now
from eventual.aws.schedules import parse_at
from eventual.service import Service

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
}  # fmt: skip


# requests ----------------------------------------------------------------------------------


class Requests(Counter[str]):
    """AWS requests by kind (``s3:PutObject``, ``sqs-fifo:SendMessageBatch``, ...); events
    put on a bus are counted one by one, as EventBridge bills them."""

    def clients(self, endpoint: str) -> Clients:
        """Clients whose every request is counted here."""
        make = boto3_clients(REGION, endpoint)

        def counted(name: str) -> Any:
            client = make(name)
            client.meta.events.register("before-parameter-build", self._hook)
            return client

        return Clients(counted)

    def _hook(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if service == "sqs" and str(params.get("QueueUrl", "")).endswith(".fifo"):
            service = "sqs-fifo"
        if model.name == "PutEvents":  # EventBridge bills each event, not each request
            self["events:PutEvents (events)"] += len(params.get("Entries", []))
            return
        self[f"{service}:{model.name}"] += 1


# the stack -----------------------------------------------------------------------------------


def moto_template(template: Mapping[str, Any], stack: str) -> dict[str, Any]:
    """``template`` as moto can create it (see the module docstring)."""
    resources = {
        name: resource for name, resource in template["Resources"].items()
        if not resource["Type"].startswith(("AWS::Lambda::", "AWS::CDK::"))
    }  # fmt: skip
    buses = {
        name: resource["Properties"]["Name"] for name, resource in resources.items()
        if resource["Type"] == "AWS::Events::EventBus"
    }  # fmt: skip
    buses.update(schedule_groups(template, stack))
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue" and properties.get("FifoQueue"):
            properties.setdefault("QueueName", f"{stack}-{name}.fifo")
    adapted = {key: value for key, value in template.items() if key not in ("Rules", "Parameters")}
    adapted["Resources"] = resources
    return _replace_refs(adapted, buses)  # type: ignore[no-any-return]


def schedule_groups(template: Mapping[str, Any], stack: str) -> dict[str, str]:
    """The names the harness gives ``template``'s schedule groups, by logical id."""
    return {
        name: f"{stack}-{name}" for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Scheduler::ScheduleGroup"
    }  # fmt: skip


def _replace_refs(node: Any, names: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in names:
            return names[node["Ref"]]
        return {key: _replace_refs(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_refs(value, names) for value in node]
    return node


@dataclass(frozen=True)
class Function:
    stack: str
    logical_id: str
    kind: str  # orchestrator | task | subscription
    environment: dict[str, str]
    memory: int


@dataclass(frozen=True)
class Source:
    queue: str  # URL
    arn: str
    function: Function
    batch_size: int


@dataclass
class Stack:
    name: str
    outputs: dict[str, str]
    functions: dict[str, Function]
    sources: list[Source]
    schedule_groups: list[str] = field(default_factory=list)
    physical: dict[str, str] = field(default_factory=dict)  # logical id (.Arn) -> name, ARN

    @classmethod
    def deploy(cls, clients: Clients, name: str, template: Mapping[str, Any]) -> Stack:
        cloudformation = clients.get("cloudformation")
        adapted = moto_template(template, name)
        groups = schedule_groups(template, name)
        for group in groups.values():
            clients.get("scheduler").create_schedule_group(Name=group)
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(adapted))
        summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
        _time_to_live(clients, template, physical)
        physical.update(groups)
        physical.update(_arns(clients, template, physical))
        for logical, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Events::EventBus":
                physical[logical] = resource["Properties"]["Name"]
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        functions = {
            logical: Function(
                name, logical, resource["Properties"]["Handler"].rpartition(".")[2],
                resolve_references(resource["Properties"]["Environment"]["Variables"], physical),
                resource["Properties"].get("MemorySize", 128),
            )
            for logical, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Lambda::Function"
        }  # fmt: skip
        sources = []
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Lambda::EventSourceMapping":
                properties = resource["Properties"]
                queue = physical[properties["EventSourceArn"]["Fn::GetAtt"][0]]
                arn = clients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
                function = functions[properties["FunctionName"]["Ref"]]
                sources.append(Source(queue, arn["Attributes"]["QueueArn"], function,
                                      properties.get("BatchSize", 10)))  # fmt: skip
        return cls(name, outputs, functions, sources, sorted(groups.values()), physical)


def _time_to_live(
    clients: Clients, template: Mapping[str, Any], physical: Mapping[str, str]
) -> None:
    """Sets the TTL attribute of ``template``'s tables, as CloudFormation would."""
    for logical, resource in template["Resources"].items():
        specification = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if resource["Type"] == "AWS::DynamoDB::Table" and specification:
            clients.dynamodb.update_time_to_live(
                TableName=physical[logical], TimeToLiveSpecification=specification
            )


def _arns(
    clients: Clients, template: Mapping[str, Any], physical: Mapping[str, str]
) -> dict[str, str]:
    """``<logical id>.Arn`` of the template's queues and roles, as moto made them."""
    found = {}
    for logical, resource in template["Resources"].items():
        if logical not in physical:
            continue
        if resource["Type"] == "AWS::SQS::Queue":
            answer = clients.sqs.get_queue_attributes(
                QueueUrl=physical[logical], AttributeNames=["QueueArn"]
            )
            found[f"{logical}.Arn"] = answer["Attributes"]["QueueArn"]
        elif resource["Type"] == "AWS::IAM::Role":
            found[f"{logical}.Arn"] = clients.get("iam").get_role(RoleName=physical[logical])[
                "Role"
            ]["Arn"]
    return found


def resolve_references(node: Any, physical: Mapping[str, str]) -> Any:
    """``node`` (a function's environment, a policy) with ``Ref``, ``Fn::GetAtt`` and
    ``Fn::Join`` resolved."""
    if isinstance(node, dict):
        if "Ref" in node:
            return physical[node["Ref"]]
        if "Fn::GetAtt" in node:
            return physical[f"{node['Fn::GetAtt'][0]}.{node['Fn::GetAtt'][1]}"]
        if "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(resolve_references(part, physical) for part in parts)
        return {key: resolve_references(value, physical) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_references(value, physical) for value in node]
    return node


# the harness ---------------------------------------------------------------------------------


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    aws_request_id: str = "harness"
    deadline: float = field(default_factory=lambda: time.monotonic() + 120)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


Runner = Callable[["Function", dict[str, Any], LambdaContext], dict[str, Any]]
_HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "orchestrator": entry.orchestrator, "task": entry.task, "subscription": entry.subscription,
}  # fmt: skip


class Harness:
    """Lambda's part, for ``stacks`` on the moto server at ``endpoint``."""

    def __init__(self, stacks: list[Stack], endpoint: str, requests: Requests | None = None):
        self.stacks = {stack.name: stack for stack in stacks}
        self.requests = requests if requests is not None else Requests()
        self.functions_clients = self.requests.clients(endpoint)  # what the functions use
        self.sqs = Clients(boto3_clients(REGION, endpoint)).sqs  # the event sources' polls
        self.services: dict[str, Service] = {}  # stack -> the service deployed, if replaced
        self.deployments: dict[tuple[str, str], Deployment] = {}
        self.invocations: Counter[str] = Counter()
        self.failures: list[tuple[str, str]] = []  # (function, message id)
        self.durations: list[tuple[int, float]] = []  # (memory MB, seconds) per invocation
        self.offset = timedelta(0)  # how far the functions' clock is ahead of this one's
        self.scheduler = Clients(boto3_clients(REGION, endpoint)).get("scheduler")
        # How a function's handler is called (default: here, on the harness's clients).
        self.runner: Runner = self.run_here

    def clock(self) -> Any:
        return utc_now() + self.offset

    def advance(self, delta: timedelta) -> int:
        """Moves the functions' clock on by ``delta`` and fires the schedules due by
        then; how many fired."""
        self.offset += delta
        fired = 0
        for group in (g for stack in self.stacks.values() for g in stack.schedule_groups):
            for summary in self.scheduler.list_schedules(GroupName=group)["Schedules"]:
                schedule = self.scheduler.get_schedule(GroupName=group, Name=summary["Name"])
                if parse_at(schedule["ScheduleExpression"]) <= self.clock():
                    self._fire(schedule)
                    fired += 1
        return fired

    def _fire(self, schedule: Mapping[str, Any]) -> None:
        target = schedule["Target"]
        queue = next(s.queue for s in self.sources if s.arn == target["Arn"])
        self.sqs.send_message(QueueUrl=queue, MessageBody=target["Input"])
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self.scheduler.delete_schedule(GroupName=schedule["GroupName"], Name=schedule["Name"])

    def redeploy(self, stack: str, service: Service) -> None:
        """New code for ``stack``'s functions (a deploy): fresh containers, ``service``."""
        self.services[stack] = service
        self.deployments = {k: v for k, v in self.deployments.items() if k[0] != stack}

    def deployment(self, function: Function) -> Deployment:
        key = (function.stack, function.logical_id)
        if key not in self.deployments:
            config = Config.from_environment(function.environment)
            service = self.services.get(function.stack)
            self.deployments[key] = Deployment(
                config, service, self.functions_clients, clock=self.clock
            )
        return self.deployments[key]

    @property
    def sources(self) -> list[Source]:
        return [source for stack in self.stacks.values() for source in stack.sources]

    def run(self, until: Callable[[], bool] | None = None, timeout: float = 60.0) -> None:
        """Delivers messages until ``until()`` holds (or, without it, until no queue a
        function reads holds a message visible or in flight; delayed ones aside)."""
        deadline = time.monotonic() + timeout
        pause = 0.0
        while time.monotonic() < deadline:
            if sum(self.poll(source) for source in self.sources):
                pause = 0.0
                continue
            if until() if until is not None else self.quiet():
                return
            pause = min(0.25, pause + 0.05)  # idle: ask the server less often
            time.sleep(pause)
        raise TimeoutError(f"not done after {timeout}s: {self.backlog()}")

    def poll(self, source: Source) -> int:
        """One receive from ``source`` and, if it got messages, one invocation."""
        answer = self.sqs.receive_message(
            QueueUrl=source.queue, MaxNumberOfMessages=source.batch_size, WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        )  # fmt: skip
        received = answer.get("Messages", [])
        if not received:
            return 0  # an empty poll costs the same whatever the load: not counted
        kind = "sqs-fifo" if source.queue.endswith(".fifo") else "sqs"
        self.requests[f"{kind}:ReceiveMessage"] += 1
        # EventBridge putting an event on a rule's queue: an SQS request billed as any other.
        bus_events = sum('"detail-type"' in message["Body"] for message in received)
        self.requests["sqs:SendMessage (EventBridge)"] += bus_events
        response = self.invoke(source, received)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                       for i, m in enumerate(done)]  # fmt: skip
            self.sqs.delete_message_batch(QueueUrl=source.queue, Entries=entries)
            self.requests[f"{kind}:DeleteMessageBatch"] += 1
        for message in received:
            if message["MessageId"] in failed:
                self.failures.append((source.function.logical_id, message["MessageId"]))
                if source.function.kind != "subscription":
                    self.sqs.change_message_visibility(
                        QueueUrl=source.queue, ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )  # fmt: skip
        return len(received)

    def invoke(self, source: Source, received: list[dict[str, Any]]) -> dict[str, Any]:
        """Calls the function of ``source`` on ``received`` as Lambda would."""
        function = source.function
        event = {"Records": [_record(message, source.arn) for message in received]}
        context = LambdaContext(function.logical_id, function.memory)
        self.invocations[function.logical_id] += 1
        began = time.perf_counter()
        response = self.runner(function, event, context)
        self.durations.append((function.memory, time.perf_counter() - began))
        return response

    def run_here(
        self, function: Function, event: dict[str, Any], context: LambdaContext
    ) -> dict[str, Any]:
        handler = _HANDLERS[function.kind]
        return handler(event, context, deployment=self.deployment(function))

    def quiet(self) -> bool:
        return not self.backlog()

    def backlog(self) -> dict[str, int]:
        """Messages visible or in flight, by queue, for queues functions read."""
        found = {}
        for source in self.sources:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=source.queue,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]  # fmt: skip
            count = sum(int(value) for value in attributes.values())
            if count:
                found[source.queue.rsplit("/", 1)[-1]] = count
        return found


def _record(message: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """An SQS message as Lambda's SQS event record shows it."""
    attributes = {
        name: {"stringValue": value.get("StringValue"), "stringListValues": [],
               "binaryListValues": [], "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }  # fmt: skip
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"], "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": attributes, "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION,
    }  # fmt: skip


def environment(endpoint: str) -> dict[str, str]:
    """The variables that point boto3 (and so ``eventual.aws.Client``) at moto."""
    return {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}
