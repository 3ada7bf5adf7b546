"""eventual: the runtime of eventual services (tests, the embedded engine and AWS Lambda).

Dependency-light by design: the standard library and pydantic; boto3 only inside the
AWS adapter, imported lazily. It never imports the compiler (``eventualc``).
"""

__version__ = "0.1.0"
