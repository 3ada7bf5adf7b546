"""The distribution as a user gets it: a wheel built from this repository, installed into
a fresh virtual environment, starts a project whose build and tests pass.

eventualc and eventual come from the wheel alone: PYTHONPATH is cleared for every
command, and the new environment's own site-packages come first. To keep the test short,
the environment also sees the test run's site-packages (after its own, through a
``.pth`` file, like ``--system-site-packages`` one level up), so the wheel's
dependencies are found installed rather than downloaded again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

from tests.support import REPO

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def run(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def test_the_wheel_installs_and_starts_a_project_that_builds_and_passes(tmp_path: Path) -> None:
    run(REPO, sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", ".")
    (wheel,) = (tmp_path / "dist").glob("eventualc-*.whl")
    assert wheel.name == f"eventualc-{VERSION}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    for carried in ("eventualc/cli/__init__.py", "eventualc/spec.schema.json",
                    "eventualc/project/starter/spec.yaml.tmpl", "eventual/engine/__init__.py"):  # fmt: skip
        assert carried in names
    templates = {"eventualc/emit/templates/stub.py.jinja", "eventualc/emit/templates/macros.jinja"}
    assert templates <= set(names)

    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    run(tmp_path, base, "-m", "venv", venv)
    python, eventualc = venv / "bin" / "python", venv / "bin" / "eventualc"
    own = run(tmp_path, python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(own.stdout.strip()) / "zz_test_run.pth").write_text("\n".join(sorted(parents)) + "\n")
    run(tmp_path, python, "-m", "pip", "install", "-q", wheel)
    where = run(tmp_path, python, "-c", "import eventualc, eventual; print(eventualc.__file__, "
                "eventual.__file__)").stdout.split()  # fmt: skip
    assert all(path.startswith(str(venv)) for path in where), where
    assert run(tmp_path, eventualc, "--version").stdout.strip() == f"eventualc, version {VERSION}"

    run(tmp_path, eventualc, "init", "my-shop")
    project = tmp_path / "my-shop"
    assert (project / ".git").is_dir()
    settings = tomllib.loads((project / "pyproject.toml").read_text())
    assert settings["project"]["dependencies"] == [f"eventualc @ {wheel.as_uri()}"]
    installed = run(project, python, "-m", "pip", "install", "-e", ".")  # it resolves
    assert "Successfully installed my-shop" in installed.stdout
    run(project, eventualc, "build")
    tests = run(project, python, "-m", "pytest", "-p", "no:cacheprovider")
    assert "3 passed" in tests.stdout
