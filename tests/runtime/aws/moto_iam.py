"""A moto server that authorizes the requests the deployed functions make as AWS does.

Run as ``python tests/runtime/aws/moto_iam.py -H HOST -p PORT`` (``moto.server``'s arguments).
With IAM enforcement on (``POST /moto-api/reset-auth`` with ``0``: from then on every
request needs a known access key whose user's policies allow it), moto 5 evaluates an
identity policy's ``Action`` and ``Resource`` elements, but departs from AWS in seven
ways that matter to the stack's policies. This server corrects them before starting
``moto.server`` and changes nothing else:

1. EventBridge and EventBridge Scheduler are authorized against the resource ``*``,
   which no statement naming a bus or a schedule group matches: every scoped
   ``events:PutEvents`` or ``scheduler:CreateSchedule`` would be denied. Here
   ``PutEvents`` is authorized against the bus its entries name (``*`` when they name
   several, which no scoped statement then allows) and schedule requests against the
   schedule's ARN (``schedule/<group>/<name>``), as AWS does.
2. ``sqs:SendMessageBatch`` (``DeleteMessageBatch``, ``ChangeMessageVisibilityBatch``)
   are checked under their own names; AWS checks them as ``sqs:SendMessage`` (etc.),
   the only names a policy can grant.
3. ``sqs:GetQueueUrl`` is authorized against ``*`` (moto looks for a ``QueueUrl``
   that request does not have): a policy granting it on the queue never allows it.
   Here it is authorized against the ARN of the queue named.
4. The signature of a request whose query has a ``/`` (an S3 listing by ``prefix``)
   is recomputed over the query as sent, not as SigV4 canonicalizes it (``%2F``), so
   every such request fails with ``SignatureDoesNotMatch``.
5. The signature of a request without a body (a ``GET`` of a REST-JSON service, e.g.
   Scheduler's ``ListSchedules``) is recomputed over its query parameters as the
   payload, so every such request fails with ``SignatureDoesNotMatch``.
6. Newer moto (5.2.6) checks an S3 ``ListObjectsV2`` as ``s3:ListObjectsV2``; AWS checks
   it as ``s3:ListBucket``, the only name a policy can grant.
7. DynamoDB is authorized against the resource ``*``, as EventBridge is: every
   ``dynamodb:GetItem`` or ``PutItem`` granted on a table would be denied. Here a
   request is authorized against the ARN of the table its ``TableName`` names, as
   AWS does.

Conditions: moto passes no request context to identity policies, so every
``Condition`` holds; worse, an ``Allow`` statement whose condition fails (which moto
checks only for ``StringEquals`` on keys it is given) denies the request outright,
where in AWS it only does not apply. Here an ``Allow`` that does not apply denies
nothing, and S3's conditional-write keys are evaluated for the ``Null`` operator:
``s3:if-match`` and ``s3:if-none-match`` are present when the request has the
``If-Match`` / ``If-None-Match`` header. Every other condition still always holds
(``events:source``, ``events:detail-type``, ``s3:prefix``, ``iam:PassedToService``),
and resource policies (queue policies) and ``iam:PassRole`` are not evaluated.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

# Operations AWS authorizes under another action's name (the only names a policy can grant).
_AS_AWS_NAMES = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "s3:ListObjectsV2": "s3:ListBucket",
}


# The conditional-write keys of the S3 request being authorized (see ``_patch_conditions``).
_REQUEST = threading.local()
_HEADER_KEYS = {"if-match": "s3:if-match", "if-none-match": "s3:if-none-match"}


def _bus_of_entries(self: Any) -> str:
    """The ARN of the bus ``PutEvents``' entries go to (``*`` if several or another
    action)."""
    if self._get_action() != "PutEvents":
        return "*"
    entries = json.loads(self.body or "{}").get("Entries", [])
    buses = {entry.get("EventBusName") or "default" for entry in entries}
    if len(buses) != 1:
        return "*"
    bus = buses.pop()
    if bus.startswith("arn:"):
        return str(bus)
    return f"arn:aws:events:{self.region}:{self.current_account}:event-bus/{bus}"


def _schedule(self: Any) -> str:
    """The ARN of the schedule a Scheduler request names (``*`` for other requests)."""
    path = urlsplit(self.uri).path
    if "/schedules/" not in path:
        return "*"
    name = unquote(path.split("/schedules/", 1)[1])
    group = dict(parse_qsl(urlsplit(self.uri).query)).get("groupName")
    if group is None and self.body:
        group = json.loads(self.body).get("GroupName")
    return f"arn:aws:scheduler:{self.region}:{self.current_account}:schedule/{group or 'default'}/{name}"


def _table(self: Any) -> str:
    """The ARN of the table a DynamoDB request names (``*`` for a request naming none)."""
    body = self.body if isinstance(self.body, dict) else json.loads(self.body or "{}")
    name = body.get("TableName")
    if not name:
        return "*"
    return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{name}"


def _canonical_query(path: str) -> str:
    """``path`` with its query encoded as SigV4 canonicalizes it."""
    base, _, query = path.partition("?")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    return f"{base}?{urlencode(pairs, quote_via=quote, safe='-_.~')}"


def patch() -> None:
    """Corrects moto's IAM evaluation (the module docstring lists how)."""
    _patch_resources()
    _patch_requests()
    _patch_conditions()


