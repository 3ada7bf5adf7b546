"""Generated files from templates: ``render(template, **values)`` -> text.

Each kind of generated file has one template in ``emit/templates/`` (``<file>.jinja``;
pieces used by several, in ``macros.jinja``), rendered by jinja2 with
``StrictUndefined`` (a value a template names but is not given is an error, never an
empty string), without autoescaping (the output is Python, JSON and Markdown, not
HTML: spec text enters Python only through the ``docstring``, ``literal`` and
``string_list`` filters, which escape it) and with trailing newlines kept. The
templates write ruff-formatted code (tested on the golden builds). Every template has
``header``, the do-not-edit line, in scope.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from eventualc.emit.text import HEADER, docstring, flat, literal, string_list

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        auto_reload=False,  # templates are package data: no stat per render
        # Compiled templates are kept (jinja2's cache folder in the temporary directory,
        # keyed by the templates' text), so a build does not compile them again.
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {
        "docstring": docstring,
        "literal": literal,
        "flat": flat,
        "string_list": string_list,
    }
    environment.globals["header"] = HEADER
    return environment


def render(template: str, **values: Any) -> str:
    """The text of ``templates/<template>`` with ``values``."""
    return _environment().get_template(template).render(**values)
