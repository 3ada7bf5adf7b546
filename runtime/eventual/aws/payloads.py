"""Large payloads travel through S3 by reference.

SQS messages and EventBridge events hold at most 256 KB. ``Payloads.pack`` turns a
text over ``LIMIT`` bytes into a small reference, ``{"$eventual:payload": "payloads/<sha256>"}``,
after storing the text under that key of the state bucket; ``unpack`` (a text) and
``resolve`` (a parsed value) give the original back and leave everything else as is.
Keys are content hashes, so storing the same text twice writes the same object.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eventual.state import loads

LIMIT = 200_000  # bytes: below SQS's and EventBridge's 256 KB, with room for envelopes
REFERENCE = "$eventual:payload"


class Payloads:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def pack(self, text: str) -> str:
        """``text``, or a reference to it once stored when it is over ``LIMIT`` bytes."""
        data = text.encode("utf-8")
        if len(data) <= LIMIT:
            return text
        key = f"payloads/{hashlib.sha256(data).hexdigest()}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
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

    def _read(self, key: str) -> str:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return str(body.decode("utf-8"))
