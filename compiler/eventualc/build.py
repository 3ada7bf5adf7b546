"""``eventualc build``: the whole pipeline, from spec paths to files on disk.

Returns what happened as a ``BuildResult`` for the CLI to print; writes nothing in
``check`` mode. A build whose inputs (spec files, the files they reference, the
compiler) and outputs are unchanged since the last one stops before parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import eventualc
from eventualc.diagnostics import Diagnostic, Span, warning

if TYPE_CHECKING:
    from eventualc.pipeline import FrontEnd
from eventualc.emit.write import Manifest, Plan, apply, inputs_digest, is_current, plan, sha
from eventualc.frontend.source import discover, display_path


@dataclass
class BuildResult:
    front_end: FrontEnd | None = None
    plan: Plan = field(default_factory=Plan)
    warnings: list[Diagnostic] = field(default_factory=list)
    up_to_date: bool = False


def build(paths: Sequence[Path], root: Path, out: Path, check: bool, force: bool) -> BuildResult:
    manifest = Manifest.read(out)
    compiler = Path(eventualc.__file__).parent
    spec_files = discover(paths)
    inputs = spec_files + [root / p for p in manifest.input_files]
    digest = inputs_digest(inputs, root, compiler)
    if is_current(out, manifest, digest):
        return BuildResult(up_to_date=True)
    from eventualc.pipeline import gc_paused, load

    front_end = load(paths, root)
    if not front_end.ok or front_end.build is None:
        return BuildResult(front_end)
    from eventualc.emit.package import emit_package
    from eventualc.emit.stubs import emit_stubs, stale_stubs

    with gc_paused():
        files = emit_package(front_end.build)
        stubs = emit_stubs(front_end.build)
    result = BuildResult(front_end, plan(out, files, {s.path: t for s, t in stubs}, manifest))
    for stub, _ in stubs:
        stub_file = out / stub.path
        if stub_file.is_file() and stub.path not in result.plan.stubs:
            problem = stale_stubs(stub, stub_file.read_text("utf-8"))
            if problem:
                line, why = problem
                message = f"handler '{stub.function}' {why}; the spec now says: {stub.signature}"
                result.warnings.append(warning("W801", _file_span(stub_file, line), message))
    current = {s.path for s, _ in stubs}
    for old in sorted(set(manifest.stubs) - current):
        if (out / old).is_file():
            message = (
                "this handler belongs to no task or subscription any more; delete it if unused"
            )
            result.warnings.append(warning("W802", _file_span(out / old), message))
    if not check and (force or not result.plan.conflicts):
        read = {Path(p).resolve() for p in front_end.sources}
        externals = sorted(p for p in read - set(spec_files) if p.is_relative_to(root))
        kept = {p for p in manifest.stubs if (out / p).is_file()}
        recorded = Manifest(
            inputs=inputs_digest(spec_files + externals, root, compiler),
            input_files=[str(p.relative_to(root)) for p in externals],
            files={p: sha(t) for p, t in files.items()},
            stubs=sorted(current | kept),
        )
        apply(out, result.plan, recorded)
    return result


def _file_span(path: Path, line: int = 1) -> Span:
    return Span(display_path(path), line, 1, 4)
