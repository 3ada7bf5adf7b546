"""``eventualc ui``: a local browser console over the embedded engine's store.

``server.create_app`` makes the ASGI application (Starlette) from a ``Console``
(the engine, and the build of the specs when given); ``command.ui`` is the command
line entry. ``steps`` turns an execution's history into step states and a timeline,
``reads`` holds the store queries the pages need, ``forms`` the signal forms. Pages are
jinja2 templates with autoescape on; CSS and JavaScript ship in ``static/`` (no CDN).

Nothing here is imported by ``eventualc check`` or the other commands.
"""
