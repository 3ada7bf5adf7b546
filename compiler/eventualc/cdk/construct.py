"""A service on AWS, as one CDK construct: ``ServiceConstruct``.

The generated ``<svc>/infra/construct.py`` subclasses it with the service's tables
(``<svc>/infra/functions.py``, see ``eventualc.cdk.tables``); from them it builds:

- ``Bus``, the service's EventBridge bus (events go on it with the service as source
  and the event's name as detail type);
- ``State``, the S3 bucket of execution state and history (keys under
  ``executions/``, ``names/``, ``definitions/`` and ``payloads/``);
- ``Orchestrator``, the function that runs workflows, fed by ``OrchestratorQueue``
  (FIFO, one message group per execution: starts, signals, cancellations, children's
  results), by ``Results`` (FIFO: tasks' answers, the only queue tasks may send to)
  and by ``Inbox`` (timers, and the events of workflow-starting subscriptions, each
  sent there by its ``<Sub>Rule``);
- per task ``Task<Task>``, fed by ``Task<Task>Queue``; per handler subscription
  ``<Sub>``, fed by ``<Sub>Rule`` through ``<Sub>Queue``; every queue with its
  ``...DeadLetters`` queue;
- per other service of the build that subscribes to events put on this bus,
  ``To<Service>Rule`` forwarding those events to that service's bus.

Every queue and the bucket are encrypted and refuse requests without TLS. A function
consumes only its own queue, sends only where its work goes, reads and writes only
its key prefixes, and may put on the bus only the events it declares (a condition on
``events:detail-type``); a function that declares none cannot put events at all.
Every function runs the same code: the ``eventual`` runtime, the generated package
with its handlers, and their dependencies built for Lambda (``eventualc.lambda_asset``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from eventualc.cdk.tables import Forward, ServiceTables, SubscriptionFunction, TaskFunction

ENTRY = "eventual.aws.entry"
ORCHESTRATOR_TIMEOUT = 120  # seconds for a batch of up to 10 messages
ORCHESTRATOR_MEMORY = 1024  # MB
# A queue hides a message in work for 6 times its function's timeout, as Lambda
# advises for SQS sources, so that a slow try never runs twice at once.
VISIBILITY_FACTOR = 6
# Receives after which a message whose function keeps crashing moves to the
# dead-letter queue (functions record their handlers' failures themselves).
CRASH_RECEIVES = 5
DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # the longest SQS keeps a message
KEY_PREFIXES = ("executions", "names", "definitions", "payloads")


class ServiceConstruct(Construct):
    """Every AWS resource of one service, from its ``tables``.

    ``out``: the generated package folder holding the service (for the asset).
    ``architecture``: of every function (default arm64). ``asset``: the folder of the
    functions' code (default: the one ``eventualc.lambda_asset.build_asset`` builds).
    ``bus_name``: the bus's name (default: CDK's, unique in the app). ``peer_buses``:
    by service name, the buses of the services in ``tables.forwards`` (the generated
    stack names them after those services' stacks).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        tables: ServiceTables,
        *,
        out: Path,
        architecture: lambda_.Architecture | None = None,
        asset: str | None = None,
        bus_name: str | None = None,
        peer_buses: Mapping[str, events.IEventBus] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tables = tables
        self.architecture = architecture or lambda_.Architecture.ARM_64
        self.asset = asset or str(_asset(out, self.architecture))
        self._code: dict[str, lambda_.Code] = {}
        self._add_shared_resources(bus_name)
        self.functions: dict[str, lambda_.Function] = {}
        self.task_queues: dict[str, sqs.IQueue] = {}
        self.dead_letter_queues: dict[str, sqs.IQueue] = {}
        groups = _function_groups(self, tables)
        for task in tables.tasks:
            self._add_task(groups[task.group], task)
        for subscription in tables.subscriptions:
            self._add_subscription(groups[subscription.group], subscription)
        for start in tables.starts:
            _rule(self, start.construct_id, self.bus, start.pattern, self.inbox)
        for forward in tables.forwards:
            self._add_forward(forward, peer_buses or {})
        self.orchestrator = self._add_orchestrator()
        for function in (*self.functions.values(), self.orchestrator):
            _acknowledge_function(function)
        _acknowledge(
            _resource(self.bucket),
            "AwsSolutions-S1",
            "only the service's own functions reach the state bucket; access logs would need "
            "another bucket per service (CloudTrail data events can audit it if required)",
        )

    def _add_shared_resources(self, bus_name: str | None) -> None:
        """The bus, the state bucket, the orchestrator's queues and the object policies."""
        self.bus = events.EventBus(self, "Bus", event_bus_name=bus_name)
        self.bucket = s3.Bucket(
            self,
            "State",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.orchestrator_queue = _queue(
            self, "OrchestratorQueue", "OrchestratorDeadLetters", ORCHESTRATOR_TIMEOUT, fifo=True
        )
        self.inbox = _queue(self, "Inbox", "InboxDeadLetters", ORCHESTRATOR_TIMEOUT)
        # Tasks answer here, not on the orchestrator's queue: they cannot send a start,
        # a signal or a cancel, and their answers carry the token of their run.
        self.results = _queue(
            self, "Results", "ResultsDeadLetters", ORCHESTRATOR_TIMEOUT, fifo=True
        )
        # Who reads and writes which objects, as two policies: every function's payloads,
        # and the orchestrator's state, history, names and definitions besides.
        self.payload_objects = _object_access(self, "PayloadObjects", self.bucket, ["payloads"])
        self.state_objects = _object_access(self, "StateObjects", self.bucket, KEY_PREFIXES)
        self.environment = {
            "EVENTUAL_SERVICE": self.tables.package,
            "EVENTUAL_BUS": self.bus.event_bus_name,
            "EVENTUAL_BUCKET": self.bucket.bucket_name,
            "EVENTUAL_ORCHESTRATOR_QUEUE": self.orchestrator_queue.queue_url,
            "EVENTUAL_INBOX_QUEUE": self.inbox.queue_url,
        }

    def _add_task(self, scope: Construct, task: TaskFunction) -> None:
        unit = Construct(scope, task.construct_id)
        queue = _queue(unit, "Queue", "DeadLetters", task.timeout)
        environment = {"EVENTUAL_FUNCTION": task.name}
        function = self._function(unit, "task", task.timeout, task.memory, environment)
        _consume(function, queue, "FromQueue", batch_size=1)
        self.results.grant_send_messages(function)
        function.add_environment("EVENTUAL_RESULTS_QUEUE", self.results.queue_url)
        _role(function).add_managed_policy(self.payload_objects)
        self._allow_emits(function, task.emits)
        self.task_queues[task.name] = queue
        self.functions[task.name] = function
        _allow_recursion(function)

    def _add_subscription(self, scope: Construct, subscription: SubscriptionFunction) -> None:
        unit = Construct(scope, subscription.construct_id)
        # The function dead-letters a delivery that failed every attempt itself;
        # the redrive policy two receives later only catches crashes.
        receives = subscription.attempts + 2
        queue = _queue(unit, "Queue", "DeadLetters", subscription.timeout, receives)
        dead_letters = _dead_letters(queue)
        environment = {
            "EVENTUAL_FUNCTION": subscription.name,
            "EVENTUAL_DEAD_LETTER_QUEUE": dead_letters.queue_url,
        }
        function = self._function(
            unit, "subscription", subscription.timeout, subscription.memory, environment
        )
        _consume(function, queue, "FromQueue", batch_size=1)
        dead_letters.grant_send_messages(function)
        _role(function).add_managed_policy(self.payload_objects)
        self._allow_emits(function, subscription.emits)
        _rule(unit, "Rule", self.bus, subscription.pattern, queue)
        self.functions[subscription.name] = function
        self.dead_letter_queues[subscription.name] = dead_letters

    def _add_forward(self, forward: Forward, buses: Mapping[str, events.IEventBus]) -> None:
        if forward.service not in buses:
            raise ValueError(
                f"{type(self).__name__} needs the bus of service {forward.service!r} "
                "(peer_buses): "
                "it subscribes to events put on this service's bus"
            )
        unit = Construct(self, forward.construct_id)
        role = iam.Role(unit, "Role", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
        buses[forward.service].grant_put_events_to(role)
        target = events.CfnRule.TargetProperty(
            id="Bus", arn=buses[forward.service].event_bus_arn, role_arn=role.role_arn
        )
        events.CfnRule(
            unit,
            "Rule",
            event_bus_name=self.bus.event_bus_name,
            event_pattern=forward.pattern,
            targets=[target],
        )

    def _add_orchestrator(self) -> lambda_.Function:
        queues = {name: queue.queue_url for name, queue in self.task_queues.items()}
        environment = {"EVENTUAL_TASK_QUEUES": cdk.Stack.of(self).to_json_string(queues)}
        function = self._function(
            self,
            "orchestrator",
            ORCHESTRATOR_TIMEOUT,
            ORCHESTRATOR_MEMORY,
            environment,
            "Orchestrator",
        )
        _consume(function, self.orchestrator_queue, "FromQueue", batch_size=10)
        _consume(function, self.inbox, "FromInbox", batch_size=10)
        _consume(function, self.results, "FromResults", batch_size=10)
        function.add_environment("EVENTUAL_RESULTS_QUEUE", self.results.queue_url)
        for queue in (self.orchestrator_queue, self.inbox, *self.task_queues.values()):
            queue.grant_send_messages(function)
        _role(function).add_managed_policy(self.state_objects)
        # Listing lets a read of a key not written yet (a new execution name, a first
        # state) answer "no such key" instead of "access denied".
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )
        self._allow_emits(function, self.tables.orchestrator_emits)
        self._add_timers(function)
        _allow_recursion(function)
        return function

    def _add_timers(self, orchestrator: lambda_.Function) -> None:
        """``Timers``, the schedule group of waits beyond SQS's 15-minute delay, and
        ``SchedulerRole``, which may only send to the inbox; the orchestrator may
        create schedules in that group and pass that role, nothing more."""
        group = scheduler.CfnScheduleGroup(self, "Timers")
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
        )
        self.inbox.grant_send_messages(role)
        schedules = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{group.ref}/*"
        )
        orchestrator.add_to_role_policy(
            iam.PolicyStatement(actions=["scheduler:CreateSchedule"], resources=[schedules])
        )
        orchestrator.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        _acknowledge(
            _role(orchestrator),
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
            f"<AWS::AccountId>:schedule/<{stack.get_logical_id(group)}>/*]",
            "schedules are named per timer at run time; the orchestrator creates them only "
            "in the service's own group",
        )
        orchestrator.add_environment("EVENTUAL_SCHEDULE_GROUP", group.ref)
        orchestrator.add_environment("EVENTUAL_SCHEDULER_ROLE", role.role_arn)
        orchestrator.add_environment("EVENTUAL_INBOX_ARN", self.inbox.queue_arn)

    def _function(
        self,
        scope: Construct,
        kind: str,
        timeout: int,
        memory: int,
        environment: Mapping[str, str],
        construct_id: str = "Default",
    ) -> lambda_.Function:
        """A function running ``eventual.aws.entry.<kind>``; by default its scope's
        default child, so that a row's function takes the row's logical ID."""
        return lambda_.Function(
            scope,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=self.architecture,
            code=self._code_in(scope),
            handler=f"{ENTRY}.{kind}",
            timeout=cdk.Duration.seconds(timeout),
            memory_size=memory,
            environment={**self.environment, **environment},
        )

    def _code_in(self, scope: Construct) -> lambda_.Code:
        # CDK binds an asset to one stack: each nested stack gets its own, same folder.
        stack = cdk.Stack.of(scope).node.path
        if stack not in self._code:
            self._code[stack] = lambda_.Code.from_asset(self.asset)
        return self._code[stack]

    def _allow_emits(self, function: lambda_.Function, detail_types: Sequence[str]) -> None:
        if not detail_types:
            return
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={"StringEquals": {"events:detail-type": list(detail_types)}},
            )
        )


class LogicalIds:
    """Logical IDs made of construct ids: ``TaskShipOrderQueue`` for the queue of task
    ``shipOrder``, instead of CDK's path with a hash.

    They read like the spec and stay stable while names do. A leading ``inside`` id
    (the service construct's) is left out; ``Resource`` and ``Default`` too, as CDK
    does. An ID another path already has gets a hash of its path appended.
    """

    def __init__(self, inside: str | None = None) -> None:
        self.inside = inside
        self.by_path: dict[str, str] = {}
        self.taken: set[str] = set()

    def allocate(self, element: cdk.CfnElement) -> str:
        path = element.node.path
        if path not in self.by_path:
            depth = len(cdk.Stack.of(element).node.scopes)
            ids = [scope.node.id for scope in element.node.scopes[depth:]]
            if ids[:1] == [self.inside]:
                ids = ids[1:]
            chosen = "".join(re.sub("[^A-Za-z0-9]", "", i) for i in ids if i not in _UNNAMED)
            if not chosen or chosen in self.taken:
                chosen += hashlib.sha256(path.encode()).hexdigest()[:8].upper()
            self.by_path[path] = chosen
            self.taken.add(chosen)
        return self.by_path[path]


_UNNAMED = ("Resource", "Default")


class FunctionGroup(cdk.NestedStack):
    """Functions of a service too large for one stack (the tables say which)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.logical_ids = LogicalIds()

    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        return self.logical_ids.allocate(cfn_element)


def _function_groups(service: Construct, tables: ServiceTables) -> dict[int, Construct]:
    numbers = sorted(
        ({t.group for t in tables.tasks} | {s.group for s in tables.subscriptions}) - {0}
    )
    groups: dict[int, Construct] = {0: service}
    groups.update({n: FunctionGroup(service, f"Functions{n}") for n in numbers})
    return groups


def _asset(out: Path, architecture: lambda_.Architecture) -> Path:
    from eventualc.lambda_asset import build_asset  # pip and the copying: only when needed

    return build_asset(out, architecture.name)


def _queue(
    scope: Construct,
    construct_id: str,
    dead_letters_id: str,
    timeout: int,
    receives: int = CRASH_RECEIVES,
    *,
    fifo: bool = False,
) -> sqs.Queue:
    """A queue for a function with ``timeout`` (seconds), and its dead-letter queue."""
    dead_letters = sqs.Queue(
        scope,
        dead_letters_id,
        fifo=fifo or None,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
    )
    return sqs.Queue(
        scope,
        construct_id,
        fifo=fifo or None,
        # Senders set the deduplication id (execution, step, attempt): never the body.
        content_based_deduplication=False if fifo else None,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=cdk.Duration.seconds(VISIBILITY_FACTOR * timeout),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=receives),
    )


def _dead_letters(queue: sqs.Queue) -> sqs.IQueue:
    redrive = queue.dead_letter_queue
    assert redrive is not None, "every queue here has a dead-letter queue"
    return redrive.queue


def _consume(
    function: lambda_.Function, queue: sqs.IQueue, construct_id: str, *, batch_size: int
) -> None:
    queue.grant_consume_messages(function)
    function.add_event_source_mapping(
        construct_id,
        event_source_arn=queue.queue_arn,
        batch_size=batch_size,
        report_batch_item_failures=True,
    )


def _rule(
    scope: Construct,
    construct_id: str,
    bus: events.IEventBus,
    pattern: Mapping[str, object] | str,
    queue: sqs.IQueue,
) -> events.CfnRule:
    """A rule on ``bus`` sending what ``pattern`` matches to ``queue``.

    The L1 rule takes the pattern exactly as ``eventual.patterns`` built it, which the
    L2 ``EventPattern`` cannot hold (``$or`` across services, a JSON string with null).
    """
    target = events.CfnRule.TargetProperty(id="Queue", arn=queue.queue_arn)
    rule = events.CfnRule(
        scope,
        construct_id,
        event_bus_name=bus.event_bus_name,
        event_pattern=pattern,
        targets=[target],
    )
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
        )
    )
    return rule


def _object_access(
    scope: Construct, construct_id: str, bucket: s3.Bucket, prefixes: Sequence[str]
) -> iam.ManagedPolicy:
    """A policy to read and write the objects under ``prefixes`` of ``bucket``."""
    resources = [bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes]
    statement = iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=resources)
    policy = iam.ManagedPolicy(scope, construct_id, statements=[statement])
    arn = f"<{cdk.Stack.of(scope).get_logical_id(_resource(bucket))}.Arn>"
    for prefix in prefixes:
        _acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{arn}/{prefix}/*]",
            "objects are reached by key prefix: keys (execution ids, content hashes) are "
            "made at run time, and each function gets only the prefixes its work needs",
        )
    return policy


def _allow_recursion(function: lambda_.Function) -> None:
    """Lets ``function`` (the orchestrator, a task) run on in a chain of its own
    invocations: a workflow is such a chain (orchestrator, task, orchestrator, ...,
    short timers and children's results through the orchestrator's queues),
    legitimately longer than the 16 hops after which Lambda's recursive-loop
    detection would drop its next message. Workflows end by their own limits (steps,
    ``max_iterations``, timeouts); subscription functions keep the detection, as an
    event loop between them is a mistake."""
    _resource(function).add_property_override("RecursiveLoop", "Allow")


def _role(function: lambda_.Function) -> iam.IRole:
    role = function.role
    assert role is not None, "every function here has its own role"
    return role


def _acknowledge_function(function: lambda_.Function) -> None:
    _acknowledge(
        _role(function),
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        "AWSLambdaBasicExecutionRole only lets the function write its own logs",
    )
    _acknowledge(
        _resource(function),
        "AwsSolutions-L1",
        "the asset's compiled dependencies are built for python3.12 "
        "(eventualc.lambda_asset); another runtime needs another asset",
    )


def _resource(construct: IConstruct) -> cdk.CfnResource:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    return resource


def _acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """A cdk-nag (AwsSolutions) finding on ``construct`` this design accepts, and why."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
