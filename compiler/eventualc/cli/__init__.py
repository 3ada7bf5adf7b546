"""The ``eventualc`` command line: the only part of the compiler that prints.

Exit codes: 0 ok; 1 spec errors (or warnings with ``--strict``), drift or a failed
execution; 2 usage errors. A user mistake never shows a traceback; an internal error
says that it is one and where to report it.

``cli`` is the root group and ``main`` the entry point (``[project.scripts]``). The
commands live one group to a module, each importing only the two shared modules:

- ``console``: what every command prints, its failures and JSON options; imports
  nothing of the package.
- ``factory``: what the commands work on (the project, its services, the store and
  its default path, the engine or a deployed stack's client); imports ``console``.
- ``specs``: check, build, schema, graph, init.
- ``deploy``: synth, deploy, destroy (the CDK CLI).
- ``engine``: run, publish, worker, start, signal, cancel, executions, dlq.
- ``store``: store check, backup, restore.
- ``invoke``, ``dev``: the one-task run and the reloading local loop.

This module imports the command modules and none of them imports it: no cycle.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import click

from eventualc.cli import deploy, dev, engine, invoke, specs, store, ui
from eventualc.cli.factory import guarded

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="eventualc", prog_name="eventualc")  # the installed version
def cli() -> None:
    """Check, build and run event-driven services described in YAML."""


for _command in [*specs.COMMANDS, *deploy.COMMANDS, invoke.invoke, dev.dev]:
    cli.add_command(_command)
for _command in [*engine.COMMANDS, store.store, ui.ui]:  # on the store: its failures in one line
    cli.add_command(guarded(_command))


def main(argv: Sequence[str] | None = None) -> NoReturn:
    try:
        cli.main(args=argv, prog_name="eventualc", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # an internal bug: say so, and keep the details for the report
        detail = traceback.format_exc()
        click.echo(
            "eventualc: internal error (a bug in eventualc, not in your spec); "
            "please report it with the details below.\n" + detail,
            err=True,
        )
        sys.exit(70)
    sys.exit(0)
