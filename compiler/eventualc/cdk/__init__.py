"""The CDK side of eventualc: the construct every generated ``infra/`` app uses.

``ServiceConstruct`` builds one service's AWS resources from its tables
(``TaskFunction``, ``SubscriptionFunction``, ``WorkflowStart``, ``Forward`` rows in a
``ServiceTables``), which ``eventualc build`` writes to ``<svc>/infra/functions.py``;
``LogicalIds`` gives resources logical IDs made of their construct ids. Importing this
package imports ``aws_cdk``: only the generated apps and ``eventualc synth`` do.
"""

from eventualc.cdk.construct import FunctionGroup, LogicalIds, ServiceConstruct
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
    "LogicalIds",
    "ServiceConstruct",
    "ServiceTables",
    "SubscriptionFunction",
    "TaskFunction",
    "WorkflowStart",
]
