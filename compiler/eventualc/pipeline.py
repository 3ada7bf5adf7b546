"""The front end as one call: paths -> (IR, diagnostics, source texts).

Runs source, shape, lower and checks in order and stops after the first stage that
reports an error; later stages trust their input.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eventualc import ir
from eventualc.checks import run_checks
from eventualc.diagnostics import Diagnostic, error, sorted_diagnostics
from eventualc.lower import lower
from eventualc.shape import check_shape
from eventualc.source import read_sources


@dataclass(frozen=True, slots=True)
class FrontEnd:
    build: ir.Build | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.build is not None and not any(d.is_error for d in self.diagnostics)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Implementation note: the compiler allocates millions of small, acyclic objects
    (YAML nodes, paths, IR, schemas); the cyclic garbage collector rescanning them
    halves the speed of a large build and finds nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(paths: Sequence[Path], root: Path) -> FrontEnd:
    with gc_paused():
        return _load(paths, root)


def _load(paths: Sequence[Path], root: Path) -> FrontEnd:
    sources = read_sources(paths, root)
    texts = sources.texts()
    diagnostics = list(sources.diagnostics)
    if _has_errors(diagnostics):
        return FrontEnd(None, sorted_diagnostics(diagnostics), texts)
    # A file that a spec's `$ref` names is a schema, not a spec, even below a spec folder,
    # unless it is a spec itself (a `service` key): then it is both.
    referenced = set(sources.externals)
    specs = [d for d in sources.documents if d.file.path not in referenced or _is_spec(d.data)]
    good = [d for d in specs if isinstance(d.data, dict)]
    diagnostics += [
        error("E006", d.locations.value(()), "a spec file must be a mapping with a 'service' key")
        for d in specs
        if not isinstance(d.data, dict)
    ]
    for document in good:
        diagnostics.extend(check_shape(document))
    if _has_errors(diagnostics):
        return FrontEnd(None, sorted_diagnostics(diagnostics), texts)
    build, found = lower(good, sources.externals, sources.root)
    diagnostics.extend(found)
    if _has_errors(diagnostics):
        return FrontEnd(build, sorted_diagnostics(diagnostics), texts)
    diagnostics.extend(run_checks(build))
    return FrontEnd(build, sorted_diagnostics(diagnostics), texts)


def _is_spec(data: object) -> bool:
    return isinstance(data, dict) and "service" in data


def _has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
