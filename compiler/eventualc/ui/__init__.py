"""``eventualc ui``: a local browser console over the embedded engine's store or a
deployed stack.

``server.create_app`` makes the ASGI application (Starlette) from a ``Console``
(a ``source.Source``, and the build of the specs when given); ``cli.ui`` is the
command line entry. Every page reads through ``Source``: ``reads.Reads`` on the
engine's SQLite store, ``aws.AwsReads`` on a stack through ``eventual.aws.Client``.
``steps`` turns an execution's history into step states and a timeline, ``forms``
makes the signal forms. Pages are jinja2 templates with autoescape on; CSS and
JavaScript ship in ``static/`` (no CDN).

Nothing here is imported by ``eventualc check`` or the other commands.
"""
