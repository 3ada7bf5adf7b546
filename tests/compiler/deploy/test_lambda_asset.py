"""The Lambda asset: runtime, generated package and dependencies built for Lambda's
platform with pip (no Docker), cached by the hash of what goes in."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from tests.cdk_apps import asset_cache

from eventualc.deploy.asset import AWS_SERVICES, AssetError, build_asset


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


def test_the_asset_holds_runtime_package_and_arm64_dependencies(out: Path, cache: Path) -> None:
    asset = build_asset(out, "arm64", cache)
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


def test_x86_64_gets_its_own_dependencies(out: Path, cache: Path) -> None:
    asset = build_asset(out, "x86_64", cache)
    compiled = [f for f in listing(asset) if f.startswith("pydantic_core/_pydantic_core.c")]
    assert compiled == ["pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so"]
    assert asset != build_asset(out, "arm64", cache)


def test_bad_inputs_are_reported(out: Path, cache: Path) -> None:
    with pytest.raises(AssetError, match="unknown Lambda architecture 'sparc'"):
        build_asset(out, "sparc", cache)
    with pytest.raises(AssetError, match="not a generated package"):
        build_asset(out / "shop" / "handlers", "arm64", cache)
