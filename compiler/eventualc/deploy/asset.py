"""The Lambda asset of a generated service: one folder every function of it runs from.

``build_asset(out, architecture)`` takes the generated output folder (the package
``generated/`` holding every service of a build, handlers included) and returns a
folder holding, at its top level, the runtime package ``eventual`` (copied from where
it is installed), that output package (without the CDK apps under ``*/infra/``) and
the runtime's dependencies installed for Lambda's platform (Python 3.12 on Amazon
Linux, ``arm64`` or ``x86_64``) with ``pip install --platform ... --only-binary``,
so no Docker is needed. The dependencies are pydantic and boto3 with botocore, each
pinned to the version installed here: Lambda's built-in SDK differs by runtime and
region, and the conditional S3 writes the runtime relies on need botocore >=
1.35.70. botocore keeps the models of the AWS services the runtime calls
(``AWS_SERVICES``) and drops the other 400-odd, about nine tenths of its size. The
runtime makes its clients with botocore alone; boto3 (1.4 MB with s3transfer, nothing
at start unless imported) stays so that a handler importing it gets the boto3 of the
bundled botocore, not Lambda's built-in one.

Every module is compiled to ``.pyc`` for the Python that runs it (hash-based,
unchecked: a deployment package never changes under its bytecode). Lambda's
``/var/task`` is read-only, so without them every cold start compiles each module it
imports, which about triples the first event's setup (see ``bench/cold_start.py``).
They are compiled by this interpreter when its version is the target's, else by
``python<version>`` on ``PATH``; when neither exists the asset ships sources only and
one line on stderr says so.

Guarantees: the folder is keyed by the SHA-256 of everything that goes in (the file
names and bytes, the architecture, the pinned dependency versions, the Python
version, whether it holds bytecode), so the same inputs give the same path and CDK
sees the same asset; a folder is complete or absent (built aside, then renamed into
place); dependencies are cached apart, by their own key, so a handler edit reuses
them. The cache lives in
``$EVENTUALC_CACHE_DIR``, else ``$XDG_CACHE_HOME/eventualc``, else ``~/.cache/eventualc``.
A failed ``pip`` raises ``AssetError`` with pip's own message.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

PYTHON_VERSION = "3.12"  # the Lambda runtime the generated stack declares (python3.12)
_PLATFORMS = {
    # Lambda's Amazon Linux 2023 has glibc 2.34: wheels for older manylinux tags fit.
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}
# What `eventual` imports beyond the standard library (boto3 in `eventual.aws` only;
# google-re2 for CEL's `matches`, with manylinux_2_28 wheels for both architectures).
_RUNTIME_DEPENDENCIES = ("pydantic", "boto3", "botocore", "google-re2")
# The services `eventual.aws` makes clients for in a function; botocore's other models
# are left out of the asset.
AWS_SERVICES = frozenset({"s3", "sqs", "events", "scheduler", "sts", "dynamodb"})
_SKIPPED_DIRS = frozenset({"__pycache__", "cdk.out", ".mypy_cache", ".ruff_cache"})


class AssetError(RuntimeError):
    """The asset could not be assembled (pip failed, or an input is missing)."""


def cache_root() -> Path:
    explicit = os.environ.get("EVENTUALC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "eventualc"


def build_asset(
    out: Path, architecture: str = "arm64", cache: Path | None = None,
    python_version: str = PYTHON_VERSION,
) -> Path:  # fmt: skip
    """The asset folder for the services generated into ``out``, built if not cached
    (``python_version``: of the interpreter that runs it; tests run it here)."""
    if architecture not in _PLATFORMS:
        raise AssetError(f"unknown Lambda architecture {architecture!r}: arm64 or x86_64")
    if not (out / "__init__.py").is_file():
        raise AssetError(f"{out} is not a generated package (no __init__.py): run eventualc build")
    cache = cache or cache_root()
    runtime = _runtime_folder()
    requirements = pinned_requirements()
    sources = {
        runtime.name: list(_files(runtime)),
        # The CDK apps (``<svc>/infra/``) are not run by the functions.
        out.name: [p for p in _files(out) if p.parts[1:2] != ("infra",)],
    }
    compiler = bytecode_compiler(python_version)
    if compiler is None:
        print(
            f"eventualc: no Python {python_version} here (python{python_version} on PATH): "
            "the Lambda asset ships without .pyc, so each cold start compiles what it imports",
            file=sys.stderr,
        )
    platform = (architecture, python_version, "pyc" if compiler else "")
    key = _digest(platform, requirements, sources, {runtime.name: runtime, out.name: out})
    target = cache / "assets" / key
    if target.is_dir():
        return target
    dependencies = _dependencies(cache, platform, requirements, compiler)
    with _building(target) as folder:
        shutil.copytree(dependencies, folder, dirs_exist_ok=True)
        for top, base in ((runtime.name, runtime), (out.name, out)):
            for relative in sources[top]:
                destination = folder / top / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(base / relative, destination)
        if compiler:
            _compile(compiler, [folder / runtime.name, folder / out.name])
    return target


def bytecode_compiler(python_version: str) -> str | None:
    """An interpreter of ``python_version`` ("3.12") to compile the asset's bytecode
    with: this one if it is that version, else ``python<version>`` on ``PATH`` once it
    answers with that version (a pyenv shim may exist for a version not selected)."""
    if ".".join(map(str, sys.version_info[:2])) == python_version:
        return sys.executable
    found = shutil.which(f"python{python_version}")
    if found is None:
        return None
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([found, "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if done.returncode == 0 and done.stdout.strip() == python_version else None


def _compile(compiler: str, folders: list[Path]) -> None:
    """Every module below ``folders`` compiled to ``__pycache__`` by ``compiler``."""
    command = [
        compiler, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash",
        *map(str, folders),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stdout or done.stderr).strip()
        raise AssetError(f"{compiler} could not compile the asset's modules:\n{detail}")


def pinned_requirements() -> tuple[str, ...]:
    """The runtime's dependencies at the versions installed here, which tests ran with."""
    return tuple(f"{name}=={metadata.version(name)}" for name in _RUNTIME_DEPENDENCIES)


