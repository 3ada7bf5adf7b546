"""The CDK side of eventualc: the construct, stack and app every generated ``infra/`` uses.

``ServiceConstruct`` builds one service's AWS resources from its tables
(``TaskFunction``, ``SubscriptionFunction``, ``WorkflowStart``, ``Forward`` rows in a
``ServiceTables``), which ``eventualc build`` writes to ``<svc>/infra/functions.py``;
``LogicalIds`` gives resources logical IDs made of their construct ids. A service's
generated ``construct.py`` and ``stack.py`` subclass ``GeneratedService`` and
``ServiceStack`` with its names, and its ``app.py`` calls ``run_app``. Importing this
package imports ``aws_cdk``: only the generated apps and ``eventualc synth`` do.
"""

from eventualc.cdk.construct import FunctionGroup, LogicalIds, ServiceConstruct
from eventualc.cdk.stack import GeneratedService, ServiceStack, run_app
from eventualc.cdk.tables import (
    Forward,
    ServiceTables,
    SubscriptionFunction,
    TaskFunction,
    WorkflowStart,
)

__all__ = [
    "Forward",
    "FunctionGroup",
    "GeneratedService",
    "LogicalIds",
    "ServiceConstruct",
    "ServiceStack",
    "ServiceTables",
    "SubscriptionFunction",
    "TaskFunction",
    "WorkflowStart",
    "run_app",
]
