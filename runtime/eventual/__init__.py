"""eventual: the runtime of eventual services (tests, the embedded engine and AWS Lambda).

Dependency-light by design: the standard library and pydantic; boto3 only inside the
AWS adapter, imported lazily. It never imports the compiler (``eventualc``).
"""

from eventual.context import EventMeta, SubscriptionContext, TaskContext
from eventual.errors import ExecutionNotFound, TaskError, UndeclaredEmit, UndeclaredSignal
from eventual.service import Service
from eventual.status import ExecutionStatus

__version__ = "0.2.0"
__all__ = [
    "EventMeta",
    "ExecutionNotFound",
    "ExecutionStatus",
    "Service",
    "SubscriptionContext",
    "TaskContext",
    "TaskError",
    "UndeclaredEmit",
    "UndeclaredSignal",
]