def _runtime_folder() -> Path:
    import eventual

    return Path(eventual.__file__).resolve().parent


def _files(folder: Path) -> Iterator[Path]:
    """Every file below ``folder`` (relative, sorted) that the functions may need."""
    found: list[Path] = []
    for directory, subdirs, names in os.walk(folder):
        # Pruned, not filtered: a synthesized cdk.out below may hold many large files.
        subdirs[:] = [d for d in subdirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
        base = Path(directory).relative_to(folder)
        found += [
            base / name
            for name in names
            if not name.startswith(".") and not name.endswith((".pyc", ".pyo"))
        ]
    return iter(sorted(found))


def _digest(
    platform: tuple[str, str, str],
    requirements: tuple[str, ...],
    sources: dict[str, list[Path]],
    bases: dict[str, Path],
) -> str:
    digest = hashlib.sha256()
    digest.update("\0".join([*platform, " ".join(requirements), ""]).encode())
    for top, files in sorted(sources.items()):
        for relative in files:
            digest.update(f"{top}/{relative.as_posix()}\0".encode())
            digest.update((bases[top] / relative).read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _dependencies(
    cache: Path, platform: tuple[str, str, str], requirements: tuple[str, ...],
    compiler: str | None,
) -> Path:  # fmt: skip
    services = " ".join(sorted(AWS_SERVICES))
    text = "\0".join([*platform, " ".join(requirements), services])
    key = hashlib.sha256(text.encode()).hexdigest()[:32]
    target = cache / "dependencies" / key
    if target.is_dir():
        return target
    with _building(target) as folder:
        _pip_install(folder, platform[:2], requirements)
        _prune_botocore(folder)
        if compiler:
            _compile(compiler, [folder])
    return target


def _prune_botocore(folder: Path) -> None:
    """Drops botocore's models of the services the runtime never calls."""
    data = folder / "botocore" / "data"
    if data.is_dir():
        for service in data.iterdir():
            if service.is_dir() and service.name not in AWS_SERVICES:
                shutil.rmtree(service)


def _pip_install(folder: Path, platform: tuple[str, str], requirements: tuple[str, ...]) -> None:
    architecture, python_version = platform
    platforms = [arg for tag in _PLATFORMS[architecture] for arg in ("--platform", tag)]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-warn-conflicts", "--no-compile", "--target", str(folder), *platforms,
        "--implementation", "cp", "--python-version", python_version,
        "--only-binary=:all:", *requirements,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise AssetError(f"pip could not install {' '.join(requirements)} for Lambda:\n{detail}")
    # Console scripts are of no use in Lambda and hold this machine's interpreter path.
    shutil.rmtree(folder / "bin", ignore_errors=True)


@contextmanager
def _building(target: Path) -> Iterator[Path]:
    """A scratch folder beside ``target``, renamed to it when the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
    scratch.chmod(0o755)  # mkdtemp's 0700 would travel into the deployment package
    try:
        yield scratch
        scratch.rename(target)
    except OSError:
        if not target.is_dir():  # else built meanwhile by another process: as good
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
