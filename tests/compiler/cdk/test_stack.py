"""The generated CDK stacks, synthesized for real: what CONTRACT §6 and the AWS design
require of the template, on the example (generated/orders) and on the golden spec
that uses every feature (tests/golden/every_feature: services shop and billing).

Each app is synthesized once per module, with cdk-nag's AwsSolutions checks as a
validation plugin: a finding that is not acknowledged fails the synthesis itself.
Expectations come from each service's definition.json (what the runtime reads) and
``eventual.patterns``, not from the emitter's tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from tests.cdk_apps import (
    Json,
    Synthesized,
    actions,
    asset_cache,
    definition,
    event_sources,
    functions,
    of_type,
    properties,
    ref_id,
    resources,
    statements,
    synthesize,
)
from tests.support import REPO, environment

from eventual.aws.config import task_queue_name
from eventual.patterns import cloudformation_event_pattern, matches_envelope, rule_pattern

GOLDEN = REPO / "tests" / "golden" / "every_feature" / "generated"
SERVICES = [("orders", "orders"), ("every_feature", "shop"), ("every_feature", "billing")]
KEY_PREFIXES = {"executions", "names", "definitions", "payloads", "waits"}
Apps = dict[str, tuple[Path, Synthesized]]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Apps:
    cache = asset_cache(tmp_path_factory)
    work = tmp_path_factory.mktemp("apps")
    # A copy under its own package name: `generated` is the repository's example.
    every_feature = work / "every_feature"
    shutil.copytree(GOLDEN, every_feature)
    orders = REPO / "generated"
    return {
        "orders": (orders, synthesize(orders, ["orders"], work / "orders.out", cache)),
        "every_feature": (
            every_feature,
            synthesize(every_feature, ["billing", "shop"], work / "every.out", cache),
        ),
    }


def service_of(apps: Apps, app: str, service: str) -> tuple[Json, Json, str]:
    """(template, definition, service package) of one service."""
    package, synthesized = apps[app]
    return synthesized.templates[service], definition(package, service), f"{package.name}.{service}"


def qualified(name: str, service: str) -> tuple[str, str]:
    owner, _, event = name.rpartition(".")
    return (owner or service, event)


TLS_ONLY = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_one_event_bus_named_after_the_stack(apps: Apps, app: str, service: str) -> None:
    template = Template.from_json(service_of(apps, app, service)[0])
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.has_resource_properties("AWS::Events::EventBus", {"Name": service})


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_state_bucket_is_encrypted_private_and_tls_only(apps: Apps, app: str, service: str) -> None:
    template = Template.from_json(service_of(apps, app, service)[0])
    template.resource_count_is("AWS::S3::Bucket", 1)
    blocked = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
    encrypted = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": Match.any_value()}}
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [encrypted]},
            "PublicAccessBlockConfiguration": dict.fromkeys(blocked, True),
        },
    )
    denial = Match.object_like({**TLS_ONLY, "Principal": {"AWS": "*"}})
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": "State"},
            "PolicyDocument": {"Statement": Match.array_with([denial]), "Version": "2012-10-17"},
        },
    )


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_every_queue_is_encrypted_and_refuses_plain_http(
    apps: Apps, app: str, service: str
) -> None:
    raw, _, _ = service_of(apps, app, service)
    template = Template.from_json(raw)
    template.all_resources_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})
    for logical_id in of_type(raw, "AWS::SQS::Queue"):
        template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": logical_id}],
                "PolicyDocument": Match.object_like(
                    {"Statement": Match.array_with([Match.object_like(TLS_ONLY)])}
                ),
            },
        )


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_orchestrator_is_fed_by_a_fifo_queue_and_the_inbox(
    apps: Apps, app: str, service: str
) -> None:
    template, definition_, _ = service_of(apps, app, service)
    orchestrator = functions(template)[""]
    assert orchestrator["Handler"] == "eventual.aws.entry.orchestrator"
    sources = event_sources(template, orchestrator["LogicalId"])
    senders = {  # tasks and handler subscriptions that declare signals: their own queue each
        f"{'Task' if name in definition_['tasks'] else ''}{name[:1].upper()}{name[1:]}Signals"
        for kind in ("tasks", "subscriptions")
        for name, spec in definition_[kind].items()
        if spec.get("signals")
    }
    assert set(sources) == {"OrchestratorQueue", "Inbox", "Results"} | senders
    for queue in senders:  # named as the runtime names it, so the name tells the sender
        assert properties(template, queue)["FifoQueue"] is True
        assert properties(template, queue)["QueueName"].startswith(f"{service}-signals-")
    assert properties(template, "Results")["FifoQueue"] is True
    for source in sources.values():
        assert source["BatchSize"] == 10
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    fifo = properties(template, "OrchestratorQueue")
    assert fifo["FifoQueue"] is True
    # High throughput mode: deduplication and throughput per message group (execution).
    assert (fifo["DeduplicationScope"], fifo["FifoThroughputLimit"]) == (
        "messageGroup", "perMessageGroupId"
    )  # fmt: skip
    assert fifo["ContentBasedDeduplication"] is False  # senders set the deduplication id
    dead_letters = ref_id(fifo["RedrivePolicy"]["deadLetterTargetArn"])
    assert dead_letters == "OrchestratorDeadLetters"
    assert properties(template, dead_letters)["FifoQueue"] is True
    assert "FifoQueue" not in properties(template, "Inbox")
    assert ref_id(properties(template, "Inbox")["RedrivePolicy"]["deadLetterTargetArn"]) == (
        "InboxDeadLetters"
    )
    # The orchestrator finds each task queue by its name, made as the runtime makes it.
    prefix = orchestrator["Environment"]["Variables"]["EVENTUAL_QUEUE_PREFIX"]
    assert prefix == service
    for task in definition_["tasks"]:
        queue = properties(template, f"Task{task[:1].upper()}{task[1:]}Queue")
        assert queue["QueueName"] == task_queue_name(prefix, task) == f"{service}-task-{task}"


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_each_task_runs_in_its_own_function_fed_by_its_own_queue(
    apps: Apps, app: str, service: str
) -> None:
    template, definition_, _ = service_of(apps, app, service)
    found = functions(template)
    for name, task in definition_["tasks"].items():
        function = found[name]
        assert function["Handler"] == "eventual.aws.entry.task"
        assert function["Runtime"] == "python3.12"
        assert function["Architectures"] == ["arm64"]
        assert function["MemorySize"] == task["memory"]
        assert function["Timeout"] >= task["timeout"]
        (queue_id, source), *others = event_sources(template, function["LogicalId"]).items()
        assert not others
        assert source["BatchSize"] == 1
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue = properties(template, queue_id)
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
        assert (
            ref_id(queue["RedrivePolicy"]["deadLetterTargetArn"]) == f"{queue_id[:-5]}DeadLetters"
        )


def subscription_rule(template: Json, queue_id: str) -> Json:
    rules = [
        r["Properties"]
        for r in of_type(template, "AWS::Events::Rule").values()
        if [ref_id(t["Arn"]) for t in r["Properties"]["Targets"]] == [queue_id]
    ]
    assert len(rules) == 1, f"one rule per subscription, found {len(rules)} for {queue_id}"
    return rules[0]


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_each_handler_subscription_has_one_rule_for_all_its_events_and_a_dead_letter_queue(
    apps: Apps, app: str, service: str
) -> None:
    template, definition_, _ = service_of(apps, app, service)
    found = functions(template)
    for name, sub in definition_["subscriptions"].items():
        if sub["handler"] is None:
            continue
        function = found[name]
        assert function["Handler"] == "eventual.aws.entry.subscription"
        assert function["MemorySize"] == sub["memory"]
        (queue_id, source), *others = event_sources(template, function["LogicalId"]).items()
        assert not others
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        rule = subscription_rule(template, queue_id)
        assert ref_id(rule["EventBusName"]) == "Bus"
        events = [qualified(e, service) for e in sub["events"]]
        assert rule["EventPattern"] == cloudformation_event_pattern(
            rule_pattern(events, sub["filter"])
        )
        queue = properties(template, queue_id)
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
        attempts = max(policy["attempts"] for policy in sub["retry"])
        assert queue["RedrivePolicy"]["maxReceiveCount"] == attempts + 2
        dead_letters = ref_id(queue["RedrivePolicy"]["deadLetterTargetArn"])
        variables = function["Environment"]["Variables"]
        assert ref_id(variables["EVENTUAL_DEAD_LETTER_QUEUE"]) == dead_letters
        assert properties(template, str(dead_letters))["MessageRetentionPeriod"] == 14 * 86400
        assert_events_may_send_to(template, queue_id)


def assert_events_may_send_to(template: Json, queue_id: str) -> None:
    """The queue's policy lets EventBridge send, and only from this stack's rules."""
    allowed = [
        s
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        if queue_id in [ref_id(q) for q in p["Properties"]["Queues"]]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allowed
    for statement in allowed:
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        for source in sources if isinstance(sources, list) else [sources]:
            assert template["Resources"][ref_id(source)]["Type"] == "AWS::Events::Rule"


def test_rule_patterns_select_the_events_eventbridge_would_deliver(apps: Apps) -> None:
    template, definition_, _ = service_of(apps, "every_feature", "shop")
    rules = {k: v["Properties"] for k, v in of_type(template, "AWS::Events::Rule").items()}
    order = {"orderId": "o-1", "total": {"amount": 10, "currency": "EUR"}, "items": []}

    def delivered(rule: str, detail_type: str, detail: Any, source: str = "shop") -> bool:
        envelope = {"source": source, "detail-type": detail_type, "detail": detail}
        pattern = rules[rule]["EventPattern"]
        return matches_envelope(
            json.loads(pattern) if isinstance(pattern, str) else pattern, envelope
        )

    assert delivered("OnOrderRule", "OrderPlaced", order)
    assert delivered("OnOrderRule", "OrderCancelled", {"orderId": "o-2"})
    assert not delivered("OnOrderRule", "OrderPlaced", {**order, "orderId": "x-1"})
    assert not delivered("OnOrderRule", "OrderPlaced", order, source="billing")
    assert not delivered("StartFulfilRule", "OrderPlaced", order)
    assert delivered("StartFulfilRule", "OrderPlaced", {**order, "total": {"amount": 150}})
    assert delivered("OnInvoiceRule", "InvoicePaid", {"invoiceId": "i-1"}, source="billing")
    assert not delivered("OnInvoiceRule", "InvoicePaid", {"invoiceId": "i-1"})
    assert definition_["subscriptions"]["onOrder"]["filter"] == {"orderId": [{"prefix": "o-"}]}


def test_workflow_starting_subscriptions_send_their_events_to_the_inbox(apps: Apps) -> None:
    template, definition_, _ = service_of(apps, "every_feature", "shop")
    start = definition_["subscriptions"]["startFulfil"]
    assert start["workflow"] == "fulfil"
    rule = properties(template, "StartFulfilRule")
    assert [ref_id(t["Arn"]) for t in rule["Targets"]] == ["Inbox"]
    assert rule["EventPattern"] == rule_pattern([("shop", "OrderPlaced")], start["filter"])
    assert "startFulfil" not in functions(template)  # no handler, no function
    assert_events_may_send_to(template, "Inbox")
    # A declarative signal's rule sends to the inbox too; so does the rule of the events
    # wait_for_event steps wait for, wrapped so that the orchestrator tells them apart.
    signal = properties(template, "PokeOnShipRule")
    assert [ref_id(t["Arn"]) for t in signal["Targets"]] == ["Inbox"]
    waited = properties(template, "WaitedEvents")
    assert waited["EventPattern"] == rule_pattern([("billing", "InvoicePaid"), ("shop", "Shipped")])
    [target] = waited["Targets"]
    assert ref_id(target["Arn"]) == "Inbox"
    assert target["InputTransformer"] == {
        "InputTemplate": '{"kind": "waited", "event": <aws.events.event.json>}'
    }


def test_events_another_service_subscribes_to_are_forwarded_to_its_bus(apps: Apps) -> None:
    """shop's task emits billing.InvoicePaid (also published by billing) and shop
    subscribes to it; billing subscribes to shop.Ping: each bus forwards to the other."""
    for service, peer, event in [("shop", "billing", ("shop", "Ping")), ("billing", "shop", ("billing", "InvoicePaid"))]:  # fmt: skip
        template, _, _ = service_of(apps, "every_feature", service)
        prefix = f"To{peer.capitalize()}"
        rule = properties(template, f"{prefix}Rule")
        assert ref_id(rule["EventBusName"]) == "Bus"
        assert rule["EventPattern"] == rule_pattern([event])
        (target,) = rule["Targets"]
        peer_bus = target["Arn"]
        assert json.dumps(peer_bus).endswith(f':event-bus/{peer}"]]}}')
        assert ref_id(target["RoleArn"]) == f"{prefix}Role"
        role = properties(template, f"{prefix}Role")
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "events.amazonaws.com"
        }
        (policy,) = [
            p["Properties"]
            for p in of_type(template, "AWS::IAM::Policy").values()
            if [ref_id(r) for r in p["Properties"]["Roles"]] == [f"{prefix}Role"]
        ]
        (statement,) = policy["PolicyDocument"]["Statement"]
        assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", peer_bus)


def emitted_by_workflows(definition_: Json) -> set[str]:
    found: set[str] = set()
    pending = [s for w in definition_["workflows"].values() for s in w["steps"]]
    while pending:
        step = pending.pop()
        if step["kind"] == "emit":
            found.add(step["target"].rpartition(".")[2])
        pending += [s for block in step.get("blocks", {}).values() for s in block]
        pending += [s for c in step.get("catch", []) for s in c["steps"]]
        pending += step.get("compensate", [])
    return found


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_functions_put_on_the_bus_only_the_events_they_declare(
    apps: Apps, app: str, service: str
) -> None:
    template, definition_, _ = service_of(apps, app, service)
    declared = {"": emitted_by_workflows(definition_)}
    for kind in ("tasks", "subscriptions"):
        for name, spec in definition_[kind].items():
            declared[name] = {e.rpartition(".")[2] for e in spec["emits"]}
    for name, function in functions(template).items():
        puts = [s for s in statements(template, function) if "events:PutEvents" in actions(s)]
        if not declared[name]:
            assert puts == [], f"{name or 'orchestrator'} declares no events"
            continue
        # One statement per source: the owning service, as the runtime puts the event.
        sources = {e.rpartition(".")[0] or service for e in declared_qualified(definition_, name)}
        assert sorted(p["Condition"]["StringEquals"]["events:source"] for p in puts) == [
            [source] for source in sorted(sources)
        ]
        put = puts[0]
        Template.from_json(template).has_resource_properties(
            "AWS::IAM::Policy",
            {
                "PolicyDocument": Match.object_like(
                    {
                        "Statement": Match.array_with(
                            [Match.object_like({"Action": "events:PutEvents"})]
                        )
                    }
                ),
                "Roles": [
                    function["Role"]["Fn::GetAtt"][0:1] and {"Ref": ref_id(function["Role"])}
                ],
            },
        )
        assert actions(put) == ["events:PutEvents"]
        assert [ref_id(r) for r in resources(put)] == ["Bus"]
        types = {t for p in puts for t in p["Condition"]["StringEquals"]["events:detail-type"]}
        assert types == declared[name]
    assert declared[""] == ({"OrderCancelled", "Ping"} if service == "shop" else set())


def declared_qualified(definition_: Json, name: str) -> set[str]:
    if name == "":
        return set(emitted_by_workflows_qualified(definition_))
    spec = definition_["tasks"].get(name) or definition_["subscriptions"][name]
    return set(spec["emits"])


def emitted_by_workflows_qualified(definition_: Json) -> list[str]:
    found: list[str] = []
    pending = [s for w in definition_["workflows"].values() for s in w["steps"]]
    while pending:
        step = pending.pop()
        if step["kind"] == "emit":
            found.append(step["target"])
        pending += [s for block in step.get("blocks", {}).values() for s in block]
        pending += [s for c in step.get("catch", []) for s in c["steps"]]
        pending += step.get("compensate", [])
    return found


def object_prefixes(statement: Json) -> set[str]:
    found = set()
    for resource in resources(statement):
        bucket, suffix = resource["Fn::Join"][1]
        assert ref_id(bucket) == "State"
        assert suffix.startswith("/") and suffix.endswith("/*")
        found.add(suffix[1:-2])
    return found


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_each_function_reaches_only_its_own_queues_and_objects(
    apps: Apps, app: str, service: str
) -> None:
    template, definition_, _ = service_of(apps, app, service)
    task_queues = {f"Task{t[:1].upper()}{t[1:]}Queue" for t in definition_["tasks"]}
    for name, function in functions(template).items():
        variables = function["Environment"]["Variables"]
        granted = statements(template, function)
        for statement in granted:
            assert all("*" not in a for a in actions(statement)), statement
            assert "*" not in resources(statement), statement
        consumed = {
            ref_id(r) for s in granted if "sqs:ReceiveMessage" in actions(s) for r in resources(s)
        }
        sent = {ref_id(r) for s in granted if "sqs:SendMessage" in actions(s) for r in resources(s)}
        objects = set().union(
            *(object_prefixes(s) for s in granted if "s3:GetObject" in actions(s))
        )
        lists = [s for s in granted if "s3:ListBucket" in actions(s)]
        assert consumed == set(event_sources(template, function["LogicalId"]))
        signal_queues = {
            ref_id(f["Environment"]["Variables"]["EVENTUAL_SIGNAL_QUEUE"])
            for f in functions(template).values()
            if "EVENTUAL_SIGNAL_QUEUE" in f["Environment"]["Variables"]
        }
        own_signals = {ref_id(variables["EVENTUAL_SIGNAL_QUEUE"])} - {None} if (
            "EVENTUAL_SIGNAL_QUEUE" in variables
        ) else set()  # fmt: skip
        signalled = {p for p in objects if p.startswith("names/")}  # names it may look up
        assert bool(signalled) == bool(own_signals)
        objects -= signalled
        lists = [s for s in lists if not signalled or s["Condition"] != {
            "StringLike": {"s3:prefix": sorted(f"{p}/*" for p in signalled)}
        }]  # fmt: skip
        if name == "":
            assert consumed == {"OrchestratorQueue", "Inbox", "Results"} | signal_queues
            assert sent - {None} == {"OrchestratorQueue", "Inbox", "UndeliveredSignals"}
            by_name = [r for s in granted if "sqs:SendMessage" in actions(s) for r in resources(s)]
            by_name = [r for r in by_name if ref_id(r) is None]  # task queues, by their names
            assert len(by_name) == (1 if task_queues else 0)
            named = {str(properties(template, q)["QueueName"]) for q in task_queues}
            queues = of_type(template, "AWS::SQS::Queue")
            for arn in by_name:
                assert_arn_pattern_selects(arn, named, queues)
            assert objects == KEY_PREFIXES
            assert [ref_id(r) for s in lists for r in resources(s)] == ["State"]
        elif name in definition_["tasks"]:
            # answers only, and its own signals: no start, cancel or another's signal
            assert sent == {"Results"} | own_signals
            assert (objects, lists) == ({"payloads"}, [])
        else:
            assert sent == {ref_id(variables["EVENTUAL_DEAD_LETTER_QUEUE"])} | own_signals
            assert (objects, lists) == ({"payloads"}, [])
        for statement in granted:
            assert set(actions(statement)) <= {
                "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl",
                "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage",
                "s3:GetObject", "s3:PutObject", "s3:ListBucket", "events:PutEvents",
                "s3:PutObjectTagging",
                *(("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "iam:PassRole",
                   "s3:DeleteObject", "dynamodb:GetItem", "dynamodb:PutItem")
                  if name == "" else ()),
            }  # fmt: skip
        tables = [s for s in granted if any(a.startswith("dynamodb:") for a in actions(s))]
        if name == "":  # only the orchestrator reaches the records: read and write, no more
            (table,) = tables
            assert sorted(actions(table)) == ["dynamodb:GetItem", "dynamodb:PutItem"]
            assert [r["Fn::GetAtt"] for r in resources(table)] == [["StateTable", "Arn"]]
        else:
            assert tables == []


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_functions_are_told_where_everything_is(apps: Apps, app: str, service: str) -> None:
    template, definition_, package = service_of(apps, app, service)
    for name, function in functions(template).items():
        variables = function["Environment"]["Variables"]
        assert variables["EVENTUAL_SERVICE"] == package
        assert {k: ref_id(v) for k, v in variables.items() if k.endswith(("_BUS", "_BUCKET"))} == {
            "EVENTUAL_BUS": "Bus",
            "EVENTUAL_BUCKET": "State",
        }
        assert ref_id(variables["EVENTUAL_ORCHESTRATOR_QUEUE"]) == "OrchestratorQueue"
        assert ref_id(variables["EVENTUAL_INBOX_QUEUE"]) == "Inbox"
        expected = {"EVENTUAL_SERVICE", "EVENTUAL_BUS", "EVENTUAL_BUCKET"}
        expected |= {"EVENTUAL_ORCHESTRATOR_QUEUE", "EVENTUAL_INBOX_QUEUE"}
        if name == "":
            expected.add("EVENTUAL_QUEUE_PREFIX")
            expected |= {"EVENTUAL_STATE_TABLE", "EVENTUAL_RETENTION_DAYS"}
            assert ref_id(variables["EVENTUAL_STATE_TABLE"]) == "StateTable"
            assert variables["EVENTUAL_RETENTION_DAYS"] == "90"
            expected |= {"EVENTUAL_SCHEDULE_GROUP", "EVENTUAL_SCHEDULER_ROLE", "EVENTUAL_INBOX_ARN"}
            expected |= {"EVENTUAL_RESULTS_QUEUE", "EVENTUAL_DEAD_LETTER_QUEUE"}
            assert ref_id(variables["EVENTUAL_DEAD_LETTER_QUEUE"]) == "UndeliveredSignals"
        else:
            assert variables["EVENTUAL_FUNCTION"] == name
            expected.add("EVENTUAL_FUNCTION")
            if name in definition_["tasks"]:
                expected.add("EVENTUAL_RESULTS_QUEUE")
            if name in definition_["subscriptions"]:
                expected.add("EVENTUAL_DEAD_LETTER_QUEUE")
            spec = definition_["tasks"].get(name) or definition_["subscriptions"][name]
            if spec.get("signals"):  # its own signal queue
                expected.add("EVENTUAL_SIGNAL_QUEUE")
                assert str(ref_id(variables["EVENTUAL_SIGNAL_QUEUE"])).endswith("Signals")
        assert set(variables) == expected


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_outputs_and_names_left_to_cloudformation(apps: Apps, app: str, service: str) -> None:
    template, definition_, _ = service_of(apps, app, service)
    outputs = template["Outputs"]
    assert set(outputs) == {
        "BusName", "BucketName", "StateTableName", "OrchestratorQueueUrl", "InboxQueueUrl",
        "DeadLetterQueues",
    }  # fmt: skip
    assert ref_id(outputs["BusName"]["Value"]) == "Bus"
    assert ref_id(outputs["StateTableName"]["Value"]) == "StateTable"
    assert ref_id(outputs["OrchestratorQueueUrl"]["Value"]) == "OrchestratorQueue"
    rendered = json.dumps(outputs["DeadLetterQueues"]["Value"])
    handlers = [n for n, s in definition_["subscriptions"].items() if s["handler"]]
    for name in handlers:
        assert f'\\"{name}\\":\\"' in rendered
    physical_names = {
        "AWS::SQS::Queue": "QueueName", "AWS::S3::Bucket": "BucketName",
        "AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName",
        "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::Events::Rule": "Name",
        "AWS::DynamoDB::Table": "TableName",
    }  # fmt: skip
    named_queues = {f"Task{t[:1].upper()}{t[1:]}Queue" for t in definition_["tasks"]}
    named_queues |= {q for q in of_type(template, "AWS::SQS::Queue") if q.endswith("Signals")}
    for logical_id, resource in template["Resources"].items():
        if logical_id in named_queues:  # the orchestrator derives their URLs from their names
            continue
        assert physical_names.get(resource["Type"]) not in resource.get("Properties", {})


def assert_arn_pattern_selects(arn: Json, names: set[str], queues: dict[str, Json]) -> None:
    """``arn`` (an SQS ARN with a wildcard, as ``Fn::Join``) covers exactly ``names``
    among the stack's queues (the others: CloudFormation names them after their
    logical IDs)."""
    parts = arn["Fn::Join"][1]
    assert parts[0] == "arn:" and parts[-1].startswith(":")
    pattern = parts[-1][1:]
    assert pattern.endswith("*") and "*" not in pattern[:-1]
    assert all(name.startswith(pattern[:-1]) for name in names)
    others = [f"{pattern.split('-')[0]}-{logical_id}-1A2B3C" for logical_id in queues]
    assert not [n for n in others if n.startswith(pattern[:-1]) and n not in names]


def test_logical_ids_are_named_after_the_spec(apps: Apps) -> None:
    template, _, _ = service_of(apps, "orders", "orders")
    ids = set(template["Resources"])
    for task in ("ProcessPayment", "ShipOrder", "SetOrderStatus"):
        assert {f"Task{task}", f"Task{task}Queue", f"Task{task}DeadLetters"} <= ids
    for sub in ("ProcessOrderPayment", "ShipOrderAfterPayment", "UpdateOrderStatus"):
        assert {sub, f"{sub}Rule", f"{sub}Queue", f"{sub}DeadLetters"} <= ids
    core = {"Bus", "State", "StateTable", "Orchestrator", "OrchestratorQueue"}
    core |= {"OrchestratorDeadLetters"}
    assert core | {"Inbox", "InboxDeadLetters"} <= ids


ACKNOWLEDGED = {
    "AWS::S3::Bucket": {"AwsSolutions-S1"},
    "AWS::SQS::Queue": {"AwsSolutions-SQS3"},
    "AWS::Lambda::Function": {"AwsSolutions-L1"},
    "AWS::IAM::Role": {"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                       "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<Timers>/*]"}
    | {f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:{s}-task-*]" for s in ("orders", "shop", "billing")}
    | {"AwsSolutions-IAM5[Resource::<State.Arn>/waits/*]"}  # wait markers the orchestrator deletes
    | {f"AwsSolutions-IAM5[Resource::<State.Arn>/names/{w}/*]" for w in ("fulfil",)},  # senders' lookups
    "AWS::IAM::ManagedPolicy": {f"AwsSolutions-IAM5[Resource::<State.Arn>/{p}/*]" for p in KEY_PREFIXES},
}  # fmt: skip


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_cdk_nag_findings_are_acknowledged_only_where_expected_each_with_its_reason(
    apps: Apps, app: str, service: str
) -> None:
    """Synthesis ran cdk-nag's AwsSolutions checks and would have failed on any finding
    left; what was acknowledged is recorded in the template, with the reason."""
    template, _, _ = service_of(apps, app, service)
    seen: dict[str, set[str]] = {}
    for logical_id, resource in template["Resources"].items():
        rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        for rule in rules:
            assert len(rule["reason"].split()) >= 8, (logical_id, rule)
            seen.setdefault(resource["Type"], set()).add(rule["id"])
    assert seen.pop("AWS::IAM::Policy") <= ACKNOWLEDGED["AWS::IAM::Role"]  # the roles' children
    assert set(seen) == set(ACKNOWLEDGED)
    for kind, ids in seen.items():
        assert ids <= ACKNOWLEDGED[kind], kind
    assert seen["AWS::Lambda::Function"] and seen["AWS::IAM::Role"]


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_long_timers_are_schedules_sent_only_to_the_inbox(
    apps: Apps, app: str, service: str
) -> None:
    """Waits beyond 15 minutes are one-time schedules in the service's group, sent by a
    role that may only send to the inbox; the orchestrator and the tasks, whose
    invocations chain legitimately, let Lambda's recursive-loop detection pass."""
    template, definition_, _ = service_of(apps, app, service)
    [group] = of_type(template, "AWS::Scheduler::ScheduleGroup")
    role = template["Resources"]["SchedulerRole"]
    principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "scheduler.amazonaws.com"}
    granted = statements(template, {"Role": {"Ref": "SchedulerRole"}})
    sends = [s for s in granted if "sqs:SendMessage" in actions(s)]
    assert [ref_id(r) for s in sends for r in resources(s)] == ["Inbox"]
    for name, function in functions(template).items():
        variables = function["Environment"]["Variables"]
        allowed = function.get("RecursiveLoop")
        if name == "":
            assert ref_id(variables["EVENTUAL_SCHEDULE_GROUP"]) == group
            assert allowed == "Allow"
        else:
            assert allowed == ("Allow" if name in definition_["tasks"] else None)


