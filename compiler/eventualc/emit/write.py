"""Write stage: a file map -> disk, keeping what users own and what they edited.

The output folder holds a manifest (``.eventualc-manifest.json``) of every file the
compiler owns, with its hash, and of the handler stubs it created. ``plan`` compares
the new file map with the disk and the manifest: an owned file whose content no
longer matches its recorded hash was edited by hand and is a conflict (applied only
with ``--force``); owned files of removed spec items are deleted; stubs are created
when missing and never overwritten or deleted. ``inputs_digest`` fingerprints the
spec files and the compiler so an unchanged build can skip all work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = ".eventualc-manifest.json"
_FORMAT = 1


def sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass
class Manifest:
    inputs: str = ""
    input_files: list[str] = field(default_factory=list)  # relative to the project root
    files: dict[str, str] = field(default_factory=dict)  # owned path -> sha256
    stubs: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, out: Path) -> Manifest:
        try:
            data: dict[str, Any] = json.loads((out / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return cls()
        return cls(
            data.get("inputs", ""),
            data.get("input_files", []),
            data.get("files", {}),
            data.get("stubs", []),
        )

    def services(self) -> list[str]:
        """The services of the build this manifest records (each has a definition.json)."""
        return sorted(p.split("/")[0] for p in self.files if p.endswith("/definition.json"))

    def text(self) -> str:
        data = {
            "format": _FORMAT,
            "inputs": self.inputs,
            "input_files": sorted(self.input_files),
            "files": dict(sorted(self.files.items())),
            "stubs": sorted(self.stubs),
        }
        return json.dumps(data, indent=1) + "\n"


def inputs_digest(spec_files: Iterable[Path], root: Path, compiler: Path) -> str:
    """A fingerprint of the spec files (names and bytes) and of the compiler itself."""
    digest = hashlib.sha256()
    for path in sorted(compiler.rglob("*.py")) + sorted(compiler.rglob("*.json")):
        digest.update(path.read_bytes())
    for path in sorted(spec_files):
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(b"\0" + (path.read_bytes() if path.is_file() else b"<missing>") + b"\0")
    return digest.hexdigest()


def is_current(out: Path, manifest: Manifest, inputs: str) -> bool:
    """True when nothing changed since the last build: same inputs, outputs intact."""
    if not manifest.inputs or manifest.inputs != inputs:
        return False
    owned = all(_disk_sha(out / p) == h for p, h in manifest.files.items())
    return owned and all((out / s).is_file() for s in manifest.stubs)


def _disk_sha(path: Path) -> str | None:
    try:
        return sha(path.read_bytes())
    except OSError:
        return None


@dataclass
class Plan:
    write: dict[str, str] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    stubs: dict[str, str] = field(default_factory=dict)  # stubs to create
    conflicts: list[str] = field(default_factory=list)  # owned files edited by hand

    @property
    def changes(self) -> list[str]:
        return sorted([*self.write, *self.delete, *self.stubs])


def plan(out: Path, files: dict[str, str], stubs: dict[str, str], manifest: Manifest) -> Plan:
    result = Plan()
    for path, text in sorted(files.items()):
        on_disk = _disk_sha(out / path)
        if on_disk == sha(text):
            continue
        result.write[path] = text
        if on_disk is not None and manifest.files.get(path) != on_disk:
            result.conflicts.append(path)
    for path, recorded in sorted(manifest.files.items()):
        if path not in files:
            on_disk = _disk_sha(out / path)
            if on_disk is not None:
                result.delete.append(path)
                if on_disk != recorded:
                    result.conflicts.append(path)
    result.stubs = {p: t for p, t in sorted(stubs.items()) if not (out / p).exists()}
    return result


def apply(out: Path, result: Plan, manifest: Manifest) -> None:
    for path, text in result.write.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for path, text in result.stubs.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for path in result.delete:
        (out / path).unlink(missing_ok=True)
        _remove_empty_parents(out, (out / path).parent)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).write_text(manifest.text(), encoding="utf-8")


def _remove_empty_parents(out: Path, folder: Path) -> None:
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
