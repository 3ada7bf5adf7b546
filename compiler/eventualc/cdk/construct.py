"""A service on AWS, as one CDK construct: ``ServiceConstruct``.

The generated ``<svc>/infra/construct.py`` subclasses it with the service's tables
(``<svc>/infra/functions.py``, see ``eventualc.cdk.tables``); from them it builds:

- ``Bus``, the service's EventBridge bus (events go on it with the service as source
  and the event's name as detail type);
- ``StateTable``, the DynamoDB table of execution records (``eventual.aws.table``:
  one item per execution, written conditionally on its revision, expiring
  ``execution_retention_days`` after the execution ended; on demand, with
  point-in-time recovery);
- ``State``, the S3 bucket of history and the rest (keys under ``executions/``,
  ``names/``, ``definitions/``, ``payloads/`` and ``waits/``, the index of the running
  executions that wait for events, ``eventual.aws.waits``);
- ``Orchestrator``, the function that runs workflows, fed by ``OrchestratorQueue``
  (FIFO, one message group per execution: starts, signals, cancellations, children's
  results), by ``Results`` (FIFO: tasks' answers, the only queue tasks may send to)
  and by ``Inbox`` (timers, the events of workflow-starting subscriptions, each
  sent there by its ``<Sub>Rule``, and the events ``wait_for_event`` steps wait for,
  sent there by the ``WaitedEvents`` rule); waits beyond SQS's 15-minute delay are schedules
  in the ``Timers`` group, sent to the inbox by ``SchedulerRole``;
- per task ``Task<Task>``, fed by ``Task<Task>Queue`` (named
  ``<queue_prefix>-task-<task>``, so the orchestrator derives its URL instead of
  reading a map of them: Lambda caps a function's environment at 4 KB); per handler subscription
  ``<Sub>``, fed by ``<Sub>Rule`` through ``<Sub>Queue``; every queue with its
  ``...DeadLetters`` queue;
- per other service of the build that subscribes to events put on this bus,
  ``To<Service>Rule`` forwarding those events to that service's bus.

Nothing is lost silently: every queue keeps messages 14 days and has a dead-letter
queue watched by an alarm (``<dead letters>Alarm``, notifying ``alarm_topic`` if
given); every rule target sends what it cannot deliver to ``RuleDeadLetters``; log
groups keep ``log_retention``; S3 expires the objects the runtime tags as those of a
finished execution after ``execution_retention_days``, and DynamoDB its record (TTL).

Every queue, the table and the bucket are encrypted, and the queues and the bucket
refuse requests without TLS (DynamoDB takes none). Only the orchestrator reaches
the table (``GetItem``, ``PutItem``). A function
consumes only its own queue, sends only where its work goes, reads and writes only
its key prefixes (and lists only under them), and may put on the bus only the events
it declares (conditions on ``events:source`` and ``events:detail-type``); a function
that declares none cannot put events at all. Each event source mapping starts at
most ``max_concurrency`` invocations. The orchestrator's FIFO queue runs in high
throughput mode (deduplication and throughput per message group, i.e. execution).
Every function runs the same code: the ``eventual`` runtime, the generated package
with its handlers, and their dependencies built for Lambda (``eventualc.deploy.asset``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from eventual.aws.config import queue_prefix, signal_queue_name, task_queue_name
from eventualc.cdk.tables import (
    Forward,
    Pattern,
    ServiceTables,
    SubscriptionFunction,
    TaskFunction,
)

ENTRY = "eventual.aws.entry"
ORCHESTRATOR_TIMEOUT = 120  # seconds for a batch of up to 10 messages
ORCHESTRATOR_MEMORY = 1024  # MB
# A queue hides a message in work for 6 times its function's timeout, as Lambda
# advises for SQS sources, so that a slow try never runs twice at once.
VISIBILITY_FACTOR = 6
# Receives after which a message whose function keeps crashing moves to the
# dead-letter queue (functions record their handlers' failures themselves).
CRASH_RECEIVES = 5
# Every queue keeps messages as long as SQS can (14 days); `eventualc check` rejects
# retry schedules longer than that.
QUEUE_RETENTION = cdk.Duration.days(14)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Finished executions' objects and records, then S3 and DynamoDB expire them.
EXECUTION_RETENTION_DAYS = 90
TTL_ATTRIBUTE = "expires"  # of the state table's items (``eventual.aws.table``)
# The tag the runtime puts on the objects of a finished execution (``eventual.aws.store``).
FINISHED_TAG = ("eventual-finished", "true")
# Concurrent invocations an event source mapping may start (Lambda's ScalingConfig):
# a runaway (a workflow starting itself) stays bounded; raise it for throughput.
MAX_CONCURRENCY = 50
KEY_PREFIXES = ("executions", "names", "definitions", "payloads", "waits")
WAITS_KEY = "waits/*"  # markers of executions waiting for events: the only objects deleted
# A rule target's retries: EventBridge's most (24 hours, 185 tries), then its dead letters.
RULE_EVENT_AGE = 86_400
RULE_RETRIES = 185
# How the ``WaitedEvents`` rule hands an event to the inbox (``eventual.aws.waits``).
WAITED_TEMPLATE = '{"kind": "waited", "event": <aws.events.event.json>}'


class ServiceConstruct(Construct):
    """Every AWS resource of one service, from its ``tables``.

    ``out``: the generated package folder holding the service (for the asset).
    ``architecture``: of every function (default arm64). ``asset``: the folder of the
    functions' code (default: the one ``eventualc.deploy.asset.build_asset`` builds).
    ``bus_name``: the bus's name (default: CDK's, unique in the app). ``peer_buses``:
    by service name, the buses of the services in ``tables.forwards`` (the generated
    stack names them after those services' stacks). ``queue_prefix``: of the task
    queues' names, unique in the account and region (default: the stack's name and this
    construct's path in it; the generated stack gives its name). ``alarm_topic``: an
    SNS topic the dead-letter alarms notify (default: none, the alarms only show in
    CloudWatch). ``log_retention``: of every function's log group (default 30 days).
    ``execution_retention_days``: how long the objects of a finished execution stay
    (default 90). ``max_concurrency``: per event source mapping (default 50).
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
        queue_prefix: str | None = None,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = LOG_RETENTION,
        execution_retention_days: int = EXECUTION_RETENTION_DAYS,
        max_concurrency: int = MAX_CONCURRENCY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tables = tables
        self.alarm_topic = alarm_topic
        self.log_retention = log_retention
        self.execution_retention_days = execution_retention_days
        self.max_concurrency = max_concurrency
        self.queue_prefix = _queue_prefix(self, queue_prefix)
        self.architecture = architecture or lambda_.Architecture.ARM_64
        self.asset = asset or str(_asset(out, self.architecture))
        self._code: dict[str, lambda_.Code] = {}
        self._rule_senders: dict[str, tuple[sqs.IQueue, list[str]]] = {}
        self._signal_queues: list[tuple[sqs.IQueue, str]] = []  # (queue, its sender's id)
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
            wrap = WAITED_TEMPLATE if start.waits else None
            self._rules(self, start.construct_id, start.patterns, self.inbox, wrap)
            if start.signal:
                self.dead_letter_queues[start.name] = self.undelivered_signals
        for forward in tables.forwards:
            self._add_forward(forward, peer_buses or {})
        self._allow_rules_to_send()
        self.orchestrator = self._add_orchestrator()
        for function in (*self.functions.values(), self.orchestrator):
            _acknowledge_function(function)
        _acknowledge(
            _resource(self.bucket),
            "AwsSolutions-S1",
            "only the service's own functions reach the state bucket; access logs would need "
            "another bucket per service (CloudTrail data events can audit it if required)",
        )
        _acknowledge_checkov(self)

    def _add_shared_resources(self, bus_name: str | None) -> None:
        """The bus, the state table and bucket, the orchestrator's queues and the object
        policies."""
        self.bus = events.EventBus(self, "Bus", event_bus_name=bus_name)
        self.table = self._add_table()
        self.bucket = s3.Bucket(
            self,
            "State",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireFinishedExecutions",
                    tag_filters=dict([FINISHED_TAG]),
                    expiration=cdk.Duration.days(self.execution_retention_days),
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                ),
            ],
        )
        self.orchestrator_queue = self._queue(
            self, "OrchestratorQueue", "OrchestratorDeadLetters", ORCHESTRATOR_TIMEOUT, fifo=True
        )
        self.inbox = self._queue(self, "Inbox", "InboxDeadLetters", ORCHESTRATOR_TIMEOUT)
        # Tasks answer here, not on the orchestrator's queue: they cannot send a start,
        # a signal or a cancel, and their answers carry the token of their run.
        self.results = self._queue(
            self, "Results", "ResultsDeadLetters", ORCHESTRATOR_TIMEOUT, fifo=True
        )
        self.rule_dead_letters = self._add_rule_dead_letters()
        self.undelivered_signals = self._dead_letter_queue(
            "UndeliveredSignals",
            "the orchestrator itself moves here the events whose declarative signal found "
            "no running execution in all its subscription's attempts",
        )
        # Who reads and writes which objects, as two policies: every function's payloads,
        # and the orchestrator's state, history, names and definitions besides.
        self.payload_objects = _object_access(self, "PayloadObjects", self.bucket, ["payloads"])
        # The orchestrator tags a finished execution's objects (the lifecycle rule's filter).
        self.state_objects = _object_access(
            self, "StateObjects", self.bucket, KEY_PREFIXES, ["s3:PutObjectTagging"]
        )
        self.environment = {
            "EVENTUAL_SERVICE": self.tables.package,
            "EVENTUAL_BUS": self.bus.event_bus_name,
            "EVENTUAL_BUCKET": self.bucket.bucket_name,
            "EVENTUAL_ORCHESTRATOR_QUEUE": self.orchestrator_queue.queue_url,
            "EVENTUAL_INBOX_QUEUE": self.inbox.queue_url,
        }

    def _add_table(self) -> dynamodb.Table:
        """``StateTable``: execution records by execution id. On demand (one execution
        at a time costs its requests only), encrypted with DynamoDB's own key as the
        bucket and queues are with theirs, point-in-time recovery on, kept when the
        stack goes (like the bucket), items expiring by ``TTL_ATTRIBUTE``."""
        return dynamodb.Table(
            self,
            "StateTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.DEFAULT,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _dead_letter_queue(self, construct_id: str, why: str) -> sqs.Queue:
        """A queue of dead letters that no redrive policy feeds (``why`` says who does),
        watched by an alarm."""
        queue = sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=QUEUE_RETENTION,
        )
        self._alarm(self, construct_id, queue)
        _acknowledge(_resource(queue), "AwsSolutions-SQS3", why)
        return queue

    def _add_rule_dead_letters(self) -> sqs.Queue:
        """Where EventBridge puts the events a rule could not deliver to its target.

        Any rule on the service's bus may send here (by ARN pattern): naming each rule
        would carry the ARNs of the nested stacks' rules up as outputs, which
        CloudFormation caps at 200 a template.
        """
        queue = self._dead_letter_queue(
            "RuleDeadLetters",
            "this queue is the dead-letter queue of the rules' targets (their DeadLetterConfig), "
            "which cdk-nag does not recognize as it does a queue's redrive policy",
        )
        stack = cdk.Stack.of(self)
        rules = stack.format_arn(
            service="events",
            resource="rule",
            resource_name=f"{self.bus.event_bus_name}/*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnLike": {"aws:SourceArn": rules}},
            )
        )
        return queue

    def _queue(
        self,
        scope: Construct,
        construct_id: str,
        dead_letters_id: str,
        timeout: int,
        receives: int = CRASH_RECEIVES,
        *,
        fifo: bool = False,
        name: str | None = None,
    ) -> sqs.Queue:
        """A queue for a function with ``timeout`` (seconds), and its dead-letter queue,
        whose depth an alarm watches."""
        dead_letters = sqs.Queue(
            scope,
            dead_letters_id,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=QUEUE_RETENTION,
        )
        queue = sqs.Queue(
            scope,
            construct_id,
            queue_name=name,
            fifo=fifo or None,
            # Senders set the deduplication id (execution, step, attempt): never the body.
            content_based_deduplication=False if fifo else None,
            # High throughput: ordering and deduplication per execution (message group),
            # so executions do not share the 300 sends a second of one FIFO queue.
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP if fifo else None,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID if fifo else None,
            retention_period=QUEUE_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(VISIBILITY_FACTOR * timeout),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=receives),
        )
        self._alarm(scope, dead_letters_id, dead_letters)
        return queue

    def _alarm(self, scope: Construct, dead_letters_id: str, dead_letters: sqs.IQueue) -> None:
        """``<dead letters>Alarm``: in alarm while the queue holds any message."""
        metric = dead_letters.metric_approximate_number_of_messages_visible(
            period=cdk.Duration.minutes(5), statistic="Maximum"
        )
        alarm = cloudwatch.Alarm(
            scope,
            f"{dead_letters_id}Alarm",
            metric=metric,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="Messages wait in a dead-letter queue: see `eventualc dlq list`",
        )
        if self.alarm_topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))

    def _add_task(self, scope: Construct, task: TaskFunction) -> None:
        unit = Construct(scope, task.construct_id)
        name = task_queue_name(self.queue_prefix, task.name)
        queue = self._queue(unit, "Queue", "DeadLetters", task.timeout, name=name)
        environment = {"EVENTUAL_FUNCTION": task.name}
        function = self._function(unit, "task", task.timeout, task.memory, environment)
        _consume(function, queue, "FromQueue", batch_size=1, max_concurrency=self.max_concurrency)
        self.results.grant_send_messages(function)
        function.add_environment("EVENTUAL_RESULTS_QUEUE", self.results.queue_url)
        _role(function).add_managed_policy(self.payload_objects)
        self._allow_emits(function, task.emits)
        self._add_signals(unit, function, f"task-{task.name}", task.signals)
        self.task_queues[task.name] = queue
        self.functions[task.name] = function
        _allow_recursion(function)

    def _allow_objects(
        self, function: lambda_.Function, actions: list[str], patterns: list[str], reason: str
    ) -> None:
        """Lets ``function`` do ``actions`` on the bucket's objects matching ``patterns``."""
        objects = [self.bucket.arn_for_objects(pattern) for pattern in patterns]
        function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=objects))
        arn = f"<{cdk.Stack.of(self).get_logical_id(_resource(self.bucket))}.Arn>"
        for pattern in patterns:
            _acknowledge(_role(function), f"AwsSolutions-IAM5[Resource::{arn}/{pattern}]", reason)

    def _add_signals(
        self, unit: Construct, function: lambda_.Function, sender: str, signals: Sequence[str]
    ) -> None:
        """For a function whose ``ctx.signal`` may send ``signals``: its own FIFO signal
        queue, which only it may send to and the orchestrator reads (so the orchestrator
        knows the sender, ``eventual.aws.orchestrator``), and reading the execution
        names of the workflows it signals."""
        if not signals:
            return
        name = signal_queue_name(self.queue_prefix, sender)
        queue = self._queue(
            unit, "Signals", "SignalsDeadLetters", ORCHESTRATOR_TIMEOUT, fifo=True, name=name
        )
        queue.grant_send_messages(function)
        function.add_environment("EVENTUAL_SIGNAL_QUEUE", queue.queue_url)
        names = [f"names/{w}/*" for w in sorted({s.partition(".")[0] for s in signals})]
        self._allow_objects(
            function, ["s3:GetObject"], names,
            "a function that signals executions by name reads the name records of the "
            "workflows it declares signals of, whose keys are the names given at run time",
        )  # fmt: skip
        # Listing (under those names only) makes an unknown name "no such key".
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": names}},
            )
        )
        self._signal_queues.append((queue, unit.node.id))

    def _add_subscription(self, scope: Construct, subscription: SubscriptionFunction) -> None:
        unit = Construct(scope, subscription.construct_id)
        # The function dead-letters a delivery that failed every attempt itself;
        # the redrive policy two receives later only catches crashes.
        receives = subscription.attempts + 2
        queue = self._queue(unit, "Queue", "DeadLetters", subscription.timeout, receives)
        dead_letters = _dead_letters(queue)
        environment = {
            "EVENTUAL_FUNCTION": subscription.name,
            "EVENTUAL_DEAD_LETTER_QUEUE": dead_letters.queue_url,
        }
        function = self._function(
            unit, "subscription", subscription.timeout, subscription.memory, environment
        )
        _consume(function, queue, "FromQueue", batch_size=1, max_concurrency=self.max_concurrency)
        dead_letters.grant_send_messages(function)
        _role(function).add_managed_policy(self.payload_objects)
        self._allow_emits(function, subscription.emits)
        self._add_signals(unit, function, f"sub-{subscription.name}", subscription.signals)
        self._rules(unit, "Rule", subscription.patterns, queue)
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
        for index, pattern in enumerate(forward.patterns):
            target = self._target("Bus", buses[forward.service].event_bus_arn, role.role_arn)
            events.CfnRule(
                unit,
                _numbered("Rule", index),
                event_bus_name=self.bus.event_bus_name,
                event_pattern=pattern,
                targets=[target],
            )

    def _rules(
        self, scope: Construct, construct_id: str, patterns: Sequence[Pattern],
        queue: sqs.IQueue, template: str | None = None,
    ) -> None:  # fmt: skip
        """Rules on the bus sending what ``patterns`` match to ``queue`` (one rule per
        pattern: more than one when the events do not fit one pattern), each event as
        it is or, with ``template``, in that input template.

        The L1 rule takes each pattern exactly as ``eventual.patterns`` built it, which
        the L2 ``EventPattern`` cannot hold (``$or`` across services, a JSON string with
        null). The queue accepts EventBridge's messages from its rules only, all in one
        statement (``_allow_rules_to_send``: SQS allows a policy 20 statements).
        """
        rules = [
            events.CfnRule(
                scope,
                _numbered(construct_id, index),
                event_bus_name=self.bus.event_bus_name,
                event_pattern=pattern,
                targets=[self._target("Queue", queue.queue_arn, template=template)],
            )
            for index, pattern in enumerate(patterns)
        ]
        senders = self._rule_senders.setdefault(queue.node.path, (queue, []))[1]
        senders += [rule.attr_arn for rule in rules]

    def _allow_rules_to_send(self) -> None:
        for queue, arns in self._rule_senders.values():
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn],
                    conditions={
                        "ArnEquals": {"aws:SourceArn": arns[0] if len(arns) == 1 else arns}
                    },
                )
            )

    def _target(
        self, target_id: str, arn: str, role_arn: str | None = None, template: str | None = None
    ) -> events.CfnRule.TargetProperty:
        """A rule target whose undeliverable events go to ``RuleDeadLetters``, not
        dropped (EventBridge drops them after its retries when a target has none)."""
        transformer = None
        if template is not None:
            transformer = events.CfnRule.InputTransformerProperty(input_template=template)
        return events.CfnRule.TargetProperty(
            id=target_id,
            arn=arn,
            role_arn=role_arn,
            input_transformer=transformer,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self.rule_dead_letters.queue_arn
            ),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=RULE_EVENT_AGE, maximum_retry_attempts=RULE_RETRIES
            ),
        )

    def _add_orchestrator(self) -> lambda_.Function:
        environment = {"EVENTUAL_QUEUE_PREFIX": self.queue_prefix}
        function = self._function(
            self,
            "orchestrator",
            ORCHESTRATOR_TIMEOUT,
            ORCHESTRATOR_MEMORY,
            environment,
            "Orchestrator",
        )
        for source, construct_id in (
            (self.orchestrator_queue, "FromQueue"),
            (self.inbox, "FromInbox"),
            (self.results, "FromResults"),
        ):
            _consume(
                function, source, construct_id, batch_size=10, max_concurrency=self.max_concurrency
            )
        function.add_environment("EVENTUAL_RESULTS_QUEUE", self.results.queue_url)
        function.add_environment("EVENTUAL_DEAD_LETTER_QUEUE", self.undelivered_signals.queue_url)
        for queue in (self.orchestrator_queue, self.inbox, self.undelivered_signals):
            queue.grant_send_messages(function)
        if self.task_queues:
            self._allow_sending_tasks(function)
        _role(function).add_managed_policy(self.state_objects)
        # Records: read, and written conditionally (the runtime always passes a
        # condition; IAM has no key to require one of PutItem).
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                resources=[self.table.table_arn],
            )
        )
        function.add_environment("EVENTUAL_STATE_TABLE", self.table.table_name)
        function.add_environment("EVENTUAL_RETENTION_DAYS", str(self.execution_retention_days))
        self._allow_objects(
            function, ["s3:DeleteObject"], [WAITS_KEY],
            "the orchestrator deletes the wait markers of executions that ended, whose keys "
            "(event, workflow, match digest, execution id) are made at run time",
        )  # fmt: skip
        for signals, construct_id in self._signal_queues:
            _consume(
                function, signals, f"From{construct_id}Signals", batch_size=10,
                max_concurrency=self.max_concurrency,
            )  # fmt: skip
        # Listing lets a read of a key not written yet (a new execution name, a first
        # state) answer "no such key" instead of "access denied".
        # `IfExists`: a read has no `s3:prefix`, and may then still learn "no such key";
        # a listing has one and must stay under the prefixes the orchestrator owns.
        prefixes = [f"{prefix}/*" for prefix in KEY_PREFIXES]
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLikeIfExists": {"s3:prefix": prefixes}},
            )
        )
        self._allow_emits(function, self.tables.orchestrator_emits)
        self._add_timers(function)
        _allow_recursion(function)
        return function

    def _allow_sending_tasks(self, function: lambda_.Function) -> None:
        # One statement for every task queue, by name: listing each queue's ARN would
        # grow the role's policy past IAM's 10,240 characters with about 100 tasks.
        pattern = task_queue_name(self.queue_prefix, "*")
        arn = cdk.Stack.of(self).format_arn(
            service="sqs", resource=pattern, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[arn])
        )
        _acknowledge(
            _role(function),
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:"
            f"<AWS::AccountId>:{pattern}]",
            "the orchestrator sends to the task queues by their names' common prefix, "
            "which only this service's task queues have",
        )

    def _add_timers(self, orchestrator: lambda_.Function) -> None:
        """``Timers``, the schedule group of waits beyond SQS's 15-minute delay, and
        ``SchedulerRole``, which may only send to the inbox; the orchestrator may
        create and delete schedules in that group (a wait that ended early: its
        schedule never fires) and pass that role, nothing more."""
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
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
                resources=[schedules],
            )
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
            "schedules are named per timer at run time; the orchestrator creates and deletes "
            "them only in the service's own group",
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
        default child, so that a row's function takes the row's logical ID. Its log
        group (``<id>Logs``) keeps logs for ``log_retention``."""
        log_group = logs.LogGroup(
            scope,
            "Logs" if construct_id == "Default" else f"{construct_id}Logs",
            retention=self.log_retention,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        return lambda_.Function(
            scope,
            construct_id,
            log_group=log_group,
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

    def _allow_emits(self, function: lambda_.Function, emits: Sequence[str]) -> None:
        """PutEvents for the declared events only: per source (the owning service, as
        the runtime puts it), a statement with both ``events:source`` and
        ``events:detail-type`` conditions, so that no event passes for another's."""
        by_source: dict[str, list[str]] = {}
        for event in emits:
            source, _, detail_type = event.rpartition(".")
            by_source.setdefault(source or self.tables.service, []).append(detail_type)
        for source, detail_types in sorted(by_source.items()):
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["events:PutEvents"],
                    resources=[self.bus.event_bus_arn],
                    conditions={
                        "StringEquals": {
                            "events:source": [source],
                            "events:detail-type": detail_types,
                        }
                    },
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


