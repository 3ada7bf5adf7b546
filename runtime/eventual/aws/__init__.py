"""eventual.aws: the runtime of a service deployed to AWS, and the client that operates it.

- ``eventual.aws.entry``: the Lambda handlers (``orchestrator``, ``task``,
  ``subscription``) every function of the generated stack points at;
- ``eventual.aws.Client``: start, inspect, signal and cancel executions and publish
  events on a deployed stack, from anywhere with AWS credentials.

botocore is imported only when a client is first needed, never by ``import eventual`` or
``import eventual.aws``: the Lambda handlers import little before their first event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventual.aws.client import Client, RequestError

__all__ = ["Client", "RequestError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from eventual.aws import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
