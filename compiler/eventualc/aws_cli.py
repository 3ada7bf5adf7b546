"""The command line's way to a deployed service (``--aws``): an ``eventual.aws.Client``.

``aws_client(stack, region, services)`` takes the stack name and region from the
flags, else from ``$EVENTUAL_STACK`` and ``$AWS_REGION`` (then ``$AWS_DEFAULT_REGION``,
then boto3's own configuration); ``$AWS_ENDPOINT_URL`` points it elsewhere (a moto or
LocalStack server), as boto3 does. Given the services of the build, it passes the
stack's own (the one named like the stack, or the only one) so that names and
payloads are checked before anything is sent. A missing stack name is a usage error.
The client raises ``eventual.aws.RequestError`` (an ``EngineError``) for everything
that goes wrong later, so the engine commands' handling serves both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from eventual import Service
    from eventual.aws import Client

STACK_VARIABLE = "EVENTUAL_STACK"


def aws_client(
    stack: str | None, region: str | None, services: Sequence[Service] = (),
    environ: Mapping[str, str] | None = None,
) -> Client:  # fmt: skip
    from eventual.aws import Client

    variables = os.environ if environ is None else environ
    name = stack or variables.get(STACK_VARIABLE)
    if not name:
        raise click.UsageError(f"--aws needs a stack: give --stack or set ${STACK_VARIABLE}")
    chosen = region or variables.get("AWS_REGION") or variables.get("AWS_DEFAULT_REGION")
    return Client(name, chosen, service=_own_service(name, services))


def _own_service(stack: str, services: Sequence[Service]) -> Service | None:
    named = [service for service in services if service.name == stack]
    if named:
        return named[0]
    return services[0] if len(services) == 1 else None