def _queue_prefix(service: Construct, given: str | None) -> str:
    if given is not None:
        return queue_prefix(given)
    stack = cdk.Stack.of(service)
    while stack.nested_stack_parent is not None:  # a nested stack's name is a token
        stack = stack.nested_stack_parent
    depth = len(stack.node.scopes)
    path = [scope.node.id for scope in service.node.scopes[depth:]]
    return queue_prefix("-".join([stack.stack_name, *path]))


def _asset(out: Path, architecture: lambda_.Architecture) -> Path:
    from eventualc.deploy.asset import build_asset  # pip and the copying: only when needed

    return build_asset(out, architecture.name)


def _dead_letters(queue: sqs.Queue) -> sqs.IQueue:
    redrive = queue.dead_letter_queue
    assert redrive is not None, "every queue here has a dead-letter queue"
    return redrive.queue


def _consume(
    function: lambda_.Function,
    queue: sqs.IQueue,
    construct_id: str,
    *,
    batch_size: int,
    max_concurrency: int,
) -> None:
    queue.grant_consume_messages(function)
    function.add_event_source_mapping(
        construct_id,
        event_source_arn=queue.queue_arn,
        batch_size=batch_size,
        report_batch_item_failures=True,
        max_concurrency=max_concurrency,
    )


def _numbered(construct_id: str, index: int) -> str:
    """``Rule``, ``Rule2``, ``Rule3``...: the first keeps the id a single rule has."""
    return construct_id if index == 0 else f"{construct_id}{index + 1}"


