"""A large service deploys: 150 tasks, 400 events and a subscription to 120 of them,
under a long service (and so stack) name. Synthesized for real, once (about a minute).

What breaks at deploy time and not before is measured here with names resolved as
long as AWS makes them: every function's environment within Lambda's 4 KB, every rule
pattern within EventBridge's 2,048 characters (the 120-event subscription becomes
several rules that together match each of its events exactly once), and every quota
of ``eventualc.deploy.quotas`` on every template.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cdk_apps import (
    Json,
    Synthesized,
    functions,
    of_type,
    synthesize_spec,
)

from eventual.aws.config import task_queue_name
from eventual.patterns import matches_envelope
from eventualc.deploy.quotas import Template, limit, template_violations
from eventualc.emit.stack import stack_name

SERVICE = "enterprise_order_fulfilment_and_customer_notifications"
EVENTS = [f"CustomerNotificationPreferenceChanged{i:03d}" for i in range(400)]
TASKS = [f"recalculateCustomerSegmentMembership{i:03d}" for i in range(150)]
SUBSCRIBED = EVENTS[:120]
# The longest a queue URL can be: https://sqs.<region>.<suffix>/<account>/<80-char name>.
LONGEST_QUEUE_URL = len("https://sqs.ap-southeast-5.amazonaws.com.cn/123456789012/") + 80


def scale_spec() -> str:
    lines = [f"service: {SERVICE}", "events:"]
    lines += [f"  {e}: {{schema: {{type: object, properties: {{customerId: {{type: string}}}}}}}}" for e in EVENTS]  # fmt: skip
    lines += ["tasks:"]
    lines += [f"  {t}: {{input: string, emits: [{EVENTS[i]}, {EVENTS[i + 150]}]}}" for i, t in enumerate(TASKS)]  # fmt: skip
    lines += [
        "subscriptions:",
        "  onAnyPreferenceChange:",
        f"    events: [{', '.join(SUBSCRIBED)}]",
    ]
    lines += ["    filter: {customerId: [{prefix: c-}]}"]
    lines += ["workflows:", "  recalculate:", "    input: string", "    steps:"]
    lines += [f"      - task: {t}\n        input: ${{{{ input }}}}" for t in TASKS]
    lines += [f"      - emit: {e}\n        payload: {{customerId: c-1}}" for e in EVENTS[300:]]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize_spec(tmp_path_factory, "scale", SERVICE, scale_spec())[1]


def all_templates(large: Synthesized) -> list[Json]:
    return [*large.templates.values(), *large.nested]


def test_every_function_environment_fits_lambdas_4_kb(large: Synthesized) -> None:
    seen = 0
    for template in all_templates(large):
        for function in functions(template).values():
            variables = function["Environment"]["Variables"]
            # Each value is a plain string or one reference (to a queue, the bus, the
            # bucket): none is a map growing with the service.
            size = 0
            for key, value in variables.items():
                assert isinstance(value, str) or set(value) <= {"Ref", "Fn::GetAtt"}, key
                size += len(key) + (len(value) if isinstance(value, str) else LONGEST_QUEUE_URL)
            assert size <= 4096
            seen += 1
    assert seen == len(TASKS) + 2  # and the subscription and the orchestrator


def test_the_subscription_to_120_events_is_split_into_rules_that_each_fit(
    large: Synthesized,
) -> None:
    rules = [
        rule["Properties"]
        for template in all_templates(large)
        for rule in of_type(template, "AWS::Events::Rule").values()
    ]
    assert len(rules) > 1
    patterns = [
        json.loads(r["EventPattern"]) if isinstance(r["EventPattern"], str) else r["EventPattern"]
        for r in rules
    ]
    for pattern in patterns:
        assert len(json.dumps(pattern)) <= limit("EventBridge event pattern")
    for event in EVENTS:
        envelope = {"source": SERVICE, "detail-type": event, "detail": {"customerId": "c-7"}}
        matched = sum(matches_envelope(p, envelope) for p in patterns)
        assert matched == (1 if event in SUBSCRIBED else 0), event
        wrong = {**envelope, "detail": {"customerId": "x-7"}}
        assert not any(matches_envelope(p, wrong) for p in patterns)


def test_task_queues_have_names_the_orchestrator_derives(large: Synthesized) -> None:
    (parent,) = large.templates.values()
    prefix = functions(parent)[""]["Environment"]["Variables"]["EVENTUAL_QUEUE_PREFIX"]
    assert len(prefix) <= 40 < len(stack_name(SERVICE))  # shortened, with a hash
    named = [
        q["Properties"]["QueueName"]
        for t in large.nested
        for q in of_type(t, "AWS::SQS::Queue").values()
        if "QueueName" in q["Properties"]
    ]
    assert sorted(named) == sorted(task_queue_name(prefix, t) for t in TASKS)
    assert len(set(named)) == len(TASKS) and max(map(len, named)) <= 80


def test_every_template_is_within_every_quota(large: Synthesized) -> None:
    templates = [
        Template(stack_name(SERVICE), body, len(json.dumps(body).encode()))
        for body in all_templates(large)
    ]
    assert template_violations(templates) == []
    assert len(large.nested) >= 2
    # What `eventualc synth` runs: the stack's template and the nested ones it lists.
    from eventualc.deploy.synth import quota_violations

    (stack,) = large.templates
    assert quota_violations(large.outdir, stack, stack) == []
    body = json.loads(json.dumps(large.nested[0]))
    body["Outputs"] = {f"O{i}": {"Value": "x"} for i in range(201)}
    found = template_violations([Template(stack, body, 0)])
    assert len(found) == 1 and "CloudFormation outputs" in found[0]


def test_the_quota_measure_catches_what_it_claims(large: Synthesized) -> None:
    """The same measure reports a function environment or a pattern made too large."""
    (parent,) = large.templates.values()
    body = json.loads(json.dumps(parent))
    orchestrator = functions(body)[""]["LogicalId"]
    variables = body["Resources"][orchestrator]["Properties"]["Environment"]["Variables"]
    variables["EVENTUAL_TASK_QUEUES"] = {"Fn::Join": ["", [{"Ref": "Inbox"}] * 40]}
    found = template_violations([Template(stack_name(SERVICE), body, 0)])
    assert len(found) == 1 and "Lambda environment variables" in found[0]
    assert orchestrator in found[0]


def test_the_generated_infra_carries_no_map_of_queues(large: Synthesized) -> None:
    text = "\n".join(p.read_text() for p in Path(large.outdir).glob("*.template.json"))
    assert "EVENTUAL_TASK_QUEUES" not in text
