"""The AWS quotas a generated stack can break, and the measures that keep it inside them.

``QUOTAS`` is the table (each figure with the AWS page that states it); the README
shows it. Three kinds of use:

- the generator splits what it can: ``split_patterns`` turns the events of one rule
  into as few patterns as fit EventBridge's pattern size (one rule each);
- ``eventualc check`` reports what only the spec can fix (``checks/quotas.py``, and
  retry schedules against SQS retention in ``checks/bounds.py``);
- ``eventualc synth`` measures the synthesized templates (``template_violations``):
  sizes that depend on names are measured with names resolved as long as AWS lets
  them be (region, partition, account, generated resource names), so a template that
  passes here fits in any account and region.

Pure functions of plain data: no CDK, no files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventual.patterns import cloudformation_event_pattern, rule_pattern


@dataclass(frozen=True)
class Quota:
    name: str  # as the diagnostics say it
    limit: int
    unit: str
    adjustable: bool  # whether Service Quotas can raise it
    source: str  # the AWS page stating it
    kept: str  # how eventualc stays within it


_DOCS = "https://docs.aws.amazon.com"
_LAMBDA = f"Lambda quotas, {_DOCS}/lambda/latest/dg/gettingstarted-limits.html"
_IAM = f"IAM and AWS STS quotas, {_DOCS}/IAM/latest/UserGuide/reference_iam-quotas.html"
_EVENTS = f"Amazon EventBridge quotas, {_DOCS}/eventbridge/latest/userguide/eb-quota.html"
_CFN = (
    f"CloudFormation quotas, {_DOCS}/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
)
_SQS = f"Amazon SQS quotas, {_DOCS}/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-limits.html"

_SYNTH = "measured by `eventualc synth`"
QUOTAS: dict[str, Quota] = {
    q.name: q
    for q in (
        Quota("Lambda environment variables", 4096, "bytes per function", False, _LAMBDA,
              "no maps in the environment (task queues are found by name); " + _SYNTH),
        Quota("IAM role inline policies", 10_240, "characters per role", False, _IAM,
              "one statement for all task queues; E607 for too many events; " + _SYNTH),
        Quota("IAM managed policy", 6_144, "characters per policy", False, _IAM, _SYNTH),
        Quota("IAM managed policies per role", 10, "per role", True, _IAM, _SYNTH),
        Quota("EventBridge event pattern", 2_048, "characters per pattern", False, _EVENTS,
              "a subscription's events are split over several rules; E606 if one event's "
              "pattern is too large; " + _SYNTH),
        # 100 in af-south-1 and eu-south-1.
        Quota("EventBridge rules per event bus", 300, "per bus", True, _EVENTS,
              "W608 (100 in af-south-1 and eu-south-1); " + _SYNTH),
        Quota("EventBridge targets per rule", 5, "per rule", False, _EVENTS,
              "one target per rule; " + _SYNTH),
        Quota("CloudFormation resources", 500, "per template", False, _CFN,
              "functions move to nested stacks; " + _SYNTH),
        Quota("CloudFormation template size", 1_048_576, "bytes, from S3", False, _CFN, _SYNTH),
        Quota("CloudFormation outputs", 200, "per template", False, _CFN,
              "no output per function; " + _SYNTH),
        Quota("CloudFormation parameters", 200, "per template", False, _CFN, _SYNTH),
        Quota("SQS message retention", 1_209_600, "seconds, 14 days", False, _SQS,
              "every queue keeps 14 days; E605 for subscription retries that last longer"),
        Quota("SQS visibility timeout", 43_200, "seconds, 12 hours", False, _SQS,
              "W609 for a subscription retry delay longer than that"),
        Quota("SQS message size", 262_144, "bytes, 256 KiB", False, _SQS,
              "the runtime stores larger payloads in S3 (eventual.aws.payloads)"),
        Quota("SQS queue name", 80, "characters", False, _SQS,
              "task queue names are cut with a hash; " + _SYNTH),
        Quota("SQS queue policy", 8_192, "bytes per policy", False, _SQS, _SYNTH),
        Quota("SQS queue policy statements", 20, "per policy", False, _SQS,
              "one statement for all the rules sending to a queue; " + _SYNTH),
    )
}  # fmt: skip


def limit(name: str) -> int:
    return QUOTAS[name].limit


def describe(name: str) -> str:
    """``"EventBridge event pattern (2,048 characters per pattern)"``, for messages."""
    quota = QUOTAS[name]
    raisable = ", adjustable in Service Quotas" if quota.adjustable else ""
    return f"the AWS quota '{quota.name}' ({quota.limit:,} {quota.unit}{raisable})"


def markdown_table() -> str:
    """The table as README markdown."""
    lines = ["| quota | limit | adjustable | kept by | source |", "|---|---|---|---|---|"]
    for q in QUOTAS.values():
        title, _, url = q.source.partition(", ")
        adjustable = "yes" if q.adjustable else "no"
        cells = [q.name, f"{q.limit:,} {q.unit}", adjustable, q.kept, f"[{title}]({url})"]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- patterns


def pattern_size(pattern: Mapping[str, Any] | str) -> int:
    """Characters of a pattern as CloudFormation hands it to EventBridge (JSON text)."""
    return len(pattern if isinstance(pattern, str) else json.dumps(pattern))


def split_patterns(
    pairs: Sequence[tuple[str, str]], detail_filter: Mapping[str, Any] | None = None
) -> list[dict[str, Any] | str]:
    """CloudFormation rule patterns that together match what ``rule_pattern(pairs,
    detail_filter)`` matches, each within EventBridge's pattern size: one pattern when
    it fits, else the events dealt into consecutive groups (each event in exactly one,
    so no event is delivered twice). A group of one event that does not fit stays as
    it is: ``checks/quotas.py`` reports it."""
    unique = list(dict.fromkeys(pairs))
    size = limit("EventBridge event pattern")
    groups: list[list[tuple[str, str]]] = []
    for pair in unique:
        if groups and pattern_size(_pattern([*groups[-1], pair], detail_filter)) <= size:
            groups[-1].append(pair)
        else:
            groups.append([pair])
    return [_pattern(group, detail_filter) for group in groups]


def _pattern(
    pairs: Sequence[tuple[str, str]], detail_filter: Mapping[str, Any] | None
) -> dict[str, Any] | str:
    return cloudformation_event_pattern(rule_pattern(pairs, detail_filter))


# --------------------------------------------------------------------------- templates

# The longest values AWS gives these (so measured sizes are upper bounds).
REGION = "ap-southeast-5"
PARTITION = "aws-us-gov"
ACCOUNT = "123456789012"
URL_SUFFIX = "amazonaws.com.cn"
_PSEUDO = {
    "AWS::Region": REGION, "AWS::Partition": PARTITION, "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": URL_SUFFIX, "AWS::NoValue": "",
}  # fmt: skip
_UNKNOWN = "x" * 140  # a value from a parameter or an attribute not modelled: a queue URL's worst


@dataclass(frozen=True)
class Template:
    stack: str  # the (longest possible) stack name its generated names start with
    body: dict[str, Any]
    text_size: int  # bytes of the template file


class Resolver:
    """Intrinsic functions of one template, resolved to the longest strings they can be."""

    def __init__(self, template: Template) -> None:
        self.stack = template.stack
        self.resources: dict[str, Any] = template.body.get("Resources", {})

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by a string."""
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()  # fmt: skip
                if key == "Ref":
                    return self.ref(str(arg))
                if key == "Fn::GetAtt":
                    return self.attribute(*(arg.split(".", 1) if isinstance(arg, str) else arg))
                if key == "Fn::Join":
                    return str(arg[0]).join(str(self.value(p)) for p in arg[1])
                if key.startswith("Fn::"):
                    return _UNKNOWN
            return {k: self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        return node

    def ref(self, logical_id: str) -> str:
        if logical_id in _PSEUDO:
            return _PSEUDO[logical_id]
        resource = self.resources.get(logical_id)
        if resource is None:
            return _UNKNOWN
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{self.queue_name(logical_id)}"
        if kind == "AWS::Events::EventBus":
            return str(self.value(props.get("Name", self.generated(logical_id, 256))))
        if kind == "AWS::S3::Bucket":
            return self.generated(logical_id, 63).lower()
        return self.generated(logical_id, 140)

    def attribute(self, logical_id: str, name: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None or name != "Arn":
            return _UNKNOWN
        kind = resource["Type"]
        prefix = f"arn:{PARTITION}"
        if kind == "AWS::SQS::Queue":
            return f"{prefix}:sqs:{REGION}:{ACCOUNT}:{self.queue_name(logical_id)}"
        if kind == "AWS::S3::Bucket":
            return f"{prefix}:s3:::{self.ref(logical_id)}"
        if kind == "AWS::Events::EventBus":
            return f"{prefix}:events:{REGION}:{ACCOUNT}:event-bus/{self.ref(logical_id)}"
        if kind == "AWS::Events::Rule":
            bus = self.value(resource["Properties"].get("EventBusName", "default"))
            return f"{prefix}:events:{REGION}:{ACCOUNT}:rule/{bus}/{self.generated(logical_id, 64)}"
        if kind == "AWS::IAM::Role":
            return f"{prefix}:iam::{ACCOUNT}:role/{self.generated(logical_id, 64)}"
        return f"{prefix}:x:{REGION}:{ACCOUNT}:{self.generated(logical_id, 140)}"

    def queue_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {})
        if "QueueName" in props:
            return str(self.value(props["QueueName"]))
        suffix = ".fifo" if props.get("FifoQueue") else ""
        return self.generated(logical_id, 80 - len(suffix)) + suffix

    def generated(self, logical_id: str, most: int) -> str:
        """A name CloudFormation makes: ``<stack>-<logical id>-<12 random>``, cut to fit."""
        return f"{self.stack}-{logical_id}-ABCDEFGHIJKL"[:most]


def template_violations(templates: Sequence[Template]) -> list[str]:
    """What in ``templates`` (a stack with its nested stacks) breaks a quota, each as
    ``"<stack>: <resource>: <what> is <n>, over <quota>"``."""
    found: list[str] = []
    for template in templates:
        found += [f"{template.stack}: {v}" for v in _violations(template)]
    # The rules of nested stacks are on the stack's bus too.
    rules = sum(
        r["Type"] == "AWS::Events::Rule" for t in templates for r in t.body["Resources"].values()
    )
    stack = templates[0].stack if templates else ""
    found += [f"{stack}: {v}" for v in _totals({"its bus": rules}, "rules", _RULES)]
    return found


def _violations(template: Template) -> Iterator[str]:
    body, resolve = template.body, Resolver(template)
    yield from _template_counts(template)
    inline: dict[str, int] = {}
    for logical_id, resource in body.get("Resources", {}).items():
        kind, props = resource["Type"], resource.get("Properties", {})
        for what, size, quota in _measures(kind, props, resolve):
            if size > limit(quota):
                yield f"{logical_id}: {what} is {size:,}, over {describe(quota)}"
        if kind == "AWS::IAM::Policy":
            for role in props.get("Roles", []):
                key = json.dumps(role)
                inline[key] = inline.get(key, 0) + _policy_size(props["PolicyDocument"], resolve)
    yield from _totals(inline, "inline policies", "IAM role inline policies")


_RULES = "EventBridge rules per event bus"


def _template_counts(template: Template) -> Iterator[str]:
    body = template.body
    counts = {
        "CloudFormation resources": len(body.get("Resources", {})),
        "CloudFormation outputs": len(body.get("Outputs", {})),
        "CloudFormation parameters": len(body.get("Parameters", {})),
        "CloudFormation template size": template.text_size,
    }
    for name, count in counts.items():
        if count > limit(name):
            yield f"the template has {count:,}, over {describe(name)}"


def _totals(sizes: Mapping[str, int], what: str, quota: str) -> Iterator[str]:
    for owner, size in sizes.items():
        if size > limit(quota):
            yield f"{owner}: {what} total {size:,}, over {describe(quota)}"


def _measures(
    kind: str, props: Mapping[str, Any], resolve: Resolver
) -> Iterator[tuple[str, int, str]]:
    """(what, size, quota) of one resource."""
    if kind == "AWS::Lambda::Function":
        variables = resolve.value(props.get("Environment", {}).get("Variables", {}))
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in variables.items())
        yield "its environment", size, "Lambda environment variables"
    elif kind == "AWS::Events::Rule":
        if "EventPattern" in props:
            yield "its pattern", pattern_size(props["EventPattern"]), "EventBridge event pattern"
        yield "its number of targets", len(props.get("Targets", [])), "EventBridge targets per rule"
    elif kind == "AWS::IAM::ManagedPolicy":
        yield "its document", _policy_size(props["PolicyDocument"], resolve), "IAM managed policy"
    elif kind == "AWS::IAM::Role":
        count = len(props.get("ManagedPolicyArns", []))
        yield "its number of managed policies", count, "IAM managed policies per role"
    elif kind == "AWS::SQS::QueuePolicy":
        document = resolve.value(props["PolicyDocument"])
        yield "its document", len(json.dumps(document).encode()), "SQS queue policy"
        yield "its statements", len(document.get("Statement", [])), "SQS queue policy statements"
    elif kind == "AWS::SQS::Queue" and "QueueName" in props:
        yield "its name", len(str(resolve.value(props["QueueName"]))), "SQS queue name"


def _policy_size(document: Any, resolve: Resolver) -> int:
    """IAM's measure of a policy: its characters, white space not counted."""
    return len(re.sub(r"\s", "", json.dumps(resolve.value(document), separators=(",", ":"))))
