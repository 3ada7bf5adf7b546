"""The state bucket: its keys, and reads and conditional writes of its objects.

Keys (CONTRACT §6 and the stack's IAM policies rely on these prefixes):
``executions/<id>/state.json`` (an execution's record, written with ``If-Match`` on
the ETag read, or ``If-None-Match: *`` when new), ``executions/<id>/history/<n>.json``
(history chunks, created once), ``names/<workflow>/<name>`` (the id of a named
execution, created once), ``definitions/<version>.json`` (a service definition by
hash, created once), ``payloads/<sha256>`` (see ``payloads``) and ``waits/...`` (the
markers of executions that wait for events, created at start and deleted at the end:
see ``waits``).

``write`` raises ``Conflict`` when the object changed since it was read (or exists
already): the caller reads again and redoes its change, so two writers never lose
each other's updates. ``read`` answers ``None`` for a key that does not exist.

Retention: the stack's lifecycle rule expires objects tagged ``FINISHED`` some days
(90 by default) after they were last written. Writes of a finished execution's
objects pass ``tags=FINISHED`` (the tag travels with the ``PutObject``, no extra
request); ``tag_finished`` tags objects written before it finished.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from eventual.errors import ExecutionNotFound

# Only these mean "someone else wrote first". Anything else (a throttle that outlasted
# botocore's retries, a parameter an old botocore does not know, access denied) fails
# the message loudly; treating it as a conflict would retry it forever.
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# The tag of a finished execution's objects: the stack's lifecycle rule filters on it.
FINISHED: Mapping[str, str] = {"eventual-finished": "true"}


class Conflict(Exception):
    """The object changed since it was read, or exists already."""


@dataclass(frozen=True, slots=True)
class Versioned:
    text: str
    etag: str


def state_key(execution: str) -> str:
    return f"executions/{execution}/state.json"


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

    def write(
        self, key: str, text: str, etag: str | None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Writes ``key`` if it is still at ``etag`` (``None``: if it does not exist);
        the new ETag. Raises ``Conflict`` otherwise."""
        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        try:
            answer = self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=text.encode("utf-8"),
                ContentType="application/json", **condition, **_tagging(tags),
            )  # fmt: skip
        except Exception as exc:
            if error_code(exc) in _CONFLICT_CODES:
                raise Conflict(key) from exc
            raise
        return str(answer["ETag"])

    def put(self, key: str, text: str, tags: Mapping[str, str] | None = None) -> None:
        """Writes ``key`` once, for objects whose content never differs (history
        chunks): an object there already is that content (``If-None-Match: *``, as
        the stack's policies require of every write but a state update)."""
        with suppress(Conflict):
            self.write(key, text, None, tags)

    def tag_finished(self, keys: Iterable[str]) -> None:
        """Tags ``keys`` (objects written before their execution finished) ``FINISHED``."""
        tag_set = [{"Key": k, "Value": v} for k, v in FINISHED.items()]
        for key in keys:
            self.s3.put_object_tagging(Bucket=self.bucket, Key=key, Tagging={"TagSet": tag_set})

    def create(self, key: str, text: str) -> bool:
        """Writes ``key`` unless it exists; whether it wrote."""
        try:
            self.write(key, text, None)
        except Conflict:
            return False
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
