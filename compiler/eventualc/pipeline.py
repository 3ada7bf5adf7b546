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

from eventualc.checks import run_checks
from eventualc.diagnostics import Diagnostic, Span, error, sorted_diagnostics, warning
from eventualc.frontend import ir
from eventualc.frontend.lower import lower
from eventualc.frontend.shape import check_shape
from eventualc.frontend.source import Document, SourceSet, display_path, read_sources


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
    diagnostics += [
        error("E006", d.locations.value(()), "a spec file must be a mapping with a 'service' key")
        for d in specs
        if not isinstance(d.data, dict)
    ]
    good, skipped = _services(sources, [d for d in specs if isinstance(d.data, dict)])
    diagnostics += skipped
    for document in good:
        diagnostics.extend(check_shape(document))
    if _has_errors(diagnostics):
        return FrontEnd(None, sorted_diagnostics(diagnostics), texts)
    build, found = lower(good, sources.externals, sources.root)
    diagnostics.extend(found)
    if _has_errors(diagnostics):
        return FrontEnd(build, sorted_diagnostics(diagnostics), texts)
    diagnostics.extend(run_checks(build))
    if not build.services:
        diagnostics.append(_nothing_found(paths, sources))
    return FrontEnd(build, sorted_diagnostics(diagnostics), texts)


def _services(
    sources: SourceSet, documents: list[Document]
) -> tuple[list[Document], list[Diagnostic]]:
    """The documents that define a service, and a warning for each spec file that is
    empty or has no ``service:`` key (skipped: such a file is not a spec)."""
    good = [d for d in documents if "service" in d.data]
    warnings = [
        warning(
            "W007",
            d.locations.value(()),
            f"{d.file.display} has no 'service:' key, so it is not a spec; skipped",
        )
        for d in documents
        if "service" not in d.data
    ]
    with_documents = {d.file.display for d in sources.documents}
    referenced = {d.file.display for d in sources.externals.values()}
    warnings += [
        warning("W007", Span(name, 1, 1, 1), f"{name} is empty; skipped")
        for name in sources.files
        if name not in with_documents and name not in referenced
    ]
    return good, warnings


def _nothing_found(paths: Sequence[Path], sources: SourceSet) -> Diagnostic:
    where = ", ".join(display_path(p) for p in paths)
    if not sources.files:
        return warning("W008", None, f"nothing to check: no spec files (*.yaml, *.yml) in {where}")
    return warning("W008", None, f"nothing to check: no spec file in {where} defines a service")


def _is_spec(data: object) -> bool:
    return isinstance(data, dict) and "service" in data


def _has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
