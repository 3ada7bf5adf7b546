"""A service too large for one CloudFormation stack (500 resources) is split into
nested stacks, not failed; names that would clash in the construct or in the
template get ids of their own. Synthesized for real, once, on a spec just over the
limit (synthesis costs about a second per ten functions).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cdk_apps import (
    Json,
    Synthesized,
    actions,
    event_sources,
    functions,
    of_type,
    properties,
    ref_id,
    resources,
    statements,
    synthesize_spec,
)

from eventual.aws.config import task_queue_name
from eventualc.emit.stack import STACK_LIMIT, estimated_resources

TASKS = [f"item{i}" for i in range(22)]
# Names whose ids clash: with the bus, with a task's function (`TaskItem0`), and a
# subscription's function (`ClashQueue`) with another's queue.
SUBSCRIPTIONS = [f"sub{i}" for i in range(20)] + ["bus", "clash", "clashQueue", "taskItem0"]


def large_spec() -> str:
    lines = ["service: large", "events:"]
    lines += [f"  Event{i}: {{schema: {{type: object, properties: {{n: {{type: integer}}}}}}}}" for i in range(29)]  # fmt: skip
    lines += ["tasks:"]
    lines += [f"  {t}: {{input: integer, output: integer, emits: [Event{i}]}}" for i, t in enumerate(TASKS)]  # fmt: skip
    lines += ["subscriptions:"]
    lines += [f"  {s}: {{events: [Event{i}], filter: {{n: [{{numeric: ['>', {i}]}}]}}}}" for i, s in enumerate(SUBSCRIPTIONS)]  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    front_end, synthesized = synthesize_spec(tmp_path_factory, "split", "large", large_spec())
    assert front_end.build is not None
    service = front_end.build.services[0]
    assert STACK_LIMIT < estimated_resources(service, front_end.build) < STACK_LIMIT + 40
    return synthesized


def test_the_service_is_split_into_nested_stacks_each_under_the_limit(large: Synthesized) -> None:
    parent = large.templates["large"]
    nested_stacks = of_type(parent, "AWS::CloudFormation::Stack")
    assert len(nested_stacks) == len(large.nested) == 2
    for template in [parent, *large.nested]:
        assert len(template["Resources"]) < STACK_LIMIT
    assert sum(len(t["Resources"]) for t in [parent, *large.nested]) > STACK_LIMIT
    placed = [name for t in large.nested for name in functions(t)]
    assert sorted(placed) == sorted(TASKS + SUBSCRIPTIONS)  # each exactly once
    assert list(functions(parent)) == [""]  # the orchestrator stays with the shared resources


def parameter_values(parent: Json) -> dict[str, str | None]:
    """What every nested stack parameter is, in the parent: the logical ID it refers to."""
    values = {}
    for stack in of_type(parent, "AWS::CloudFormation::Stack").values():
        for name, value in stack["Properties"].get("Parameters", {}).items():
            values[name] = ref_id(value)
    return values


def test_functions_in_nested_stacks_keep_least_privilege(large: Synthesized) -> None:
    given = parameter_values(large.templates["large"])
    for template in large.nested:
        for name, function in functions(template).items():
            granted = statements(template, function)
            consumed = {
                ref_id(r)
                for s in granted
                if "sqs:ReceiveMessage" in actions(s)
                for r in resources(s)
            }
            assert consumed == set(event_sources(template, function["LogicalId"])), name
            sent = [
                ref_id(r) for s in granted if "sqs:SendMessage" in actions(s) for r in resources(s)
            ]
            if name in TASKS:
                assert [given[str(p)] for p in sent] == ["Results"]
            else:
                variables = function["Environment"]["Variables"]
                assert sent == [ref_id(variables["EVENTUAL_DEAD_LETTER_QUEUE"])]
            role = properties(template, str(ref_id(function["Role"])))
            managed = [given[str(ref_id(arn))] for arn in role["ManagedPolicyArns"][1:]]
            assert managed == ["PayloadObjects"]


def test_the_orchestrator_finds_every_task_queue_across_nested_stacks(large: Synthesized) -> None:
    orchestrator = functions(large.templates["large"])[""]
    prefix = orchestrator["Environment"]["Variables"]["EVENTUAL_QUEUE_PREFIX"]
    named = {
        props["QueueName"]
        for t in large.nested
        for props in (r.get("Properties", {}) for r in of_type(t, "AWS::SQS::Queue").values())
        if "QueueName" in props
    }
    assert named == {task_queue_name(prefix, task) for task in TASKS}
    # No task queue URL crosses into the parent: nothing in its environment, no outputs.
    assert "Outputs." not in json.dumps(orchestrator["Environment"])


def test_clashing_names_get_ids_of_their_own(large: Synthesized) -> None:
    ids = {logical_id for t in large.nested for logical_id in t["Resources"]}
    assert {"SubscriptionBus", "SubscriptionTaskItem0", "TaskItem0", "ClashQueue"} <= ids
    # `clashQueue`'s function and `clash`'s queue both read ClashQueue: one gets a hash.
    hashed = [i for i in ids if i.startswith("ClashQueue") and len(i) == len("ClashQueue") + 8]
    assert len(hashed) == 1


def test_cfn_lint_passes_on_parent_and_nested_templates(large: Synthesized) -> None:
    from cfnlint.api import ManualArgs, lint_file

    config = ManualArgs(ignore_checks=["W3005"])  # see test_stack.py
    templates = sorted(large.outdir.glob("*.template.json"))
    assert len(templates) == 3
    for template in templates:
        assert [str(m) for m in lint_file(Path(template), config=config)] == []
