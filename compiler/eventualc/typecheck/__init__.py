"""Static types: JSON values typed from JSON Schemas (``values``), CEL expressions
typed over them (``cel``), and what a condition proves not null (``narrowing``)."""
