"""``python -m eventualc`` is the ``eventualc`` command."""

from eventualc.cli import main

main()