def _object_access(
    scope: Construct,
    construct_id: str,
    bucket: s3.Bucket,
    prefixes: Sequence[str],
    more_actions: Sequence[str] = (),
) -> iam.ManagedPolicy:
    """A policy to read the objects under ``prefixes`` of ``bucket`` and create them
    (``If-None-Match: *``, so none is overwritten)."""
    objects = [bucket.arn_for_objects(f"{prefix}/*") for prefix in prefixes]
    statements = [
        iam.PolicyStatement(actions=["s3:GetObject", *more_actions], resources=objects),
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=objects,
            conditions={"Null": {"s3:if-none-match": "false"}},
        ),
    ]
    policy = iam.ManagedPolicy(scope, construct_id, statements=statements)
    arn = f"<{cdk.Stack.of(scope).get_logical_id(_resource(bucket))}.Arn>"
    for pattern in [f"{prefix}/*" for prefix in prefixes]:
        _acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{arn}/{pattern}]",
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
        "(eventualc.deploy.asset); another runtime needs another asset",
    )


# checkov findings this design accepts, by resource type, each with its reason (written
# into the template as `Metadata: checkov: skip`, which checkov reads).
CHECKOV_ACKNOWLEDGED: dict[str, tuple[tuple[str, str], ...]] = {
    "AWS::SQS::Queue": (
        ("CKV_AWS_27", "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which "
         "this check does not recognize; a KMS key would add a key policy per consumer"),
    ),
    "AWS::Logs::LogGroup": (
        ("CKV_AWS_158", "CloudWatch Logs encrypts every log group; the logs hold no more "
         "than the functions print, so a customer KMS key is left to the deployer"),
    ),
    "AWS::Lambda::Function": (
        ("CKV_AWS_116", "a function DLQ is for asynchronous invokes; these functions are "
         "fed by SQS event source mappings whose queues have redrive dead-letter queues"),
        ("CKV_AWS_117", "the functions reach only AWS service endpoints (S3, SQS, "
         "EventBridge); a VPC would add NAT or endpoints and no protection here"),
        ("CKV_AWS_115", "concurrency is capped per event source mapping "
         "(MaximumConcurrency); reserved concurrency would take from the account's pool "
         "and fail deploys in accounts with a low concurrency quota"),
        ("CKV_AWS_173", "the environment holds resource names and URLs only, no secret; "
         "Lambda encrypts it at rest with its own key"),
    ),
    "AWS::DynamoDB::Table": (
        ("CKV_AWS_119", "encrypted at rest with DynamoDB's own key, as the bucket and queues "
         "are with S3's and SQS's; a customer KMS key would bill a KMS request per cache "
         "miss and add a key policy, and is left to the deployer"),
    ),
    "AWS::S3::Bucket": (
        ("CKV_AWS_18", "only the service's own functions reach the state bucket; access "
         "logs would need another bucket per service (CloudTrail data events can audit it)"),
        ("CKV_AWS_21", "no object is written over (each is created once, If-None-Match; "
         "execution records are in the state table, with point-in-time recovery): "
         "versions would hold nothing to recover"),
    ),
}  # fmt: skip


def _acknowledge_checkov(service: Construct) -> None:
    for construct in service.node.find_all():
        if not isinstance(construct, cdk.CfnResource):
            continue
        skips = CHECKOV_ACKNOWLEDGED.get(construct.cfn_resource_type, ())
        if skips:
            construct.add_metadata(
                "checkov", {"skip": [{"id": i, "comment": reason} for i, reason in skips]}
            )


def _resource(construct: IConstruct) -> cdk.CfnResource:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    return resource


def _acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """A cdk-nag (AwsSolutions) finding on ``construct`` this design accepts, and why."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
