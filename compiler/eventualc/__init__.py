"""eventualc: the compiler and command line of eventual services.

The pipeline (see README, "Architecture"): ``source`` reads YAML with positions,
``shape`` validates it against ``schemas/eventual-spec.schema.json``, ``lower``
builds the IR, ``checks`` report semantic diagnostics. Only the CLI prints.
"""

__version__ = "0.2.0"
