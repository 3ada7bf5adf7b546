"""`eventualc check` as users run it: exit codes, formats, settings, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support import REPO, eventualc

BAD = """\
service: shop
events:
  OrderCreated:
    schema: {type: object, properties: {id: {type: string}}}
subscriptions:
  onOrder:
    events: [OrderCreatd]
"""
WARN = "service: shop\nevents:\n  Lonely: {schema: string}\n"


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    process = eventualc(tmp_path, *args)
    return process.returncode, process.stdout, process.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "specs").mkdir()
    return tmp_path


def test_example_specs_check_clean_and_say_so_in_one_line() -> None:
    assert run(REPO, "check") == (0, "", "eventualc: 1 file, 1 service: no problems\n")


def test_check_counts_files_and_services_in_its_summary(project: Path) -> None:
    (project / "specs" / "a.yaml").write_text(WARN)
    (project / "specs" / "b.yaml").write_text(WARN.replace("shop", "shed"))
    code, _, err = run(project, "check")
    assert code == 0
    assert err.splitlines()[-1] == "eventualc: 2 files, 2 services: 0 errors, 2 warnings"
    code, _, err = run(project, "check", "--format", "json")
    assert err == "eventualc: 2 files, 2 services: 0 errors, 2 warnings\n"


def test_errors_exit_1_with_located_first_line(project: Path) -> None:
    (project / "specs" / "shop.yaml").write_text(BAD)
    code, out, err = run(project, "check")
    assert code == 1
    first = out.splitlines()[0]
    assert first == (
        "specs/shop.yaml:7:14: error[E306]: unknown event 'OrderCreatd'; "
        "did you mean 'OrderCreated'?"
    )
    assert "    7 |     events: [OrderCreatd]" in out
    assert "1 error, 0 warnings" in err
    assert "Traceback" not in out + err


def test_json_format(project: Path) -> None:
    (project / "specs" / "shop.yaml").write_text(BAD)
    code, out, _ = run(project, "check", "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {
            "file": "specs/shop.yaml", "line": 7, "column": 14, "severity": "error",
            "code": "E306", "message": "unknown event 'OrderCreatd'; did you mean 'OrderCreated'?",
        }
    ]  # fmt: skip


def test_warnings_pass_unless_strict(project: Path) -> None:
    (project / "specs" / "shop.yaml").write_text(WARN)
    code, out, _ = run(project, "check")
    assert code == 0 and "warning[W701]" in out
    code, _, _ = run(project, "check", "--strict")
    assert code == 1


@pytest.mark.parametrize(
    "args",
    [["check", "nope/"], ["check", "--format", "xml"], ["bogus"], ["check", "--nope"]],
)
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    code, out, err = run(project, *args)
    assert code == 2
    assert "Traceback" not in out + err


def test_pyproject_settings_choose_specs(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.eventualc]\nspecs = ['api']\n")
    (project / "api").mkdir()
    (project / "api" / "a.yaml").write_text(BAD)
    code, out, _ = run(project, "check")
    assert code == 1 and out.startswith("api/a.yaml:7:14")


def test_broken_pyproject_is_a_usage_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.eventualc\n")
    code, _, err = run(project, "check")
    assert code == 2 and "pyproject.toml" in err


def test_check_does_not_import_code_generators(project: Path) -> None:
    probe = (
        "import sys\nfrom eventualc.cli import main\n"
        "try:\n    main(['check', '" + str(REPO / "specs") + "'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = {'datamodel_code_generator', 'jinja2', 'aws_cdk'} & "
        "{m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert process.stdout.strip() == "[]"


def test_python_m_is_the_same_command(project: Path) -> None:
    code, out, _ = run(project, "--version")
    assert code == 0 and out.startswith("eventualc, version")
