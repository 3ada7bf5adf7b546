"""Static types: JSON values typed from JSON Schemas (``values``), CEL expressions
typed over them (``cel``), what a condition proves not null (``narrowing``), and what
a workflow expression may read at one point (``scope``)."""
