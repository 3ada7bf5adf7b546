"""The Lambda asset: runtime, generated package and dependencies built for Lambda's
platform with pip (no Docker), cached by the hash of what goes in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from tests.cdk_apps import asset_cache

from eventualc.deploy import asset as assets
from eventualc.deploy.asset import AWS_SERVICES, AssetError, build_asset

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"  # this interpreter's version


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A generated package with a handler, a CDK app and the litter tools leave."""
    package = tmp_path / "project" / "gen"
    files = {
        "__init__.py": "",
        "shop/__init__.py": "",
        "shop/definition.json": "{}",
        "shop/handlers/charge.py": "def charge(input, ctx): return 1\n",
        "shop/handlers/__pycache__/charge.cpython-312.pyc": "",
        "shop/infra/construct.py": "",
        "shop/infra/cdk.out/asset.x/big.bin": "",
        ".eventualc-manifest.json": "{}",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asset_cache(tmp_path_factory)


@pytest.fixture
def no_python_312(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Python 3.12 to compile bytecode with (whatever this machine has)."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    if HERE == "3.12":
        monkeypatch.setattr(assets.sys, "version_info", (3, 11, 0))


def test_the_asset_holds_runtime_package_and_arm64_dependencies(
    out: Path, cache: Path, no_python_312: None, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = build_asset(out, "arm64", cache)
    assert "no Python 3.12 here" in capsys.readouterr().err  # so: sources only
    files = listing(asset)
    assert {"gen/__init__.py", "gen/shop/__init__.py", "gen/shop/definition.json"} <= files
    assert "gen/shop/handlers/charge.py" in files
    assert not [f for f in files if f.startswith("gen/") and ("infra" in f or f.endswith(".pyc"))]
    assert not [f for f in files if "__pycache__" in f or f.startswith("bin/")]
    assert "gen/.eventualc-manifest.json" not in files
    assert {"eventual/__init__.py", "eventual/interpreter.py", "eventual/py.typed"} <= files
    version = metadata.version("pydantic")
    assert f"pydantic-{version}.dist-info/METADATA" in files
    compiled = [f for f in files if f.startswith("pydantic_core/_pydantic_core.c")]
    assert compiled == ["pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"]
    for sdk in ("boto3", "botocore"):  # pinned: Lambda's own SDK varies, may be too old
        assert f"{sdk}-{metadata.version(sdk)}.dist-info/METADATA" in files
    models = {f.split("/")[2] for f in files if f.startswith("botocore/data/") and f.count("/") > 2}
    assert models == AWS_SERVICES  # the other services' models are left out
    assert "re2/_re2.cpython-312-aarch64-linux-gnu.so" in files  # CEL's matches()


def test_the_asset_is_cached_by_what_goes_in(out: Path, cache: Path) -> None:
    first = build_asset(out, "arm64", cache)
    installed = sorted((cache / "dependencies").iterdir())  # the cache may hold other platforms'
    marker = first / "eventual" / "__init__.py"
    stamp = marker.stat().st_mtime_ns
    assert build_asset(out, "arm64", cache) == first
    assert marker.stat().st_mtime_ns == stamp  # not rebuilt
    (out / "shop" / "infra" / "stack.py").write_text("# the CDK app is not in the asset\n")
    assert build_asset(out, "arm64", cache) == first
    (out / "shop" / "handlers" / "charge.py").write_text("def charge(input, ctx): return 2\n")
    second = build_asset(out, "arm64", cache)
    assert second != first
    assert (second / "gen/shop/handlers/charge.py").read_text().endswith("return 2\n")
    assert sorted((cache / "dependencies").iterdir()) == installed  # reused: same pins, platform


def test_x86_64_gets_its_own_dependencies(out: Path, cache: Path, no_python_312: None) -> None:
    asset = build_asset(out, "x86_64", cache)
    compiled = [f for f in listing(asset) if f.startswith("pydantic_core/_pydantic_core.c")]
    assert compiled == ["pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so"]
    assert asset != build_asset(out, "arm64", cache)


def test_bad_inputs_are_reported(out: Path, cache: Path) -> None:
    with pytest.raises(AssetError, match="unknown Lambda architecture 'sparc'"):
        build_asset(out, "sparc", cache)
    with pytest.raises(AssetError, match="not a generated package"):
        build_asset(out / "shop" / "handlers", "arm64", cache)


def test_every_module_ships_compiled_for_the_python_that_runs_it(
    out: Path, cache: Path, tmp_path: Path
) -> None:
    """Lambda's /var/task is read-only: without bytecode in the asset every cold start
    compiles each module it imports. The bytecode is hash-based and unchecked, so the
    interpreter loads it without reading the source (a changed source proves it)."""
    asset = build_asset(out, "x86_64", cache, python_version=HERE)
    tag = sys.implementation.cache_tag
    for top in ("eventual", "gen", "pydantic", "botocore"):
        sources = list((asset / top).rglob("*.py"))
        assert sources
        missing = [
            s for s in sources if not (s.parent / "__pycache__" / f"{s.stem}.{tag}.pyc").is_file()
        ]
        assert missing == [], top
    copy = tmp_path / "asset"
    shutil.copytree(asset, copy)
    (copy / "gen/shop/handlers/charge.py").write_text("raise SystemExit('source read')\n")
    code = f"import sys; sys.path.insert(0, {str(copy)!r}); from gen.shop.handlers.charge import charge; print(charge(None, None))"
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code], capture_output=True, text=True, check=False
    )
    assert (ran.returncode, ran.stdout.strip()) == (0, "1"), ran.stderr
    shutil.rmtree(copy / "gen/shop/handlers/__pycache__")
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code], capture_output=True, text=True, check=False
    )
    assert "source read" in ran.stderr


def test_an_asset_with_bytecode_is_not_mistaken_for_one_without(
    out: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = build_asset(out, "x86_64", cache, python_version=HERE)
    monkeypatch.setattr(assets, "bytecode_compiler", lambda version: None)
    plain = build_asset(out, "x86_64", cache, python_version=HERE)
    assert plain != compiled
    assert not list(plain.rglob("__pycache__"))


def test_a_python_of_another_version_is_not_taken_for_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python3.X`` on PATH must answer 3.X: a pyenv shim for an unselected version
    exists but fails, and a mislabelled link would compile the wrong bytecode."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "python3.99").symlink_to(sys.executable)  # answers this interpreter's version
    shim = bin_ / "python3.98"
    shim.write_text("#!/bin/sh\necho 'python3.98: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_))
    assert assets.bytecode_compiler("3.99") is None
    assert assets.bytecode_compiler("3.98") is None
    assert assets.bytecode_compiler(HERE) == sys.executable
    (bin_ / f"python{HERE}").symlink_to(sys.executable)
    monkeypatch.setattr(assets.sys, "version_info", (3, 0, 0))  # as if run by another Python
    assert assets.bytecode_compiler(HERE) == str(bin_ / f"python{HERE}")
