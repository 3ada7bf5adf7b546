"""Generated names: services made of random legal names, builtins and the names of
typing, pydantic and the runtime included, either build to code that passes ruff and
``mypy --strict``, imports and runs a workflow, or fail ``check`` with located name
errors (E202 a clash, E203 a keyword, E207 a name generated models import)."""

from __future__ import annotations

import importlib
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import REPO, CheckSpec, MakeService, forget

from eventual.testing import TestEnvironment
from eventualc.cli import cli
from eventualc.pipeline import load

TRICKY_CLASSES = [
    "Any", "Service", "Model", "BaseModel", "Field", "Enum", "Literal", "Path", "Optional",
    "List", "Dict", "Str", "Int", "Type", "Object", "TaskContext", "SubscriptionContext",
    "Annotated", "TypeAliasType", "ConfigDict", "Importlib", "Models", "Input", "Output",
    "FooInput", "Foo", "OrderStatus", "Order", "TYPE", "Json", "Self",
]  # fmt: skip
TRICKY_FUNCTIONS = [
    "eventual", "annotations", "any", "list", "dict", "str", "int", "type", "object",
    "print", "typing", "pydantic", "models", "service", "handlers", "input", "ctx", "self",
    "importlib", "path", "json", "os", "sys", "field", "model", "foo", "order", "match",
    "case", "class", "len", "id", "hash", "vars", "open", "exec",
]  # fmt: skip
classes = st.sampled_from(TRICKY_CLASSES) | st.from_regex(r"\A[A-Z][A-Za-z0-9]{0,8}\Z")
# YAML reads `true`, `false` and `null` as values, not names
functions = st.sampled_from(TRICKY_FUNCTIONS) | st.from_regex(r"\A[a-z][A-Za-z0-9]{0,8}\Z").filter(
    lambda name: name not in ("true", "false", "null")
)
# not `k`: the event's schema has a property `k` of its own (twice is E003, not a name error)
properties = st.sampled_from(["status", "input", "model", "any", "self", "type"]) | (
    st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z").filter(lambda name: name != "k")
)
NAME_CODES = {"E202", "E203", "E207"}


@st.composite
def specs(draw: Any, service: str) -> str:
    """A service of random names: a type, an event with a nested enum, a task with an
    inline input, a workflow calling it, and a subscription."""
    kind, event = draw(classes), draw(classes)
    task, flow, sub = draw(functions), draw(functions), draw(functions)
    prop = draw(properties)
    return textwrap.dedent(f"""\
        service: {service}
        types:
          {kind}: {{type: object, required: [{prop}], properties: {{{prop}: {{enum: [a, b]}}}}}}
        events:
          {event}: {{schema: {{type: object, properties: {{{prop}: {{enum: [x, y]}}, k: {kind}}}}}}}
        tasks:
          {task}: {{input: {{type: object, properties: {{{prop}: string}}}}, output: {kind}}}
        workflows:
          {flow}:
            input: string
            output: {kind}
            steps:
              - id: made
                task: {task}
                input: {{{prop}: "${{{{ input }}}}"}}
              - return: ${{{{ steps.made.output }}}}
        subscriptions:
          {sub}: {{events: [{event}]}}
        """)


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False)


def test_random_names_build_clean_code_or_located_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    built: list[str] = []
    rejected: list[str] = []
    numbers = itertools.count()

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        number = next(numbers)
        spec = data.draw(specs(f"svc{number}"))
        folder = tmp_path / f"spec{number}"
        folder.mkdir()
        (folder / "spec.yaml").write_text(spec)
        front = load([folder], tmp_path)
        errors = [d for d in front.diagnostics if d.is_error]
        if errors:
            assert {d.code for d in errors} <= NAME_CODES, (spec, errors)
            assert all(d.span is not None for d in errors), errors
            rejected.append(spec)
            return
        out = f"gen{number}"
        result = CliRunner().invoke(cli, ["build", str(folder), "--out", out])
        assert result.exit_code == 0, (spec, result.output)
        built.append(out)
        run_workflow(tmp_path / out, out, spec)

    one()
    assert built, "every example was rejected"
    # As in a user's project, where eventual and eventualc are installed packages.
    lint = run_tool("ruff", "check", "--no-cache", "--config", str(REPO / "tests/golden/ruff.toml"),
                    *(str(tmp_path / out) for out in built))  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    typed = run_tool(
        sys.executable, "-m", "mypy", "--strict", "--no-incremental",
        "--config-file", str(REPO / "pyproject.toml"), *(str(tmp_path / out) for out in built),
    )  # fmt: skip
    assert typed.returncode == 0, typed.stdout
    for out in built:
        forget(out)


