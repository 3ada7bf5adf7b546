"""Large payloads travel through S3 by reference.

SQS messages and EventBridge events hold at most 256 KB. ``Payloads.pack`` turns a
text over ``LIMIT`` bytes into a small reference, ``{"$eventual:payload": "payloads/<sha256>"}``,
after storing the text under that key of the state bucket; ``unpack`` (a text) and
``resolve`` (a parsed value) give the original back and leave everything else as is.

Keys are content hashes, so they are capabilities: only who saw a reference (or has
the content) can name an object. Objects are created once (``If-None-Match: *``;
the same text again finds its object there) and never overwritten. A reference is
followed only to a key of the form ``payloads/<64 hex digits>`` and only to content
whose SHA-256 is that hash: anything else (a key elsewhere in the bucket named in an
event's detail, an object planted under another's hash) raises ``PayloadRefused``.

The S3 client is asked for only when a payload is that large: most invocations never
make one (an S3 client is the dearest to make, its endpoint rules the largest).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from eventual.aws.store import error_code
from eventual.state import loads

LIMIT = 200_000  # bytes: below SQS's and EventBridge's 256 KB, with room for envelopes
REFERENCE = "$eventual:payload"
_KEY = re.compile(r"payloads/([0-9a-f]{64})")


class PayloadRefused(ValueError):
    """A payload reference to something other than a payload whose content matches."""


class Payloads:
    def __init__(self, s3: Callable[[], Any], bucket: str) -> None:
        self._s3 = s3  # gives the client, made on first use
        self.bucket = bucket

    def pack(self, text: str) -> str:
        """``text``, or a reference to it once stored when it is over ``LIMIT`` bytes."""
        data = text.encode("utf-8")
        if len(data) <= LIMIT:
            return text
        key = f"payloads/{hashlib.sha256(data).hexdigest()}"
        try:
            self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*")
        except Exception as exc:
            if error_code(exc) != "PreconditionFailed":  # else stored already: the same bytes
                raise
        return json.dumps({REFERENCE: key})

    def unpack(self, text: str) -> str:
        """The text ``pack`` was given."""
        if not text.startswith('{"' + REFERENCE):
            return text
        return self._read(json.loads(text)[REFERENCE])

    def resolve(self, value: Any) -> Any:
        """A parsed value, with a reference replaced by the value it stands for."""
        if isinstance(value, dict) and len(value) == 1 and REFERENCE in value:
            return loads(self._read(value[REFERENCE]))
        return value

    def _read(self, key: Any) -> str:
        matched = _KEY.fullmatch(key) if isinstance(key, str) else None
        if matched is None:
            raise PayloadRefused(f"a payload reference to {key!r}: not a payloads/<sha256> key")
        body = self._s3().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if hashlib.sha256(body).hexdigest() != matched.group(1):
            raise PayloadRefused(f"payload {key} does not match its hash")
        return str(body.decode("utf-8"))
