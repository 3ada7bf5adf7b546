"""Setting the repository up as a newcomer does: the Makefile's own virtual environment,
CI's script, and the repository's pre-commit hooks leaving generated files alone."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.support import REPO


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-C", str(REPO), *args], capture_output=True, text=True,
                          check=False, timeout=300)  # fmt: skip


def dry_run(target: str, venv: Path) -> list[str]:
    done = make("-n", target, f"VENV={venv}")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line]


def test_demo_installs_the_package_alone_into_its_own_venv(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    lines = dry_run("demo", venv)
    assert f"python3 -m venv {venv}" in lines
    assert installs(lines) == [f"{venv}/bin/python -m pip install --progress-bar on -e ."]
    assert "eventualc run specs/ processOrder --input '\"order-1\"' --name order-1" in lines


def test_check_adds_the_extras_into_the_same_venv(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    commands = installs(dry_run("check", venv))
    assert commands[-1] == f"{venv}/bin/python -m pip install --progress-bar on -e '.[dev,cdk]'"
    assert all(command.startswith(f"{venv}/bin/python -m pip ") for command in commands)


def test_make_runs_the_venvs_tools_first_in_path(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    shown = make("-n", "-p", f"VENV={venv}", "install").stdout
    assert f"PATH := {venv}/bin:" in shown


def _externally_managed() -> str:
    """Debian's python3 when this machine has it (PEP 668 marker), else the base python."""
    for marker in Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"):
        python = Path("/usr/bin") / marker.parent.name
        if python.is_file():
            return str(python)
    return getattr(sys, "_base_executable", sys.executable)


def test_the_venv_is_made_where_python3_is_externally_managed(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    python = _externally_managed()
    made = make(f"{venv}/bin/python", f"PYTHON={python}", f"VENV={venv}")
    assert made.returncode == 0, made.stdout + made.stderr
    assert (venv / "pyvenv.cfg").is_file()
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--version"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert str(venv) in pip.stdout  # pip installs into the venv, not into `python`


def test_a_python_without_venv_is_refused_with_what_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    made = make(f"{tmp_path}/v/bin/python", f"PYTHON={fake}", f"VENV={tmp_path}/v")
    assert made.returncode != 0
    assert "apt-get install python3-venv" in made.stdout


def test_ci_installs_nothing_itself_but_runs_make_check() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert "pip install" not in script
    assert script.rstrip().endswith("make check")


def _ruff_hooks() -> dict[str, list[str]]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    return {hook["id"]: shlex.split(hook["entry"]) for hook in hooks
            if hook["entry"].startswith("ruff")}  # fmt: skip


def test_the_ruff_hooks_honour_the_pyproject_excludes() -> None:
    hooks = _ruff_hooks()
    assert set(hooks) == {"ruff-format", "ruff"}
    assert all("--force-exclude" in entry for entry in hooks.values())


@pytest.mark.parametrize("folder", ["generated", "tests/golden"])
def test_the_ruff_hooks_change_no_generated_file(folder: str) -> None:
    files = [str(p.relative_to(REPO)) for p in sorted((REPO / folder).rglob("*.py"))]
    assert files
    for hook, entry in _ruff_hooks().items():
        # What pre-commit runs, given these file names, but reporting instead of fixing.
        command = [sys.executable, "-m", *entry, *files]
        command = [a for a in command if a != "--fix"]
        command.append("--check" if hook == "ruff-format" else "--no-fix")
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Would reformat" not in done.stdout
