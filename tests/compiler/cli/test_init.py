"""`eventualc init NAME`: a new project in which build, its tests, its pre-commit hooks
and `eventualc graph` work at once, as a user would run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from tests.support import eventualc

from eventualc.project.scaffold import requirement_of, service_name, starter_files


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})}, timeout=300)  # fmt: skip


def test_init_makes_a_project_whose_build_and_tests_pass(tmp_path: Path) -> None:
    created = eventualc(tmp_path, "init", "my-shop")
    assert created.returncode == 0, created.stderr
    project = tmp_path / "my-shop"
    assert (project / ".git").is_dir()  # pre-commit needs a repository
    assert "a git repository" in created.stderr
    files = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert sorted(str(p.relative_to(project)) for p in files) == [
        ".gitignore", ".pre-commit-config.yaml", "README.md", "pyproject.toml",
        "specs/my_shop.yaml", "tests/test_my_shop.py",
    ]  # fmt: skip
    settings = tomllib.loads((project / "pyproject.toml").read_text())
    assert settings["tool"]["eventualc"] == {"specs": "specs", "out": "generated"}
    assert eventualc(project, "check").returncode == 0
    build = eventualc(project, "build")
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "generated" / "my_shop" / "README.md").is_file()
    tests = run(project, sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout
    graph = eventualc(project, "graph")
    assert graph.returncode == 0 and "GreetingRequested" in graph.stdout
    assert eventualc(project, "build", "--check").returncode == 0


def test_init_pre_commit_config_runs_the_eventualc_hooks(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    assert eventualc(tmp_path, "init", "hooks").returncode == 0
    project = tmp_path / "hooks"
    assert eventualc(project, "build").returncode == 0
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        assert run(project, *command).returncode == 0
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")}
    hooks = run(project, sys.executable, "-m", "pre_commit", "run", "--all-files", env=env)
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert "eventualc check" in hooks.stdout and "Passed" in hooks.stdout
    spec = project / "specs" / "hooks.yaml"
    spec.write_text(spec.read_text().replace("events: [GreetingRequested]", "events: [Nope]"))
    failing = run(project, sys.executable, "-m", "pre_commit", "run", "--all-files", env=env)
    assert failing.returncode == 1
    assert "error[E306]: unknown event 'Nope'" in failing.stdout


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    refused = eventualc(tmp_path, "init", "taken")
    assert refused.returncode == 2
    assert "taken already exists and is not an empty folder" in refused.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert eventualc(tmp_path, "init", "empty").returncode == 0


@pytest.mark.parametrize("name", ["9lives", "class", "a b", "ü"])
def test_init_rejects_names_that_make_no_service(tmp_path: Path, name: str) -> None:
    refused = eventualc(tmp_path, "init", name)
    assert refused.returncode == 2, refused.stderr
    assert "cannot make a service name" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / name).exists()


def test_service_names_and_files_follow_the_project_name() -> None:
    assert service_name("Order-Service.v2") == "order_service_v2"
    files = starter_files("Order-Service.v2")
    assert "specs/order_service_v2.yaml" in files
    assert "service: order_service_v2\n" in files["specs/order_service_v2.yaml"]
    assert 'name = "Order-Service.v2"' in files["pyproject.toml"]
    assert not any("__SERVICE__" in t or "__NAME__" in t for t in files.values())


def test_init_no_git_leaves_the_folder_alone(tmp_path: Path) -> None:
    created = eventualc(tmp_path, "init", "plain", "--no-git")
    assert created.returncode == 0, created.stderr
    assert not (tmp_path / "plain" / ".git").exists()
    ignored = (tmp_path / "plain" / ".gitignore").read_text().splitlines()
    assert "cdk.out/" in ignored and ".eventual/" in ignored  # synth's output is not staged


def test_init_depends_on_the_eventualc_that_made_it(tmp_path: Path) -> None:
    assert eventualc(tmp_path, "init", "dep", "--no-git").returncode == 0
    settings = tomllib.loads((tmp_path / "dep" / "pyproject.toml").read_text())
    from eventualc.project.scaffold import installed_requirement

    assert settings["project"]["dependencies"] == [installed_requirement()]
    assert settings["build-system"]["build-backend"] == "hatchling.build"


@pytest.mark.parametrize(
    ("version", "direct_url", "requirement"),
    [
        ("0.2.0", None, "eventualc~=0.2.0"),
        ("0.2.0rc1", None, "eventualc>=0.2.0rc1"),
        ("0.2.0", '{"url": "file:///src/eventualc", "dir_info": {"editable": true}}',
         "eventualc @ file:///src/eventualc"),
        ("0.2.0", '{"url": "file:///w/eventualc-0.2.0-py3-none-any.whl", "archive_info": {}}',
         "eventualc @ file:///w/eventualc-0.2.0-py3-none-any.whl"),
        ("0.2.0", '{"url": "https://example.org/eventualc.git", "vcs_info": {"vcs": "git", '
         '"commit_id": "abc123", "requested_revision": "v0.2.0"}}',
         "eventualc @ git+https://example.org/eventualc.git@abc123"),
        ("0.2.0", "not json", "eventualc~=0.2.0"),
    ],
)  # fmt: skip
def test_the_requirement_names_where_eventualc_came_from(
    version: str, direct_url: str | None, requirement: str
) -> None:
    assert requirement_of(version, direct_url) == requirement
    files = starter_files("x", requirement)
    assert tomllib.loads(files["pyproject.toml"])["project"]["dependencies"] == [requirement]