@pytest.mark.parametrize("app", ["orders", "every_feature"])
def test_cfn_lint_passes_on_the_templates(apps: Apps, app: str) -> None:
    from cfnlint.api import ManualArgs, lint_file

    _, synthesized = apps[app]
    # W3005 (a DependsOn also implied by a GetAtt) is how CDK orders every function
    # after its role's policy; it is redundant, not wrong.
    config = ManualArgs(ignore_checks=["W3005"])
    for template in sorted(synthesized.outdir.glob("*.template.json")):
        assert [str(m) for m in lint_file(template, config=config)] == []


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_the_resource_estimate_that_decides_splitting_is_accurate(
    apps: Apps, app: str, service: str
) -> None:
    from eventualc.emit.stack import estimated_resources
    from eventualc.pipeline import load

    specs = REPO / ("specs" if app == "orders" else "tests/golden/every_feature/specs")
    front_end = load([specs], REPO)
    assert front_end.build is not None
    ir_service = front_end.build.service(service)
    assert ir_service is not None
    template, _, _ = service_of(apps, app, service)
    # The estimate counts the CDKMetadata resource the cdk CLI adds.
    assert estimated_resources(ir_service, front_end.build) == len(template["Resources"]) + 1


def test_the_construct_embeds_in_any_stack_and_still_passes_cdk_nag(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """In a user's own stack: CDK's own logical IDs, a chosen architecture, and every
    cdk-nag acknowledgment still finds its finding (synthesis fails otherwise)."""
    import aws_cdk as cdk
    from aws_cdk import aws_lambda
    from cdk_nag import AwsSolutionsChecks
    from generated.orders.infra import OrdersService

    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "Platform")
    cache = str(asset_cache(tmp_path_factory))
    with environment(EVENTUALC_CACHE_DIR=cache):
        architecture = aws_lambda.Architecture.X86_64
        OrdersService(stack, "Orders", architecture=architecture, bus_name="orders-staging")
        template = app.synth().get_stack_by_name("Platform").template
    found = functions(template)
    assert len(found) == 7
    assert {f["Architectures"][0] for f in found.values()} == {"x86_64"}
    assert [b["Properties"]["Name"] for b in of_type(template, "AWS::Events::EventBus").values()] == ["orders-staging"]  # fmt: skip
    assert all(logical_id.startswith("Orders") for logical_id in template["Resources"])


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_nothing_is_lost_silently(apps: Apps, app: str, service: str) -> None:
    """Rule targets dead-letter what they cannot deliver; every queue keeps messages
    14 days; an alarm watches every dead-letter queue; logs and finished executions
    expire."""
    template, _, _ = service_of(apps, app, service)
    for rule in of_type(template, "AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            assert ref_id(target["DeadLetterConfig"]["Arn"]) == "RuleDeadLetters"
            assert target["RetryPolicy"] == {
                "MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185
            }  # fmt: skip
    queues = of_type(template, "AWS::SQS::Queue")
    for queue in queues.values():
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 86400
    dead_letters = {
        ref_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    } | {"RuleDeadLetters", "UndeliveredSignals"}
    watched = {}
    for alarm in of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        (dimension,) = props["Dimensions"]
        watched[ref_id(dimension["Value"])] = props
    assert set(watched) == dead_letters
    groups = of_type(template, "AWS::Logs::LogGroup")
    logged = {ref_id(f["LoggingConfig"]["LogGroup"]) for f in functions(template).values()}
    assert logged == set(groups)
    assert {g["Properties"]["RetentionInDays"] for g in groups.values()} == {30}
    (rule,) = [
        r for r in properties(template, "State")["LifecycleConfiguration"]["Rules"]
        if r["Id"] == "ExpireFinishedExecutions"
    ]  # fmt: skip
    assert rule["ExpirationInDays"] == 90 and rule["Status"] == "Enabled"
    assert rule["TagFilters"] == [{"Key": "eventual-finished", "Value": "true"}]
    # Records expire by the table's TTL: the orchestrator sets it from the same days.
    table = properties(template, "StateTable")
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_state_table_is_on_demand_encrypted_recoverable_and_kept(
    apps: Apps, app: str, service: str
) -> None:
    template, _, _ = service_of(apps, app, service)
    assert list(of_type(template, "AWS::DynamoDB::Table")) == ["StateTable"]
    resource = template["Resources"]["StateTable"]
    table = resource["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # Encrypted at rest with DynamoDB's own key (as SQS- and S3-managed keys): no
    # SSESpecification, or one that does not ask for KMS.
    assert table.get("SSESpecification", {}).get("SSEEnabled", False) is False
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_every_event_source_mapping_caps_its_concurrency(
    apps: Apps, app: str, service: str
) -> None:
    template, _, _ = service_of(apps, app, service)
    mappings = of_type(template, "AWS::Lambda::EventSourceMapping").values()
    assert mappings
    assert {m["Properties"]["ScalingConfig"]["MaximumConcurrency"] for m in mappings} == {50}


def test_the_orchestrator_lists_only_under_its_prefixes(apps: Apps) -> None:
    template, _, _ = service_of(apps, "orders", "orders")
    orchestrator = functions(template)[""]
    (listing,) = [s for s in statements(template, orchestrator) if "s3:ListBucket" in actions(s)]
    assert listing["Condition"] == {
        "StringLikeIfExists": {"s3:prefix": [f"{p}/*" for p in ("executions", "names", "definitions", "payloads", "waits")]}
    }  # fmt: skip


@pytest.mark.parametrize(("app", "service"), SERVICES)
def test_objects_are_written_only_conditionally(apps: Apps, app: str, service: str) -> None:
    """Every PutObject needs If-None-Match (created once): no object is written over
    (execution records, written over at every step, are in the state table)."""
    template, _, _ = service_of(apps, app, service)
    for name, function in functions(template).items():
        puts = [s for s in statements(template, function) if "s3:PutObject" in actions(s)]
        by_condition = {json.dumps(s["Condition"], sort_keys=True): s for s in puts}
        assert len(by_condition) == len(puts) == 1
        creates = by_condition.pop('{"Null": {"s3:if-none-match": "false"}}')
        assert actions(creates) == ["s3:PutObject"]
        expected = KEY_PREFIXES if name == "" else {"payloads"}
        assert object_prefixes(creates) == expected
        assert not by_condition
