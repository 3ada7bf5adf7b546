"""CEL (Common Expression Language) parsing for eventual: expressions and templates.

Standard library only and cheap to import. ``parse(text)`` turns one CEL expression into
an immutable AST (``eventual.cel.nodes``) whose nodes carry 0-based source offsets;
``parse_template(text)`` handles strings with ``${{ expr }}`` placeholders. Both raise only
``CelSyntaxError`` (``message``, ``offset``) for bad input. Type checking and evaluation
live elsewhere.
"""

from .errors import CelSyntaxError, ExpressionLimit
from .evaluate import CelEvaluationError, Evaluator, compile_expression, evaluate
from .nodes import (
    Binary,
    Call,
    Conditional,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    MapLit,
    MessageLit,
    Node,
    Select,
    Unary,
    children,
)
from .parser import MAX_DEPTH, RESERVED_WORDS, parse
from .render import Renderer, compile_template
from .template import Interpolation, Placeholder, has_placeholders, parse_template

__all__ = [
    "MAX_DEPTH",
    "RESERVED_WORDS",
    "Binary",
    "Call",
    "CelEvaluationError",
    "CelSyntaxError",
    "Conditional",
    "Evaluator",
    "ExpressionLimit",
    "Ident",
    "Index",
    "Interpolation",
    "ListLit",
    "Literal",
    "Macro",
    "MapLit",
    "MessageLit",
    "Node",
    "Placeholder",
    "Renderer",
    "Select",
    "Unary",
    "children",
    "compile_expression",
    "compile_template",
    "evaluate",
    "has_placeholders",
    "parse",
    "parse_template",
]
