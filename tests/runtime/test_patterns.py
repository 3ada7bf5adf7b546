"""EventBridge event patterns: eventual.patterns against the AWS documentation.

Case names cite their source: the EventBridge user guide pages ``eb-event-patterns``
(event patterns), ``eb-create-pattern-operators`` (comparison operators table),
``content-filtering`` (the operator sections), ``null-values``, ``arrays``; the
AWS Compute blog post on wildcard filters; and the README of aws/event-ruler, the
matcher EventBridge runs ("ruler").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventual import patterns
from eventual.patterns import (
    PatternError,
    cloudformation_event_pattern,
    compile_pattern,
    matches,
    matches_envelope,
    rule_pattern,
    scalars,
    syntax,
)

# --------------------------------------------------------------------------- doc events

EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
EC2_PATTERN = {
    "source": ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["terminated"]},
}
AUTOSCALING = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
MACIE = {
    "version": "0",
    "detail-type": "Macie Finding",
    "source": "aws.macie",
    "detail": {
        "schemaVersion": "1.0",
        "type": "Policy:IAMUser/S3BucketEncryptionDisabled",
        "severity": {"score": 1, "description": "Low"},
        "count": 2,
    },
}
MACIE_PATTERN = {
    "source": ["aws.macie"],
    "detail-type": ["Macie Finding"],
    "detail": {"severity": {"score": [1]}, "count": [2]},
}
RULER = {  # the event of the event-ruler README
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}
NUMERIC = {
    "detail": {
        "c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}],
        "x-limit": [{"numeric": ["=", 3.018e2]}],
    }
}
COMPLEX = {
    "time": [{"prefix": "2017-10-02"}],
    "detail": {
        "state": [{"anything-but": "initializing"}],
        "c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}],
        "x-limit": [{"anything-but": [100, 200, 300]}],
        "source-ip": [{"cidr": "10.0.0.0/8"}],
    },
}
OR_NUMERIC = {
    "detail": {
        "$or": [
            {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
            {"d-count": [{"numeric": ["<", 10]}]},
            {"x-limit": [{"numeric": ["=", 3.018e2]}]},
        ]
    }
}
EXISTS_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "detail": {"instance-id": "i-abcd1111", "state": "pending"},
}
NO_STATE = {
    "detail-type": ["EC2 Instance State-change Notification"],
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
    "detail": {"c-count": {"c1": 100}},
}
NO_C_COUNT = {
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["initializing", "running"]},
}
RESOURCES = {
    "resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
    ]
}
EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
CLOUDWATCH = {"source": "aws.cloudwatch", "metricName": "NetworkIn", "namespace": "AWS/EC2"}
# JSON with a repeated key: "the last reference will be the one used" (content-filtering)
LAST_KEY_WINS = json.loads(
    '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}'
)


def d(**fields: Any) -> dict[str, Any]:
    return {"detail": fields}


def case(name: str, pattern: Any, event: Any, expected: bool) -> Any:
    return pytest.param(pattern, event, expected, id=name)


DOC_CASES = [
    # eb-event-patterns
    case("eb-event-patterns: EC2 instance-termination pattern", EC2_PATTERN, EC2, True),
    case("eb-event-patterns: EC2 pattern, instance running", EC2_PATTERN, {**EC2, "detail": {"state": "running"}}, False),
    case("eb-event-patterns: other fields are ignored", {"source": ["aws.ec2"]}, EC2, True),
    case("eb-event-patterns: every pattern field must be in the event", {"source": ["aws.ec2"], "detail": {"zone": ["a"]}}, EC2, False),
    case("eb-event-patterns: same nesting structure", {"state": ["terminated"]}, EC2, False),
    case("eb-event-patterns: exact, case-sensitive strings", {"detail": {"state": ["Terminated"]}}, EC2, False),
    case("eb-event-patterns: match values aws.ec2 or aws.fargate", {"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.fargate"}, True),
    case("eb-event-patterns: match values, other source", {"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.s3"}, False),
    case("eb-event-patterns: field matching responseElements null", {"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful"], "detail": {"responseElements": [None]}}, AUTOSCALING, True),
    case("eb-event-patterns: value matching Macie score 1 count 2", MACIE_PATTERN, MACIE, True),
    case("eb-event-patterns: value matching Macie, count 3", MACIE_PATTERN, {**MACIE, "detail": {**MACIE["detail"], "count": 3}}, False),
    # eb-create-pattern-operators (the comparison table)
    case("operators: Equals, Name is Alice", {"Name": ["Alice"]}, {"Name": "Alice"}, True),
    case("operators: Equals, alice", {"Name": ["Alice"]}, {"Name": "alice"}, False),
    case("operators: And, Location and Day", {"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Monday"}, True),
    case("operators: And, Day differs", {"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Tuesday"}, False),
    case("operators: Or, PaymentType Credit or Debit", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, True),
    case("operators: Or, Cash", {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Cash"}, False),
    case("operators: Or (multiple fields), Day is Monday", {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, {"Location": "Paris", "Day": "Monday"}, True),
    case("operators: Or (multiple fields), neither", {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}, {"Location": "Paris", "Day": "Sunday"}, False),
    case("operators: Empty, LastName is empty", {"LastName": [""]}, {"LastName": ""}, True),
    case("operators: Null, UserID is null", {"UserID": [None]}, {"UserID": None}, True),
    case("operators: Null, UserID missing", {"UserID": [None]}, {}, False),
    case("operators: Not, Weather anything but Raining (Sunny)", {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, True),
    case("operators: Not, Weather Raining", {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Raining"}, False),
    case("operators: Numeric equals, Price is 100", {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, True),
    case("operators: Numeric range, Price 20 in (10, 20]", {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, True),
    case("operators: Numeric range, Price 10 not in (10, 20]", {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 10}, False),
    case("operators: Exists, ProductName exists", {"ProductName": [{"exists": True}]}, {"ProductName": "Widget"}, True),
    case("operators: Does not exist, ProductName missing", {"ProductName": [{"exists": False}]}, {"Price": 1}, True),
    case("operators: Does not exist, ProductName present", {"ProductName": [{"exists": False}]}, {"ProductName": "Widget"}, False),
    case("operators: Begins with, Region us-", {"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, True),
    case("operators: Anything-but begins with, Region us-", {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"}, False),
    case("operators: Anything-but begins with, Region eu-", {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    case("operators: Ends with (ignore case), service tbridge", {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]}, {"service": "EVENTBRIDGE"}, True),
    case("operators: Anything-but wildcard, FilePath with /lib/", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/libc.so"}, False),
    case("operators: Anything-but wildcard, FilePath without /lib/", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/env"}, True),
    # null-values
    case("null-values: eventVersion is an empty string", d(eventVersion=[""]), AUTOSCALING, True),
    case("null-values: responseElements is null", d(responseElements=[None]), AUTOSCALING, True),
    case("null-values: empty-string pattern does not match null", d(responseElements=[""]), AUTOSCALING, False),
    case("null-values: null pattern does not match an empty string", d(eventVersion=[None]), AUTOSCALING, False),
    # arrays
    case("arrays: resources intersect", RESOURCES, {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, True),
    case("arrays: resources do not intersect", RESOURCES, {"resources": ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]}, False),
    case("ruler: array of objects, firstName Anna", {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    case("ruler: multi-level arrays, firstName Anna", {"employees": {"firstName": ["Anna"]}}, {"employees": [EMPLOYEES["employees"][:2], EMPLOYEES["employees"][2:]]}, True),
    case("ruler: fields of different array elements do not combine", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),
    case("ruler: fields of one array element combine", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    # content-filtering: prefix / suffix
    case("content-filtering: prefix time 2017-10-02", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    case("content-filtering: prefix time, other day", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    case("ruler: prefix only works on strings", {"n": [{"prefix": "1"}]}, {"n": 123}, False),
    case("content-filtering: prefix ignore case EventB (eventbridge)", d(service=[{"prefix": {"equals-ignore-case": "EventB"}}]), d(service="eventbridge"), True),
    case("content-filtering: prefix ignore case EventB (EVENTBRIDGE)", d(service=[{"prefix": {"equals-ignore-case": "EventB"}}]), d(service="EVENTBRIDGE"), True),
    case("content-filtering: prefix ignore case EventB (lambda)", d(service=[{"prefix": {"equals-ignore-case": "EventB"}}]), d(service="lambda"), False),
    case("content-filtering: suffix FileName .png", {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.png"}, True),
    case("content-filtering: suffix is case-sensitive (.PNG)", {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.PNG"}, False),
    case("content-filtering: suffix ignore case .png (.PNG)", d(FileName=[{"suffix": {"equals-ignore-case": ".png"}}]), d(FileName="photo.PNG"), True),
    # content-filtering: anything-but
    case("content-filtering: anything-but initializing (running)", d(state=[{"anything-but": "initializing"}]), d(state="running"), True),
    case("content-filtering: anything-but initializing (initializing)", d(state=[{"anything-but": "initializing"}]), d(state="initializing"), False),
    case("content-filtering: anything-but 123 (456)", d(**{"x-limit": [{"anything-but": 123}]}), d(**{"x-limit": 456}), True),
    case("content-filtering: anything-but 123 (123)", d(**{"x-limit": [{"anything-but": 123}]}), d(**{"x-limit": 123}), False),
    case("content-filtering: anything-but 123 (123.0, numbers compare as numbers)", d(**{"x-limit": [{"anything-but": 123}]}), d(**{"x-limit": 123.0}), False),
    case("content-filtering: anything-but list of strings (stopped)", d(state=[{"anything-but": ["stopped", "overloaded"]}]), d(state="stopped"), False),
    case("content-filtering: anything-but list of strings (running)", d(state=[{"anything-but": ["stopped", "overloaded"]}]), d(state="running"), True),
    case("content-filtering: anything-but list of numbers (200)", d(**{"x-limit": [{"anything-but": [100, 200, 300]}]}), d(**{"x-limit": 200}), False),
    case("content-filtering: anything-but list of numbers (301.8)", d(**{"x-limit": [{"anything-but": [100, 200, 300]}]}), d(**{"x-limit": 301.8}), True),
    case("content-filtering: anything-but prefix init (initializing)", d(state=[{"anything-but": {"prefix": "init"}}]), d(state="initializing"), False),
    case("content-filtering: anything-but prefix init (running)", d(state=[{"anything-but": {"prefix": "init"}}]), d(state="running"), True),
    case("content-filtering: anything-but suffix .png (.png)", d(FileName=[{"anything-but": {"suffix": ".png"}}]), d(FileName="a.png"), False),
    case("content-filtering: anything-but suffix .png (.jpg)", d(FileName=[{"anything-but": {"suffix": ".png"}}]), d(FileName="a.jpg"), True),
    case("content-filtering: anything-but ignore case (INITIALIZING)", d(state=[{"anything-but": {"equals-ignore-case": "initializing"}}]), d(state="INITIALIZING"), False),
    case("content-filtering: anything-but ignore case (running)", d(state=[{"anything-but": {"equals-ignore-case": "initializing"}}]), d(state="running"), True),
    case("content-filtering: anything-but needs the field (missing)", d(state=[{"anything-but": "initializing"}]), d(other="x"), False),
    case("ruler: anything-but matches any value not excluded (a number)", d(state=[{"anything-but": "initializing"}]), d(state=7), True),
    case("ruler: anything-but prefix list (error-42)", d(state=[{"anything-but": {"prefix": ["init", "error"]}}]), d(state="error-42"), False),
    case("ruler: anything-but suffix list (i-1234)", d(**{"instance-id": [{"anything-but": {"suffix": ["1234", "6789"]}}]}), d(**{"instance-id": "i-1234"}), False),
    case("ruler: anything-but ignore case list (overloaded)", d(state=[{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]), d(state="overloaded"), False),
    case("ruler: anything-but wildcard list (a.class)", d(state=[{"anything-but": {"wildcard": ["*/bin/*.jar", "*/bin/*.class"]}}]), d(state="/usr/bin/a.class"), False),
    # content-filtering: numeric
    case("content-filtering: numeric c-count, d-count, x-limit", NUMERIC, RULER, True),
    case("content-filtering: numeric > 0 excludes 0", NUMERIC, {"detail": {**RULER["detail"], "c-count": 0}}, False),
    case("content-filtering: numeric <= 5 excludes 6", NUMERIC, {"detail": {**RULER["detail"], "c-count": 6}}, False),
    case("content-filtering: numeric = 3.018e2 is 301.8", d(**{"x-limit": [{"numeric": ["=", 3.018e2]}]}), d(**{"x-limit": 301.8}), True),
    case("content-filtering: numeric works with JSON numbers only (string)", d(**{"c-count": [{"numeric": [">", 0]}]}), d(**{"c-count": "5"}), False),
    case("content-filtering: numeric, a boolean is not a number", d(**{"c-count": [{"numeric": [">", 0]}]}), d(**{"c-count": True}), False),
    case("content-filtering: numbers compare as numbers (100 vs 100.0)", {"Price": [100]}, {"Price": 100.0}, True),
    case("content-filtering: a string is not a number (100 vs '100')", {"Price": [100]}, {"Price": "100"}, False),
    # content-filtering: IP addresses
    case("content-filtering: cidr 10.0.0.0/24 (10.0.0.255)", d(sourceIPAddress=[{"cidr": "10.0.0.0/24"}]), d(sourceIPAddress="10.0.0.255"), True),
    case("content-filtering: cidr 10.0.0.0/24 (10.0.1.1)", d(sourceIPAddress=[{"cidr": "10.0.0.0/24"}]), d(sourceIPAddress="10.0.1.1"), False),
    case("content-filtering: cidr IPv6", d(sourceIPAddress=[{"cidr": "2001:db8::/64"}]), d(sourceIPAddress="2001:db8::abcd"), True),
    case("content-filtering: cidr, not an address", d(sourceIPAddress=[{"cidr": "10.0.0.0/24"}]), d(sourceIPAddress="localhost"), False),
    # content-filtering: exists
    case("content-filtering: exists detail.state", d(state=[{"exists": True}]), EXISTS_EVENT, True),
    case("content-filtering: exists detail.state, missing", d(state=[{"exists": True}]), NO_STATE, False),
    case("content-filtering: exists false, c-count missing", d(**{"c-count": [{"exists": False}]}), NO_C_COUNT, True),
    case("ruler: exists false, c-count is not a leaf node", d(**{"c-count": [{"exists": False}]}), NO_STATE, True),
    case("content-filtering: exists ignores the value (null)", d(state=[{"exists": True}]), d(state=None), True),
    case("ruler: exists false, an empty array has no value", d(tags=[{"exists": False}]), d(tags=[]), True),
    # content-filtering: equals-ignore-case
    case("content-filtering: equals-ignore-case detail-type", {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, EC2, True),
    case("operators: Equals (ignore case), Name alice (Alice)", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alice"}, True),
    case("operators: Equals (ignore case), Name alice (Alicia)", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alicia"}, False),
    case("ruler: equals-ignore-case only works on strings", {"n": [{"equals-ignore-case": "1"}]}, {"n": 1}, False),
    # wildcard
    case("ruler: wildcard Simple*Service", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleNotificationService"}, True),
    case("compute blog: wildcard matches zero characters", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleService"}, True),
    case("ruler: wildcard is case-sensitive", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "simpleNotificationService"}, False),
    case("compute blog: wildcard *.png", {"key": [{"wildcard": "*.png"}]}, {"key": "trades/2023/XYZ.png"}, True),
    case("compute blog: wildcard *Title*", {"key": [{"wildcard": "*Title*"}]}, {"key": "The Title Page"}, True),
    case("ruler: wildcard escaped star (a*b)", {"key": [{"wildcard": "a\\*b"}]}, {"key": "a*b"}, True),
    case("ruler: wildcard escaped star (axb)", {"key": [{"wildcard": "a\\*b"}]}, {"key": "axb"}, False),
    # $or
    case("content-filtering: $or, d-count < 10", OR_NUMERIC, d(**{"c-count": 9, "d-count": 3, "x-limit": 1}), True),
    case("content-filtering: $or, none", OR_NUMERIC, d(**{"c-count": 9, "d-count": 20, "x-limit": 1}), False),
    case("ruler: $or normal Or (namespace)", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}, CLOUDWATCH, True),
    case("ruler: $or normal Or (other source)", {"source": ["aws.ec2"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}, CLOUDWATCH, False),
    case("ruler: $or parallel Or", {"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}, {**CLOUDWATCH, "detail": {"detail-type": "CloudWatch Alarm State Change"}}, True),
    case("ruler: $or Or has an And inside (metricType alone)", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/ES"]}, {"scope": ["Service"]}]}, {**CLOUDWATCH, "metricType": "MetricType"}, False),
    case("ruler: $or nested Or and And (metricId)", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}, {"scope": ["Service"]}]}, {**CLOUDWATCH, "metricType": "MetricType", "metricId": 1234}, True),
    # complex examples
    case("content-filtering: complex example (ruler event)", COMPLEX, RULER, True),
    case("content-filtering: complex example, x-limit 200 excluded", COMPLEX, {**RULER, "detail": {**RULER["detail"], "x-limit": 200}}, False),
    case("content-filtering: repeated key, last one used (eu-west)", LAST_KEY_WINS, d(location="eu-west"), True),
    case("content-filtering: repeated key, last one used (us-east)", LAST_KEY_WINS, d(location="us-east"), False),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "event", "expected"), DOC_CASES)
def test_documented_cases(pattern: Any, event: Any, expected: bool) -> None:
    assert matches(pattern, event) is expected
    assert compile_pattern(pattern)(event) is expected


def test_there_are_enough_documented_cases() -> None:
    assert len(DOC_CASES) >= 60
    assert len({c.id for c in DOC_CASES}) == len(DOC_CASES)


# --------------------------------------------------------------------------- issue 11 conformance

CLOUDWATCH_LEGACY = {
    "source": ["aws.cloudwatch"],
    "$or": {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]},
}
OR_AS_FIELD = {"detail": {"$or": [{"numeric": [">", 0]}, {"prefix": "abc"}]}}
BIG = 9223372036854775808  # 2**63: a float64, but its shortest decimal form is 9223372036854776000

CONFORMANCE_CASES = [
    # ruler README, "The backward compatibility of using "$or" as field name in the rule":
    # "the rule below will keep working as normal rule with treating "$or" as normal field name"
    case("ruler: legacy $or object is a field name", CLOUDWATCH_LEGACY, {"source": "aws.cloudwatch", "$or": {"metricType": "MetricType", "namespace": "AWS/ES"}}, True),
    case("ruler: legacy $or object needs every field", CLOUDWATCH_LEGACY, {"source": "aws.cloudwatch", "$or": {"metricType": "MetricType"}}, False),
    case("ruler: legacy $or object is not a disjunction", CLOUDWATCH_LEGACY, {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/ES"}, False),
    case("ruler: legacy $or object, nested", {"detail": {"$or": {"a": [1], "b": [2]}}}, {"detail": {"$or": {"a": 1, "b": 2}}}, True),
    # ruler README, "The "$or" Primitive": "below rule will be not parsed as "Or" relationship
    # because "numeric" and "prefix" are Ruler reserved keywords" ... "Otherwise, Ruler just
    # treats the "$or" as normal filed name": the field detail.$or with two matchers
    case("ruler: $or with reserved names is a field (numeric)", OR_AS_FIELD, {"detail": {"$or": 5}}, True),
    case("ruler: $or with reserved names is a field (prefix)", OR_AS_FIELD, {"detail": {"$or": "abcd"}}, True),
    case("ruler: $or with reserved names is a field (neither)", OR_AS_FIELD, {"detail": {"$or": -1}}, False),
    case("ruler: $or with reserved names is not a disjunction", OR_AS_FIELD, {"detail": {"numeric": 5}}, False),
    # content-filtering, "IP address matching" (EventBridge compares addresses, not text);
    # ruler's CIDR reads IPv4 with Java's InetAddress, where 01 is the decimal octet 1
    case("ruler: ip exact, leading-zero octet in the event", {"ip": ["10.0.0.1"]}, {"ip": "10.0.0.01"}, True),
    case("ruler: ip exact, leading-zero octet in the pattern", {"ip": ["10.0.0.01"]}, {"ip": "10.0.0.1"}, True),
    case("ruler: ip exact, leading zeros are decimal, not octal", {"ip": ["10.0.0.010"]}, {"ip": "10.0.0.8"}, False),
    case("ruler: cidr, leading-zero octet in the event", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.01"}, True),
    case("ruler: cidr with a leading-zero octet", {"ip": [{"cidr": "010.0.0.0/8"}]}, {"ip": "10.1.2.3"}, True),
    case("ruler: an octet over 255 is not an address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.0.0.256"}, False),
    # ruler ComparableNumber: "make sure we have the comparable numbers and haven't eaten up
    # decimals values"; an exact number it cannot compare is matched by its literal only
    case("ruler: exact 2**63 matches the same integer", {"n": [BIG]}, {"n": BIG}, True),
    case("ruler: exact 2**63 is not its float", {"n": [BIG]}, {"n": float(BIG)}, False),
    case("ruler: numeric does not compare 2**63 in an event", {"n": [{"numeric": [">", 0]}]}, {"n": BIG}, False),
    case("ruler: numeric compares 2**53", {"n": [{"numeric": [">", 0]}]}, {"n": 2**53}, True),
]  # fmt: skip


# ruler ComparableNumber (numeric ranges, numeric anything-but): numbers that are not
# exactly a float64 in their shortest form make EventBridge reject the rule
UNCOMPARABLE = [
    pytest.param({"n": [{"numeric": [">", BIG]}]}, id="numeric > 2**63"),
    pytest.param({"n": [{"numeric": ["=", 2**60]}]}, id="numeric = 2**60"),
    pytest.param({"n": [{"numeric": [">", 0, "<", 10**400]}]}, id="numeric beyond float64"),
    pytest.param({"n": [{"anything-but": [1, BIG]}]}, id="anything-but 2**63"),
]


@pytest.mark.parametrize("pattern", UNCOMPARABLE)
def test_numbers_eventbridge_cannot_compare_are_rejected(pattern: Any) -> None:
    with pytest.raises(PatternError, match="float64") as raised:
        compile_pattern(pattern)
    assert raised.value.at[:3] == ("n", 0, next(iter(pattern["n"][0])))


def test_pattern_errors_are_located() -> None:
    with pytest.raises(PatternError) as raised:
        compile_pattern({"a": {"$or": [{"b": [1]}, {"c": [{"wildcard": "x**"}]}]}})
    assert raised.value.at == ("a", "$or", 1, "c", 0, "wildcard")
    assert "consecutive wildcard" in str(raised.value)


# --------------------------------------------------------------------------- edge cases

EDGE_CASES = [
    case("anything-but matches null", {"a": [{"anything-but": "x"}]}, {"a": None}, True),
    case("anything-but number does not exclude a numeric string", {"a": [{"anything-but": 5}]}, {"a": "5"}, True),
    case("anything-but on an array: any element not excluded", {"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True),
    case("anything-but on an array: all excluded", {"a": [{"anything-but": "x"}]}, {"a": ["x", "x"]}, False),
    case("anything-but on an empty array", {"a": [{"anything-but": "x"}]}, {"a": []}, False),
    case("anything-but on an object", {"a": [{"anything-but": "x"}]}, {"a": {"b": 1}}, False),
    case("exists true on an object", {"a": [{"exists": True}]}, {"a": {"b": 1}}, False),
    case("exists true on a non-empty array", {"a": [{"exists": True}]}, {"a": [1]}, True),
    case("exists false under a missing parent", {"a": {"b": [{"exists": False}]}}, {}, True),
    case("exists false under a scalar parent", {"a": {"b": [{"exists": False}]}}, {"a": 3}, True),
    case("exists false or a value", {"a": ["x", {"exists": False}]}, {}, True),
    case("exists false in an array, in some element", {"d": {"x": [{"exists": False}]}}, {"d": [{"x": 1}, {"y": 2}]}, False),
    case("exists false in an array, after a chosen element", {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}}, {"d": [{"a": 1}, {"a": 2, "b": 3}]}, True),
    case("exists false in an array, before any choice", {"d": {"a": [{"exists": False}], "b": [{"exists": True}]}}, {"d": [{"b": 1}, {"a": 2, "b": 3}]}, False),
    case("booleans are not numbers", {"a": [1]}, {"a": True}, False),
    case("numbers are not booleans", {"a": [True]}, {"a": 1}, False),
    case("true matches true", {"a": [True]}, {"a": True}, True),
    case("string null is not null", {"a": [None]}, {"a": "null"}, False),
    case("numeric needs an exact float64", {"a": [{"numeric": [">", 0]}]}, {"a": 2**53 + 1}, False),
    case("exact big integer matches itself", {"a": [2**53 + 1]}, {"a": 2**53 + 1}, True),
    case("exact big integer is not its float neighbour", {"a": [2**53]}, {"a": 2**53 + 1}, False),
    case("ip exact matches another spelling", {"a": ["2001:db8::1"]}, {"a": "2001:DB8:0:0::1"}, True),
    case("ip exact, IPv4-mapped IPv6", {"a": ["10.0.0.1"]}, {"a": "::ffff:a00:1"}, True),
    case("cidr on a number", {"a": [{"cidr": "10.0.0.0/8"}]}, {"a": 10}, False),
    case("ignore case per character (ß/SS)", {"a": [{"equals-ignore-case": "straße"}]}, {"a": "STRASSE"}, True),
    case("ignore case: Kelvin sign is neither k nor K", {"a": [{"equals-ignore-case": "k"}]}, {"a": "\u212a"}, False),
    case("suffix ignore case, multi-char fold", {"a": [{"suffix": {"equals-ignore-case": "ß"}}]}, {"a": "xSS"}, True),
    case("wildcard * matches newlines", {"a": [{"wildcard": "a*b"}]}, {"a": "a\nb"}, True),
    case("wildcard escaped backslash", {"a": [{"wildcard": "a\\\\*"}]}, {"a": "a\\bc"}, True),
    case("empty prefix matches any string", {"a": [{"prefix": ""}]}, {"a": "x"}, True),
    case("empty prefix does not match a number", {"a": [{"prefix": ""}]}, {"a": 1}, False),
    case("nested array of scalars", {"a": [3]}, {"a": [[1, 2], [3]]}, True),
    case("objects in a scalar list are not leaves", {"a": [1]}, {"a": [{"b": 1}]}, False),
    case("tuples are arrays", {"a": ["y"]}, {"a": ("x", "y")}, True),
    case("a non-object event has no fields", {"a": [{"exists": False}]}, ["a"], True),
    case("$or branches share outer fields", {"a": [1], "$or": [{"b": [2]}, {"c": [3]}]}, {"a": 1, "c": 3}, True),
    case("$or inside an array element", {"d": {"$or": [{"a": [1]}, {"b": [2]}], "c": [3]}}, {"d": [{"a": 1}, {"b": 2, "c": 3}]}, True),
    case("$or inside an array element, split", {"d": {"$or": [{"a": [1]}, {"b": [2]}], "c": [3]}}, {"d": [{"a": 1}, {"c": 3}]}, False),
    case("a path repeated in $or: the later one wins", {"a": [1], "$or": [{"a": [2]}, {"b": [3]}]}, {"a": 2}, True),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "event", "expected"), EDGE_CASES + CONFORMANCE_CASES)
def test_edge_and_conformance_cases(pattern: Any, event: Any, expected: bool) -> None:
    assert matches(pattern, event) is expected
    assert compile_pattern(pattern)(event) is expected


INVALID = [
    pytest.param([], id="not an object"),
    pytest.param({}, id="empty object"),
    pytest.param({"a": {}}, id="empty nested object"),
    pytest.param({"a": []}, id="empty array"),
    pytest.param({"a": "x"}, id="bare value"),
    pytest.param({"a": [["x"]]}, id="list matcher"),
    pytest.param({"a": [float("nan")]}, id="nan"),
    pytest.param({"a": [{"prefix": "x", "suffix": "y"}]}, id="two operators"),
    pytest.param({"a": [{"contains": "x"}]}, id="unknown operator"),
    pytest.param({"a": [{"prefix": 1}]}, id="prefix number"),
    pytest.param({"a": [{"prefix": {"anything-but": "x"}}]}, id="prefix object"),
    pytest.param({"a": [{"exists": "yes"}]}, id="exists string"),
    pytest.param({"a": [{"numeric": [">"]}]}, id="numeric short"),
    pytest.param({"a": [{"numeric": ["!=", 1]}]}, id="numeric bad op"),
    pytest.param({"a": [{"numeric": ["<", 5, ">", 1]}]}, id="numeric upside down"),
    pytest.param({"a": [{"numeric": [">", 5, "<", 5]}]}, id="numeric empty range"),
    pytest.param({"a": [{"numeric": ["=", 1, "<", 5]}]}, id="numeric equals range"),
    pytest.param({"a": [{"numeric": [">", True]}]}, id="numeric bool"),
    pytest.param({"a": [{"numeric": [">", 2**53 + 1]}]}, id="numeric inexact"),
    pytest.param({"a": [{"anything-but": None}]}, id="anything-but null"),
    pytest.param({"a": [{"anything-but": True}]}, id="anything-but bool"),
    pytest.param({"a": [{"anything-but": []}]}, id="anything-but empty"),
    pytest.param({"a": [{"anything-but": ["x", 1]}]}, id="anything-but mixed"),
    pytest.param({"a": [{"anything-but": {"numeric": [">", 1]}}]}, id="anything-but numeric"),
    pytest.param({"a": [{"anything-but": {"prefix": ""}}]}, id="anything-but empty prefix"),
    pytest.param({"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}, id="anything-but two"),
    pytest.param({"a": [{"wildcard": "a**"}]}, id="wildcard consecutive"),
    pytest.param({"a": [{"wildcard": "a\\b"}]}, id="wildcard escape"),
    pytest.param({"a": [{"wildcard": "a\\"}]}, id="wildcard trailing backslash"),
    pytest.param({"a": [{"anything-but": {"wildcard": "**"}}]}, id="anything-but wildcard"),
    pytest.param({"a": [{"cidr": "10.0.0.0"}]}, id="cidr no mask"),
    pytest.param({"a": [{"cidr": "10.0.0.0/33"}]}, id="cidr mask too big"),
    pytest.param({"a": [{"cidr": "10.0.0.1/32"}]}, id="cidr /32"),
    pytest.param({"a": [{"cidr": "host/8"}]}, id="cidr host"),
    pytest.param({"$or": [{"a": [1]}]}, id="$or one branch"),
    pytest.param({"$or": {"a": 1}}, id="$or object of values"),
    pytest.param({"$or": [{"a": [1]}, {"b": [{"wildcard": "**"}]}]}, id="$or with a bad branch"),
    pytest.param({"$or": [{"a": [1]}, "b"]}, id="$or non-object"),
    pytest.param({"$or": [{"prefix": ["a"]}, {"b": [1]}]}, id="$or reserved name"),
    pytest.param({"x": {"$or": [{"a": [i]} for i in range(10)]}, "y": {"$or": [{"a": [i]} for i in range(10)]}, "z": {"$or": [{"a": [i]} for i in range(11)]}}, id="over 1000 combinations"),
]  # fmt: skip


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns_are_rejected(pattern: Any) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)
    with pytest.raises(PatternError):
        matches(pattern, {"a": 1})


def test_at_most_1000_combinations_are_accepted() -> None:
    ten = [{"a": [i]} for i in range(10)]
    compile_pattern({"x": {"$or": ten}, "y": {"$or": ten}, "z": {"$or": ten}})  # 1000


def test_every_operator_the_compiler_accepts_is_implemented() -> None:
    from eventualc.checks.filters import OPERATORS

    assert set(OPERATORS) == set(syntax.OPERATORS)


# --------------------------------------------------------------------------- properties

KEYS = st.sampled_from(["a", "b", "c"])
TEXTS = st.sampled_from(
    ["", "a", "ab", "Ab", "AB", "init", "initializing", "b.png", "x.PNG", "a*b", "a\\b",
     "straße", "STRASSE", "10.0.0.1", "10.0.0.200", "192.168.1.1", "2001:db8::1",
     "2001:DB8:0::1", "::ffff:a00:1", "10.0.0.01", "010.000.000.001"]
)  # fmt: skip
COMPARABLE = st.sampled_from([0, 1, -1, 5, 5.0, 2.5, 100, 1e9, -0.0, 2**53])
NUMBERS = COMPARABLE | st.sampled_from([2**53 + 1, 10**30]) | st.integers(-3, 3)
SCALARS = TEXTS | NUMBERS | st.booleans() | st.none()
EVENT_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
EVENTS = st.dictionaries(KEYS, EVENT_VALUES, max_size=4)

NONEMPTY_TEXTS = TEXTS.filter(bool)
GLOB_TEXT = st.text(alphabet="ab*\\", max_size=8).filter(lambda t: _valid_glob(t))


def _valid_glob(text: str) -> bool:
    try:
        scalars.Glob(text)
    except scalars.ScalarError:
        return False
    return True


WILDCARDS = (
    st.sampled_from(["*", "a*", "*b", "a*b", "*.png", "a\\*b", "*a*", "A*", "a\\\\*"]) | GLOB_TEXT
)
NUMERIC = st.sampled_from(
    [["=", 5], [">", 0], [">=", 5], ["<", 5], ["<=", -1], [">", 0, "<=", 5], [">=", 1, "<", 100],
     [">", -1, "<", 1e9]]
)  # fmt: skip
CIDRS = st.sampled_from(
    ["10.0.0.0/24", "10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0"]
)


def some(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return values | st.lists(values, min_size=1, max_size=3)


MATCHERS = st.one_of(
    SCALARS,
    st.builds(lambda s: {"prefix": s}, TEXTS),
    st.builds(lambda s: {"suffix": s}, TEXTS),
    st.builds(lambda s: {"prefix": {"equals-ignore-case": s}}, TEXTS),
    st.builds(lambda s: {"suffix": {"equals-ignore-case": s}}, TEXTS),
    st.builds(lambda s: {"equals-ignore-case": s}, TEXTS),
    st.builds(lambda s: {"wildcard": s}, WILDCARDS),
    st.builds(lambda s: {"anything-but": s}, some(TEXTS) | some(COMPARABLE)),
    st.builds(lambda s: {"anything-but": {"prefix": s}}, some(NONEMPTY_TEXTS)),
    st.builds(lambda s: {"anything-but": {"suffix": s}}, some(NONEMPTY_TEXTS)),
    st.builds(lambda s: {"anything-but": {"equals-ignore-case": s}}, some(TEXTS)),
    st.builds(lambda s: {"anything-but": {"wildcard": s}}, some(WILDCARDS)),
    st.builds(lambda s: {"numeric": s}, NUMERIC),
    st.builds(lambda s: {"exists": s}, st.booleans()),
    st.builds(lambda s: {"cidr": s}, CIDRS),
)
LEAF_PATTERNS = st.dictionaries(
    KEYS, st.lists(MATCHERS, min_size=1, max_size=3), min_size=1, max_size=3
)


def with_or(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    nested = st.dictionaries(
        KEYS, inner | st.lists(MATCHERS, min_size=1, max_size=3), min_size=1, max_size=3
    )
    branches = st.lists(inner, min_size=2, max_size=3)
    return nested | st.builds(lambda n, b: {**n, "$or": b}, nested, branches)


PATTERNS = st.recursive(LEAF_PATTERNS, with_or, max_leaves=6)
PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEAR = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(PATTERNS, EVENTS)
def test_compiled_agrees_with_reference(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    assert compile_pattern(pattern)(event) == matches(pattern, event)


@PROPERTY
@given(PATTERNS, st.lists(EVENTS, min_size=1, max_size=5))
def test_compiled_pattern_is_reusable(
    pattern: dict[str, Any], events: list[dict[str, Any]]
) -> None:
    match = compile_pattern(pattern)
    assert [match(e) for e in events] == [matches(pattern, e) for e in events]


def self_pattern(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The event's own fields as a pattern: every leaf wrapped in a one-element list."""
    pattern = {}
    for key, value in obj.items():
        sub = self_field(value)
        if sub is not None:
            pattern[key] = sub
    return pattern or None


