"""Toward AWS: the Lambda asset (``asset``), CloudFormation synthesis (``synth``), the
AWS quotas a stack can break (``quotas``) and compatibility with what is deployed
(``compat``). The CDK constructs themselves are ``eventualc.cdk``, which generated
apps import."""
