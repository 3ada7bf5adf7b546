"""Every diagnostic code eventualc reports, with what it means.

Codes are stable: a code is never reused for another meaning. The first digit names
the stage or concern: 0 source, 1 shape, 2 names, 3 references, 4 expressions and
types, 5 filters, 6 examples and bounds, 7 choreography. ``W`` codes are warnings.
"""

CODES: dict[str, str] = {
    "E001": "a spec file cannot be read or is not UTF-8",
    "E002": "invalid YAML",
    "E003": "a mapping key appears twice",
    "E004": "a YAML tag outside the core schema, or a value that does not fit its tag",
    "E005": "a mapping key that is not a plain value",
    "E006": "a spec document that is not a mapping",
    "W007": "a spec file that is empty or has no 'service' key (skipped)",
    "W008": "no spec file found, or none that defines a service",
    "E101": "an unknown key",
    "E102": "a required key is missing",
    "E103": "a value of the wrong type",
    "E104": "an invalid value (pattern, range, enumeration, empty list)",
    "E105": "a step without exactly one kind key",
    "E106": "a key that is only valid together with another key",
    "E107": "an invalid JSON Schema",
    "W108": "an unknown JSON Schema keyword close to a known one",
    "E109": "a schema nested deeper than 64 levels",
    "E110": "a retry policy with both 'errors' and 'except'",
    "E111": "a subscription that is more than one of a handler, a workflow start and a signal",
    "E201": "a name that breaks its naming rule",
    "E202": "two definitions that would become the same function or model class",
    "E203": "a name whose Python name is a keyword",
    "E204": "a name defined twice in a service",
    "E205": "a step id used twice in a workflow",
    "E206": "a variable name that hides a built-in expression name",
    "E207": "a model class named like an import of generated model modules",
    "E301": "an unknown type in a schema shorthand",
    "E302": "an unresolvable #/types or #/events reference",
    "E303": "an unresolvable file reference",
    "E304": "a file reference that leaves the project root",
    "E305": "a reference cycle that cannot be modelled",
    "E306": "an unknown event or service",
    "E307": "an unknown task",
    "E308": "an unknown workflow",
    "E309": "a signal the workflow does not declare",
    "E310": "file references that expand a service's schemas too far",
    "E401": "an unknown variable in an expression",
    "E402": "an unknown field of a schema that declares its properties",
    "E403": "a step read where it may not have run",
    "E404": "an operator or function applied to the wrong types",
    "E405": "a template that does not fit its target",
    "E406": "an expression that does not parse",
    "E407": "an unknown step id in an expression",
    "E408": "an unknown function or a wrong number of arguments",
    "E409": "a variable read where it may not be set, or never set",
    "E420": "a break or continue outside a while loop (or across parallel, for_each, compensate)",
    "E501": "a malformed subscription filter",
    "E502": "a filter field missing from a subscribed event",
    "E503": "a filter matcher that does not fit its field's type",
    "E504": "filter wildcards EventBridge rejects as too complex",
    "E601": "a timeout over the 15 minute AWS Lambda limit",
    "E602": "a heartbeat not shorter than its timeout",
    "E603": "a retry max_backoff below its backoff",
    "E604": "an event example that does not match its schema",
    "E605": "a subscription whose retries outlast SQS's 14-day message retention",
    "E606": "a rule pattern over EventBridge's 2,048 characters even for one event",
    "E607": "a function whose permissions pass IAM's role policy size",
    "W608": "more rules on a service's bus than EventBridge allows by default",
    "W609": "a subscription retry delay over SQS's 12-hour visibility timeout",
    "W610": "a retry policy that never applies: the policies before it match every error it would",
    "W701": "an event that nothing emits or consumes",
    "W702": "subscriptions that can trigger each other forever",
    "W703": "workflows that can start each other without end",
}

# Reported by `eventualc build` about handler files, not by `eventualc check`.
BUILD_CODES: dict[str, str] = {
    "W801": "a handler whose signature no longer matches the spec",
    "W802": "a handler file of a task or subscription that no longer exists",
}

# Reported by `eventualc check --against PATH` (``eventualc.deploy.compat``).
COMPAT_CODES: dict[str, str] = {
    "W901": "a task, workflow, signal or event that running executions may still reach is removed",
    "W902": "a schema that accepts less than the previous version's",
}
