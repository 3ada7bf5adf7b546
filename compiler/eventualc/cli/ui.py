"""``eventualc ui``: serve the console on the engine's store (or, with ``--aws``, on
a deployed stack through ``eventual.aws.Client``) until interrupted.

Binds 127.0.0.1 unless told otherwise; any other address needs a token (``--token``
with a value, ``--token`` alone for a random one, or ``$EVENTUALC_UI_TOKEN``), which
the printed address carries once. Starlette and uvicorn are imported only when the
command runs, so other commands never load them.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from typing import TYPE_CHECKING

import click

from eventualc.cli.factory import (
    aws_client,
    built_services,
    current_project,
    open_engine,
    spec_paths,
)  # fmt: skip

if TYPE_CHECKING:
    from eventualc.frontend import ir
    from eventualc.ui.pages import Console

TOKEN_ENV = "EVENTUALC_UI_TOKEN"
_GENERATE = "\0generate"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def choose_token(host: str, token: str | None) -> str | None:
    """The access token: given, generated (``--token`` alone) or from the environment;
    raises ``click.UsageError`` when ``host`` is not loopback and there is none."""
    if token == _GENERATE:
        token = secrets.token_urlsafe(24)
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and not _loopback(host):
        raise click.UsageError(
            f"--host {host} would serve the console beyond this machine: give --token "
            f"(or set {TOKEN_ENV})"
        )
    return token


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@click.option("--db", type=click.Path(dir_okay=False),
              help="The engine's SQLite file (default: .eventual/local.db).")  # fmt: skip
@click.option("--aws", "on_aws", is_flag=True, help="Show a deployed stack instead.")
@click.option("--stack", help="The stack --aws shows (default: $EVENTUAL_STACK).")
@click.option("--region", help="The stack's region (default: $AWS_REGION).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8233, show_default=True)
@click.option("--read-only", is_flag=True, help="Show everything, change nothing.")
@click.option("--token", is_flag=False, flag_value=_GENERATE, default=None, metavar="[TOKEN]",
              help=f"Require this token (alone: a random one; default: ${TOKEN_ENV}).")  # fmt: skip
def ui(specs: tuple[str, ...], db: str | None, on_aws: bool, stack: str | None,
       region: str | None, host: str, port: int, read_only: bool,
       token: str | None) -> None:  # fmt: skip
    """Serve a browser console: executions, events, dead letters, the service."""
    token = choose_token(host, token)
    if on_aws and db:
        raise click.UsageError("give --db or --aws, not both")
    console = aws_console(specs, stack, region) if on_aws else open_console(specs, db)
    import uvicorn

    from eventualc.ui.server import Settings, create_app

    app = create_app(console, Settings(read_only=read_only, token=token))
    shown = f"[{host}]" if ":" in host else host
    query = f"/?token={token}" if token else "/"
    click.echo(f"eventualc: console on http://{shown}:{port}{query} (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def open_console(specs: tuple[str, ...], db: str | None) -> Console:
    """The console over ``--db``, with the services and build of ``specs`` if given."""
    from eventualc.ui.pages import Console

    engine = open_engine(db, built_services(specs) if specs else [])
    return Console.local(engine, _build(specs) if specs else None)


def aws_console(specs: tuple[str, ...], stack: str | None, region: str | None) -> Console:
    """The console over the deployed stack ``stack``, with the build of ``specs``."""
    from eventualc.ui.aws import AwsReads
    from eventualc.ui.pages import Console

    client = aws_client(stack, region, built_services(specs) if specs else [])
    return Console(AwsReads(client), _build(specs) if specs else None)


def _build(specs: tuple[str, ...]) -> ir.Build | None:
    from eventualc.pipeline import load

    project = current_project()
    return load(spec_paths(specs, project), project.root).build
