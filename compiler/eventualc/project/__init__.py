"""A user's project: its root and ``[tool.eventualc]`` settings (``settings``), and
``eventualc init``'s new project (``scaffold``, from the files in ``starter/``)."""