def _patch_resources() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.scheduler.responses import EventBridgeSchedulerResponse
    from moto.sqs.responses import SQSResponse

    by_url = SQSResponse._determine_resource

    def queue(self: Any) -> str:
        """The ARN of the queue an SQS request names, by URL or (``GetQueueUrl``) name."""
        if self._get_action() == "GetQueueUrl":
            name = self._get_param("QueueName")
            owner = self._get_param("QueueOwnerAWSAccountId") or self.current_account
            return f"arn:aws:sqs:{self.region}:{owner}:{name}"
        return by_url(self)

    SQSResponse._determine_resource = queue  # type: ignore[method-assign]
    EventsHandler._determine_resource = _bus_of_entries  # type: ignore[attr-defined]
    EventBridgeSchedulerResponse._determine_resource = _schedule  # type: ignore[attr-defined]
    DynamoHandler._determine_resource = _table  # type: ignore[attr-defined]


def _patch_requests() -> None:
    from moto.iam.access_control import IAMRequestBase

    initialize, sign = IAMRequestBase.__init__, IAMRequestBase._create_aws_request

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        initialize(self, *args, **kwargs)
        self._action = _AS_AWS_NAMES.get(self._action, self._action)
        self._path = _canonical_query(self._path)

    def create_aws_request(self: Any) -> Any:
        if self._method in ("GET", "HEAD", "DELETE") and not self._body:
            data, self._data = self._data, {}  # the payload signed: empty
            try:
                return sign(self)
            finally:
                self._data = data
        return sign(self)

    IAMRequestBase.__init__ = __init__  # type: ignore[method-assign]
    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]


def _patch_conditions() -> None:
    from moto.iam.access_control import (
        IAMPolicyStatement,
        IAMRequestBase,
        PermissionResult,
        S3IAMRequest,
    )

    check, conditions = IAMRequestBase.check_action_permitted, IAMPolicyStatement._check_conditions
    applies = IAMPolicyStatement.is_action_permitted

    def check_action_permitted(self: Any, resource: str) -> None:
        headers = {k.lower(): v for k, v in self._headers.items()}
        s3 = isinstance(self, S3IAMRequest)
        _REQUEST.keys = {key for header, key in _HEADER_KEYS.items() if s3 and header in headers}
        try:
            check(self, resource)
        finally:
            _REQUEST.keys = set()

    def check_conditions(self: Any, incoming: Any) -> bool:
        null = (self._statement.get("Condition") or {}).get("Null", {})
        present = getattr(_REQUEST, "keys", set())
        for key, expected in null.items():
            if key in _HEADER_KEYS.values() and (key in present) != (str(expected) == "false"):
                return False
        return bool(conditions(self, incoming))

    def is_action_permitted(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = applies(self, *args, **kwargs)
        if result == PermissionResult.DENIED and self._statement.get("Effect") == "Allow":
            return PermissionResult.NEUTRAL  # an Allow that does not apply denies nothing
        return result

    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
    IAMPolicyStatement._check_conditions = check_conditions  # type: ignore[method-assign]
    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]


if __name__ == "__main__":
    patch()
    from moto.server import main

    main(sys.argv[1:])