def self_field(value: Any) -> Any:
    if isinstance(value, dict):
        return self_pattern(value)
    if not isinstance(value, list):
        return [value]
    for item in value:  # a leaf of the array: it matches the field
        if not isinstance(item, dict):
            sub = self_field(item)
            if sub is not None:
                return sub
    for item in value:  # else the fields of one element
        if isinstance(item, dict) and (sub := self_pattern(item)) is not None:
            return sub
    return None


@PROPERTY
@given(EVENTS)
def test_an_event_matches_its_own_fields(event: dict[str, Any]) -> None:
    pattern = self_pattern(event)
    if pattern is None:
        return
    assert compile_pattern(pattern)(event)
    assert matches(pattern, event)


def mutate(pattern: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Some leaves of a pattern replaced by random matchers, some fields added."""
    out: dict[str, Any] = {}
    for key, value in pattern.items():
        if isinstance(value, dict):
            out[key] = mutate(value, data)
        elif data.draw(st.booleans()):
            out[key] = data.draw(st.lists(MATCHERS, min_size=1, max_size=2)) + value
        elif data.draw(st.booleans()):
            out[key] = data.draw(st.lists(MATCHERS, min_size=1, max_size=2))
        else:
            out[key] = value
    if data.draw(st.booleans()):
        out[data.draw(KEYS)] = data.draw(st.lists(MATCHERS, min_size=1, max_size=2))
    return out


@NEAR
@given(EVENTS, st.data())
def test_compiled_agrees_with_reference_near_the_event(
    event: dict[str, Any], data: st.DataObject
) -> None:
    pattern = self_pattern(event)
    if pattern is None:
        return
    pattern = mutate(pattern, data)
    assert compile_pattern(pattern)(event) == matches(pattern, event)


@PROPERTY
@given(PATTERNS, EVENTS)
def test_rule_pattern_matches_like_its_filter(
    pattern: dict[str, Any], detail: dict[str, Any]
) -> None:
    rule = rule_pattern([("orders", "OrderCreated"), ("billing", "InvoicePaid")], pattern)
    expected = matches(pattern, detail)
    assert matches_envelope(rule, envelope("orders", "OrderCreated", detail)) == expected
    assert matches_envelope(rule, envelope("billing", "InvoicePaid", detail)) == expected
    assert not matches_envelope(rule, envelope("billing", "OrderCreated", detail))
    assert matches(rule, envelope("orders", "OrderCreated", detail)) == expected


# --------------------------------------------------------------------------- rule patterns


def envelope(source: str, detail_type: str, detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def test_rule_pattern_one_service() -> None:
    expected = {"source": ["orders"], "detail-type": ["OrderCreated", "OrderShipped"]}
    assert rule_pattern([("orders", "OrderCreated"), ("orders", "OrderShipped")]) == expected
    assert rule_pattern("orders", ["OrderCreated", "OrderShipped"]) == expected
    assert rule_pattern("orders", ["OrderCreated", "OrderShipped", "OrderCreated"]) == expected


def test_rule_pattern_with_filter() -> None:
    detail_filter = {"amount": [{"numeric": [">", 100]}], "customer": {"tier": ["gold"]}}
    rule = rule_pattern("orders", ["OrderCreated"], detail_filter)
    assert rule == {"source": ["orders"], "detail-type": ["OrderCreated"], "detail": detail_filter}
    assert rule["detail"] is not detail_filter  # a copy: the stack and the engine can't alias it
    assert json.loads(json.dumps(rule)) == rule
    big = envelope("orders", "OrderCreated", {"amount": 150, "customer": {"tier": "gold"}})
    small = envelope("orders", "OrderCreated", {"amount": 50, "customer": {"tier": "gold"}})
    assert matches_envelope(rule, big)
    assert not matches_envelope(rule, small)
    assert not matches_envelope(rule, {**big, "detail-type": "OrderShipped"})
    assert not matches_envelope(rule, {**big, "source": "billing"})


def test_rule_pattern_several_services() -> None:
    rule = rule_pattern(
        [("orders", "OrderCreated"), ("billing", "InvoicePaid"), ("orders", "OrderShipped")],
        {"id": [{"exists": True}]},
    )
    assert rule == {
        "$or": [
            {"source": ["orders"], "detail-type": ["OrderCreated", "OrderShipped"]},
            {"source": ["billing"], "detail-type": ["InvoicePaid"]},
        ],
        "detail": {"id": [{"exists": True}]},
    }
    assert matches_envelope(rule, envelope("orders", "OrderShipped", {"id": 1}))
    assert matches_envelope(rule, envelope("billing", "InvoicePaid", {"id": 1}))
    assert not matches_envelope(rule, envelope("billing", "OrderCreated", {"id": 1}))
    assert not matches_envelope(rule, envelope("orders", "InvoicePaid", {"id": 1}))
    assert not matches_envelope(rule, envelope("orders", "OrderCreated", {}))


def test_rule_pattern_errors() -> None:
    with pytest.raises(PatternError):
        rule_pattern([])
    with pytest.raises(PatternError):
        rule_pattern([("orders", "")])
    with pytest.raises(PatternError):
        rule_pattern("orders", ["OrderCreated"], {"amount": [{"numeric": ["!", 1]}]})
    with pytest.raises(PatternError):
        rule_pattern("orders", ["OrderCreated"], {})
    with pytest.raises(TypeError):
        rule_pattern("orders", "OrderCreated")  # type: ignore[call-overload]


def test_matches_envelope_caches_compiled_rules() -> None:
    rule = rule_pattern("orders", ["OrderCreated"], {"state": ["new"]})
    event = envelope("orders", "OrderCreated", {"state": "new"})
    assert matches_envelope(rule, event)
    key = json.dumps(rule, separators=(",", ":"))
    assert key in patterns._RULE_CACHE
    assert matches_envelope(dict(rule), event)


def test_cloudformation_event_pattern() -> None:
    plain = rule_pattern("orders", ["OrderCreated"], {"state": ["new"]})
    assert cloudformation_event_pattern(plain) == plain
    with_null = rule_pattern("orders", ["OrderCreated"], {"coupon": [None]})
    text = cloudformation_event_pattern(with_null)
    assert isinstance(text, str)
    assert json.loads(text) == with_null


# --------------------------------------------------------------------------- hostile input

HOSTILE = [
    pytest.param({"wildcard": "*a*a*a*b"}, "a" * 800, id="wildcard, 800 chars (16 s as a regex)"),
    pytest.param({"wildcard": "*a*a*a*b"}, "a" * 8000, id="wildcard, 8,000 chars"),
    pytest.param({"wildcard": "*a*a*a*a*a*a*a*a*a*b"}, "a" * 8000, id="wildcard, 10 stars"),
    pytest.param({"wildcard": "*a*a*a*b"}, "a" * 7999 + "b", id="wildcard, 8,000 chars, a match"),
    pytest.param({"wildcard": "*" + "a" * 50 + "b*"}, "a" * 8000, id="wildcard, long segment"),
    pytest.param({"anything-but": {"wildcard": ["*a*a*a*b", "*a*a*c"]}}, "a" * 8000, id="anything-but wildcard"),
    pytest.param({"equals-ignore-case": "a" * 7999 + "b"}, "a" * 8000, id="equals-ignore-case"),
    pytest.param({"prefix": {"equals-ignore-case": "a" * 200 + "b"}}, "a" * 8000, id="prefix ignore case"),
    pytest.param({"suffix": {"equals-ignore-case": "b" + "a" * 200}}, "a" * 8000, id="suffix ignore case"),
    pytest.param({"anything-but": {"equals-ignore-case": ["a" * 7999 + "b", "a" * 7998 + "c"]}}, "a" * 8000, id="anything-but ignore case"),
]  # fmt: skip


@pytest.mark.parametrize(("matcher", "value"), HOSTILE)
def test_hostile_values_match_in_linear_time(matcher: dict[str, Any], value: str) -> None:
    import time

    match = compile_pattern({"v": [matcher]})
    start = time.perf_counter()
    for _ in range(10):
        result = match({"v": value})
    per_match = (time.perf_counter() - start) / 10
    # A guard against backtracking (seconds to minutes per match before), not a speed
    # figure: those are bench/patterns.py's. Microseconds on an idle machine.
    assert per_match < 0.5, f"{per_match * 1e3:.2f} ms per match"
    assert result == matches({"v": [matcher]}, {"v": value})  # the reference is linear too


def _glob_regex(glob: scalars.Glob) -> str:
    import re

    return "".join(".*" if t is scalars.STAR else re.escape(t) for t in glob.tokens)


@settings(max_examples=400, deadline=None)
@given(GLOB_TEXT, st.text(alphabet="ab*\\c", max_size=12))
def test_glob_segment_search_agrees_with_the_automaton_and_a_regex(text: str, value: str) -> None:
    import re

    glob = scalars.Glob(text)
    expected = re.fullmatch(_glob_regex(glob), value, re.DOTALL) is not None  # short: no blow-up
    assert glob.match(value) is expected
    assert scalars.glob_reference(glob, value) is expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=6), st.text(max_size=10))
def test_ignore_case_suffix_reversed_agrees_with_search(arg: str, value: str) -> None:
    import re

    forward = re.compile(f"(?:{scalars.ignore_case(arg).pattern})\\Z")
    expected = forward.search(value) is not None
    assert (scalars.ignore_case_reversed(arg).match(value[::-1]) is not None) is expected


# --------------------------------------------------------------------------- complexity

# event-ruler's MachineComplexityEvaluatorTest: patterns on one field and the score it asserts
RULER_COMPLEXITY = [
    (["*"], 1), (["*", "ab*c"], 3), (["abc"], 1), (["*ab"], 2), (["*aa"], 3), (["a*b"], 2),
    (["aa*"], 2), (["a*bc"], 2), (["a*bb"], 3), (["a*bcb"], 3), (["a*bbb"], 4), (["*ab*ad"], 4),
    (["*ab*d"], 3), (["*aba*"], 4), (["a*b*bb"], 5), (["a*b*cb"], 4), (["a*b*cd"], 3),
    (["a*b*b"], 4), (["a*bb*"], 4), (["ab*b*"], 3), (["ab*c", "x*xx"], 3),
    (["*abc", "*abcde"], 4), (["a*bcd", "ab*cd"], 4), (["a*bc", "a*bcde"], 4),
    (["a*aaa", "aa*aa"], 7), (["a*bc", "abc*d"], 4), (["a*aaa", "aaa*a"], 6),
    (["a*aax", "aaa*x"], 5), (["a*bc", "abc*"], 4), (["a*aa", "aaa*"], 5), (["abc*", "abcde*"], 3),
    (["ab*cd", "ab*wx", "ab*yz"], 6), (["*ab*b*b*"], 7), (["*a*a*a*a*a*a*a*a*"], 17),
    (["ab*c", "ab*c"], 2), (["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"], 10),
]  # fmt: skip


@pytest.mark.parametrize(("globs", "score"), RULER_COMPLEXITY, ids=lambda v: str(v))
def test_wildcard_complexity_as_event_ruler_measures_it(globs: list[str], score: int) -> None:
    pattern = {"f": [{"wildcard": g} for g in globs] + [{"prefix": "abc"}, "abcde"]}
    assert patterns.complexity(pattern) == (
        min(score, patterns.MAX_WILDCARD_COMPLEXITY + 1),
        ("f",),
    )
    from eventual.patterns.complexity import field_complexity

    assert field_complexity([scalars.Glob(g).tokens for g in globs], 100) == score


def test_complexity_counts_anything_but_wildcards_and_every_or_branch() -> None:
    names = ["SharedStack", "TrackerStack", "DriverStack", "WorkerStack"]
    stack_ids = [f"*:stack/{name}/*" for name in names]
    assert patterns.complexity({"id": [{"wildcard": w} for w in stack_ids[:3]]}).score == 9
    assert patterns.complexity({"id": [{"wildcard": w} for w in stack_ids]}).score == 11  # capped
    either = {"$or": [{"d": {"id": [{"wildcard": w}]}} for w in stack_ids]}
    assert patterns.complexity(either) == (11, ("d", "id"))
    but = {"id": [{"anything-but": {"wildcard": stack_ids}}]}
    assert patterns.complexity(but).score == 11
    assert patterns.complexity({"id": ["x"], "n": [{"wildcard": "a*"}]}) == (2, ("n",))
    assert patterns.complexity({"id": ["x"]}) == (0, ())


def test_complexity_work_is_bounded() -> None:
    import time

    start = time.perf_counter()
    score = patterns.complexity({"f": [{"wildcard": "*" + "ab*" * 40 + "c"}]}).score
    assert score == patterns.MAX_WILDCARD_COMPLEXITY + 1
    assert time.perf_counter() - start < 2


# --------------------------------------------------------------------------- scalars


@settings(max_examples=300, deadline=None)
@given(st.lists(st.from_regex(r"[0-9]{1,5}", fullmatch=True), min_size=4, max_size=4))
def test_ipv4_parts_are_decimal_with_leading_zeros(parts: list[str]) -> None:
    from ipaddress import IPv4Address

    values = [int(p) for p in parts]
    expected = IPv4Address(bytes(values)) if all(v <= 255 for v in values) else None
    assert scalars.ip(".".join(parts)) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, True), (-5, True), (2**53, True), (2**53 + 1, False), (10**17, True),
     (123456789012345678, False), (2**60, False), (BIG, False), (-BIG, False),
     (0.1, True), (1e308, True), (10**309, False), (float("inf"), False)],
)  # fmt: skip
def test_numbers_eventbridge_compares(number: int | float, expected: bool) -> None:
    # ruler ComparableNumber.generate: the BigDecimal of the double's shortest decimal
    # form must equal the literal, and the double must be finite
    assert scalars.comparable(number) is expected
