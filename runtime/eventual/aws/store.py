"""The state bucket: its keys, and reads and create-once writes of its objects.

Keys (CONTRACT §6 and the stack's IAM policies rely on these prefixes):
``executions/<id>/history/<n>.json`` (history chunks),
``executions/<id>/state/<sha256>.json`` (an execution record too big for the state
table's item, ``eventual.aws.table``, which holds the records), ``names/<workflow>/<name>``
(the id of a named execution), ``definitions/<version>.json`` (a service definition
by hash), ``payloads/<sha256>`` (see ``payloads``) and ``waits/...`` (the markers of
executions that wait for events, created at start and deleted at the end: see
``waits``). Every object is created once (``If-None-Match: *``, as the stack's
policies require) and never written over.

``create`` answers whether it created the object (``False``: it exists already);
``read`` answers ``None`` for a key that does not exist.

Retention: the stack's lifecycle rule expires objects tagged ``FINISHED`` some days
(90 by default) after they were last written. Writes of a finished execution's
objects pass ``tags=FINISHED`` (the tag travels with the ``PutObject``, no extra
request); ``tag_finished`` tags objects written before it finished.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from eventual.errors import ExecutionNotFound

# Only these mean "someone else wrote first" (the object exists). Anything else (a
# throttle that outlasted botocore's retries, a parameter an old botocore does not
# know, access denied) fails the message loudly; treating it as "exists" would lose it.
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# The tag of a finished execution's objects: the stack's lifecycle rule filters on it.
FINISHED: Mapping[str, str] = {"eventual-finished": "true"}


class Conflict(Exception):
    """What was to be written changed since it was read, or exists already."""


@dataclass(frozen=True, slots=True)
class Versioned:
    text: str
    etag: str


def history_key(execution: str, index: int) -> str:
    return f"executions/{execution}/history/{index:08d}.json"


def name_key(workflow: str, name: str) -> str:
    return f"names/{workflow}/{quote(name, safe='')}"


def definition_key(version: str) -> str:
    return f"definitions/{version}.json"


class StateStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def read(self, key: str) -> Versioned | None:
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if error_code(exc) in _MISSING_CODES:
                return None
            raise
        return Versioned(answer["Body"].read().decode("utf-8"), answer["ETag"])

    def tag_finished(self, keys: Iterable[str]) -> None:
        """Tags ``keys`` (objects written before their execution finished) ``FINISHED``."""
        tag_set = [{"Key": k, "Value": v} for k, v in FINISHED.items()]
        for key in keys:
            self.s3.put_object_tagging(Bucket=self.bucket, Key=key, Tagging={"TagSet": tag_set})

    def create(self, key: str, text: str, tags: Mapping[str, str] | None = None) -> bool:
        """Writes ``key`` unless it exists (``If-None-Match: *``); whether it wrote. For
        objects whose content never differs (history chunks, records named by their
        content) an object there already is that content."""
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=text.encode("utf-8"),
                ContentType="application/json", IfNoneMatch="*", **_tagging(tags),
            )  # fmt: skip
        except Exception as exc:
            if error_code(exc) in _CONFLICT_CODES:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Deletes ``key`` (nothing when it does not exist)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def named(self, workflow: str, name: str) -> str:
        """The id of the execution of ``workflow`` given ``name``: ``ExecutionNotFound``
        when that name was never given (a name record does not say whether it runs)."""
        found = self.read(name_key(workflow, name))
        if found is None:
            raise ExecutionNotFound(f"no running execution {name!r} of workflow {workflow!r}")
        return found.text

    def reserve_name(self, workflow: str, name: str, candidate: str) -> str:
        """The id of execution ``name``: ``candidate`` if the name was free, else the
        id recorded first (a name is given out once)."""
        key = name_key(workflow, name)
        if self.create(key, candidate):
            return candidate
        found = self.read(key)
        assert found is not None, "names are never deleted"
        return found.text

    def newest(self, prefix: str) -> str | None:
        """The key under ``prefix`` written last, if any."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        found = [o for page in pages for o in page.get("Contents", [])]
        return max(found, key=lambda o: o["LastModified"])["Key"] if found else None

    def keys(self, prefix: str, delimiter: str | None = None) -> Iterator[str]:
        """Keys under ``prefix`` (with ``delimiter``: the common prefixes one level down)."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **({"Delimiter": delimiter} if delimiter else {})
        )
        for page in pages:
            if delimiter:
                yield from (p["Prefix"] for p in page.get("CommonPrefixes", []))
            else:
                yield from (o["Key"] for o in page.get("Contents", []))


def error_code(exc: Exception) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (else its HTTP status, or None)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error", {})
    return str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


def _tagging(tags: Mapping[str, str] | None) -> dict[str, str]:
    return {"Tagging": urlencode(dict(tags))} if tags else {}