def run_workflow(folder: Path, package: str, spec: str) -> None:
    """Implements the task by its stub's signature and runs the workflow to its end."""
    service_name = spec.split("service:")[1].split()[0]
    module = importlib.import_module(f"{package}.{service_name}")
    service = module.service
    [task] = service.tasks
    [flow] = service.workflows
    env = TestEnvironment(service)
    prop = spec.split("required: [")[1].split("]")[0]
    env.mock_task(task).succeed({prop: "a"})
    execution = env.start_execution(flow, "hello")
    env.tick(5)
    status = execution.get_status()
    assert status.status == "SUCCEEDED", (spec, status)
    assert status.result == {prop: "a"}


def test_a_type_named_like_a_task_input_is_a_located_clash(check_spec: CheckSpec) -> None:
    spec = """\
    service: shop
    types:
      FooInput: {type: object, properties: {a: {type: string}}}
    tasks:
      foo: {input: {type: object, properties: {b: {type: string}}}}
    """
    [problem] = check_spec(spec).diagnostics
    assert problem.code == "E202" and problem.span is not None and problem.span.line == 5
    assert "'foo.input' clashes with type 'FooInput'" in problem.message


def test_a_nested_enum_and_an_event_of_one_class_name_clash(check_spec: CheckSpec) -> None:
    spec = """\
    service: shop
    types:
      Order: {type: object, properties: {status: {enum: [new, done]}}}
    events:
      OrderStatus: {schema: {type: object, properties: {order: Order}}}
    """
    problems = [d for d in check_spec(spec).diagnostics if d.is_error]
    assert [(d.code, d.span.line) for d in problems] == [("E202", 5)]  # type: ignore[union-attr]
    assert "both become the model class 'OrderStatus'" in problems[0].message


@pytest.mark.parametrize("name", ["Any", "BaseModel", "Field", "Annotated", "TypeAliasType"])
def test_names_generated_models_import_are_located_errors(check_spec: CheckSpec, name: str) -> None:
    [problem] = check_spec(f"service: shop\ntypes:\n  {name}: {{type: object}}\n").diagnostics
    assert problem.code == "E207" and problem.span is not None and problem.span.line == 3


def test_an_event_named_service_and_tasks_named_like_imports_build(
    make_service: MakeService,
) -> None:
    spec = """\
    service: shop
    types:
      Path: {type: object, properties: {p: {type: string}}}
    events:
      Service: {schema: {type: object, properties: {p: Path}}}
    tasks:
      eventual: {input: Path, output: Path}
      annotations: {input: string, output: string}
    subscriptions:
      onService: {events: [Service]}
    """
    service = make_service(spec)
    assert service.name == "shop"
    assert sorted(service.tasks) == ["annotations", "eventual"]


def test_model_imports_keep_the_order_ruff_sorts_them_in(tmp_path: Path) -> None:
    """By module, naturally: ``MVInput`` sorts before ``ModelInput`` but ``mv_input``
    after ``model_input``; ``a9`` before ``a10``."""
    from eventualc.emit.models import _package_init

    exports = {"MVInput": "mv_input", "ModelInput": "model_input", "A10": "a10", "A9": "a9"}
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text(_package_init(exports))
    config = str(REPO / "tests/golden/ruff.toml")
    lint = run_tool("ruff", "check", "--no-cache", "--config", config, str(tmp_path / "models"))
    assert lint.returncode == 0, lint.stdout
