"""Property-based tests of the workflow interpreter against a small reference evaluator.

One small service is built once per module (building costs ~0.5 s); every example is a
random workflow written directly in the ``definition.json`` step format (task, if, set,
for_each, parallel, try/catch, sleep, fail and return, nested to depth 3, integer
expressions over ``input``, ``vars``, the loop variables, ``index`` and the outputs of
task steps that surely ran), added to a copy of that service's definition and run in a
``TestEnvironment`` whose only task fails for the inputs hypothesis picks. The same
example run twice must give the same history, the second time with every
execution's state stored as JSON and read back before each event.

The reference evaluator below walks the same JSON steps with plain recursion. Branches
of a ``parallel`` and iterations of a ``for_each`` run concurrently (CONTRACT §2.6), so
when several of them fail or return, which one ends the step depends on timing: the
reference gives the *set* of outcomes some timing allows and the interpreter's must be
one of them (in most examples that set has exactly one element). ``set`` is generated
only where nothing runs concurrently (a ``for_each`` with ``concurrency: 1`` runs its
iterations one after the other), so ``vars`` are never raced.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import random
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from tests.support import forget

from eventual import ExecutionStatus, Service, TaskError
from eventual.state import dump_state, load_state
from eventual.testing import TestEnvironment
from eventualc.cli import cli

SPEC = """\
service: props
tasks:
  work: {input: integer, output: integer}
workflows:
  trivial:
    input: integer
    output: integer
    steps:
      - return: ${{ input }}
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The built ``props`` service (built once for the whole module)."""
    root = tmp_path_factory.mktemp("props")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "spec.yaml").write_text(SPEC)
    out = f"gen_{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        result = CliRunner().invoke(cli, ["build", "spec.yaml", "--out", out])
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(root))
    try:
        service: Service = importlib.import_module(f"{out}.props").service
        yield service
    finally:
        sys.path.remove(str(root))
        forget(out)


# -- the task -----------------------------------------------------------------------------

FAILURES = ("Boom", "Bust", "ValueError")  # ValueError: a plain exception, named by its class


def work(n: int, failing: dict[int, str]) -> int:
    """What the mocked ``work`` task does with input ``n``."""
    kind = failing.get(n)
    if kind == "ValueError":
        raise ValueError(f"bad value {n}")
    if kind is not None:
        raise TaskError(kind, f"{kind.lower()} on {n}")
    return (n * 7 + 3) % 23


def work_outcome(n: int, failing: dict[int, str]) -> tuple[str, Any]:
    try:
        return "ok", work(n, failing)
    except Exception as exc:
        name = exc.name if isinstance(exc, TaskError) else type(exc).__name__
        return "fail", {"error": name, "message": str(exc)}


# -- random workflows, as definition steps ------------------------------------------------

MAX_DEPTH = 3
CATCH_ERRORS = (("*",), ("Boom",), ("Bust",), ("Boom", "ValueError"), ("Nope",))


@dataclass(frozen=True)
class Scope:
    """What a generated step may refer to where it stands."""

    ints: tuple[str, ...] = ()  # visible task steps without catch: integer outputs
    ids: tuple[str, ...] = ()  # every visible step id
    loop: tuple[str, ...] = ()  # for_each variables in scope
    errors: tuple[str, ...] = ()  # catch variables in scope
    concurrent: bool = False  # in a parallel branch or a concurrent for_each: no `set`
    depth: int = 0
    abrupt: int = 1  # 0, 1, 2: how often a block ends with a `fail` or `return`
    ids_seq: Iterator[int] = field(default_factory=lambda: itertools.count(1), compare=False)

    def nested(self, **changes: Any) -> Scope:
        return replace(self, depth=self.depth + 1, **changes)

    def after(self, step: dict[str, Any]) -> Scope:
        """The scope of the steps after ``step`` in the same block."""
        if step["id"] is None:
            return self
        typed = step["kind"] == "task" and "catch" not in step
        ints = (*self.ints, step["id"]) if typed else self.ints
        return replace(self, ids=(*self.ids, step["id"]), ints=ints)


def placeholder(expr: str) -> str:
    return "${{ " + expr + " }}"


@st.composite
def int_exprs(draw: st.DrawFn, scope: Scope, depth: int = 2, use_vars: bool = True) -> str:
    names = ["input", "vars.x", "vars.y"] if use_vars else ["input"]
    local = [*scope.loop, *(["index"] if scope.loop else [])]
    local += [f"steps.{i}.output" for i in scope.ints]
    atom = st.integers(0, 9).map(str) | st.sampled_from(names)
    atom = atom | st.sampled_from(local) if local else atom
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(atom)
    op = draw(st.sampled_from("+-*"))
    left = draw(int_exprs(scope, depth - 1, use_vars))
    right = (
        str(draw(st.integers(0, 3))) if op == "*" else draw(int_exprs(scope, depth - 1, use_vars))
    )
    return f"({left} {op} {right})"


@st.composite
def bool_exprs(draw: st.DrawFn, scope: Scope, depth: int = 1) -> str:
    choice = draw(st.integers(0, 3 if depth else 0))
    if choice == 0:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "=="]))
        return f"({draw(int_exprs(scope, 1))} {op} {draw(int_exprs(scope, 1))})"
    if choice == 1:
        return f"!({draw(bool_exprs(scope, depth - 1))})"
    op = "&&" if choice == 2 else "||"
    return f"({draw(bool_exprs(scope, depth - 1))} {op} {draw(bool_exprs(scope, depth - 1))})"


@st.composite
def values(draw: st.DrawFn, scope: Scope, depth: int = 1) -> Any:
    """A `return` template: any JSON value whose strings may hold placeholders."""
    options = ["int", "vars", "text"]
    options += ["step"] if scope.ids else []
    options += ["error", "message"] if scope.errors else []
    options += ["dict", "list"] if depth else []
    choice = draw(st.sampled_from(options))
    if choice == "int":
        return placeholder(draw(int_exprs(scope)))
    if choice == "vars":
        return placeholder("vars")
    if choice == "step":
        return placeholder(f"steps.{draw(st.sampled_from(scope.ids))}.output")
    if choice == "error":
        return placeholder(draw(st.sampled_from(scope.errors)))
    if choice == "message":
        return placeholder(f"{draw(st.sampled_from(scope.errors))}.message")
    if choice == "text":
        text = "n=" + placeholder(draw(int_exprs(scope, 1)))
        if scope.errors:
            var = draw(st.sampled_from(scope.errors))
            text += f" {placeholder(var + '.error')}: {placeholder(var + '.message')}"
        return text
    inner = draw(st.lists(values(scope, depth - 1), min_size=1, max_size=3))
    return {f"k{i}": v for i, v in enumerate(inner)} if choice == "dict" else inner


@st.composite
def blocks(draw: st.DrawFn, scope: Scope, min_len: int | None = None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if min_len is None:  # now and then an empty block
        min_len = int(draw(st.integers(0, 7)) > 0)
    count = draw(st.integers(min_len, max(min_len, 3 - scope.depth // 2)))
    for i in range(count):
        step = draw(steps_(scope))
        steps.append(step)
        if i < count - 1:  # a block's last step gives its output: never a record
            steps += draw(records(scope, step))
        scope = scope.after(step)
    if scope.abrupt and not draw(st.integers(0, 8 // scope.abrupt)):  # a block may end early
        steps.append(draw(abrupt_steps(scope)))
    return steps


@st.composite
def records(draw: st.DrawFn, scope: Scope, step: dict[str, Any]) -> list[dict[str, Any]]:
    """Often, where vars may be set, a `set` that keeps ``step``'s output in a var of its
    own, so the final `return` of `vars` shows it."""
    if scope.concurrent or step["id"] is None or not draw(st.integers(0, 2)):
        return []
    output = placeholder(f"steps.{step['id']}.output")
    return [{"kind": "set", "id": None, "set": [[f"r{step['id']}", output]]}]


@st.composite
def abrupt_steps(draw: st.DrawFn, scope: Scope) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"kind": "return", "id": None, "value": draw(values(scope))}
    failure = draw(st.sampled_from([*FAILURES, "Nope"]))
    message = "failed at " + placeholder(draw(int_exprs(scope, 1)))
    return {"kind": "fail", "id": None, "error": failure, "value": message}


@st.composite
def catches(draw: st.DrawFn, scope: Scope) -> list[dict[str, Any]]:
    clauses = []
    for _ in range(draw(st.integers(1, 2))):
        var = draw(st.sampled_from(["error", "err"]))
        body = draw(
            blocks(scope.nested(errors=(*scope.errors, var)), int(draw(st.integers(0, 3)) > 0))
        )
        errors = list(draw(st.sampled_from(CATCH_ERRORS)))
        clauses.append({"errors": errors, "as": var, "steps": body})
    return clauses


@st.composite
def steps_(draw: st.DrawFn, scope: Scope) -> dict[str, Any]:
    kinds = ["task"] * 4 + ["sleep"] + ([] if scope.concurrent else ["set", "set"])
    compound = ["if", "for_each", "parallel", "try"] * (2 if scope.depth == 0 else 1)
    kinds += compound if scope.depth < MAX_DEPTH else []
    kind = draw(st.sampled_from(kinds))
    step: dict[str, Any] = {"kind": kind, "id": f"s{next(scope.ids_seq)}"}
    if not draw(st.integers(0, 5)):
        step["id"] = None
    if kind == "task":
        step.update(target="work", value=placeholder(draw(int_exprs(scope))))
    elif kind == "sleep":  # changes which concurrent branch gets where first
        step["duration"] = float(draw(st.integers(0, 3)))
    elif kind == "set":
        names = draw(st.sampled_from([["x"], ["y"], ["x", "y"]]))
        # with two names, neither reads vars: the order of the assignments cannot matter
        # (it does matter today, see test_a_set_step_does_not_depend_on_how_its_vars_are_named)
        use_vars = len(names) == 1
        step["set"] = [[n, placeholder(draw(int_exprs(scope, use_vars=use_vars)))] for n in names]
    elif kind == "if":
        inner = scope.nested()
        step["value"] = placeholder(draw(bool_exprs(scope)))
        step["blocks"] = {"then": draw(blocks(inner)), "else": draw(blocks(inner, 0))}
    elif kind == "try":
        step["blocks"] = {"try": draw(blocks(scope.nested()))}
    elif kind == "parallel":
        inner = scope.nested(concurrent=True)
        names = draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"]]))
        step["blocks"] = {n: draw(blocks(inner)) for n in names}
    elif kind == "for_each":
        var = draw(st.sampled_from(["item", "elem"]))
        items = draw(
            st.lists(int_exprs(scope, 1), min_size=draw(st.sampled_from([1, 2, 0])), max_size=4)
        )
        step.update(value=placeholder("[" + ", ".join(items) + "]"), var=var)
        concurrency = draw(st.sampled_from([10, 1, 2]))
        step["concurrency"] = concurrency
        # one at a time, iterations may set vars: each sees the vars the one before left
        concurrent = scope.concurrent or concurrency != 1
        inner = scope.nested(loop=(*scope.loop, var), concurrent=concurrent)
        step["blocks"] = {"steps": draw(blocks(inner))}
    if kind == "try" or (
        kind in ("task", "parallel", "for_each") and scope.depth < MAX_DEPTH and draw(st.booleans())
    ):
        step["catch"] = draw(catches(scope))
    return step


@st.composite
def workflows(draw: st.DrawFn) -> list[dict[str, Any]]:
    scope = Scope(abrupt=draw(st.sampled_from([1, 2, 0])))
    init = {"kind": "set", "id": None, "set": [["x", placeholder("input")], ["y", 0]]}
    steps = [init]
    for _ in range(draw(st.integers(1, 6))):
        step = draw(steps_(scope))
        steps += [step, *draw(records(scope, step))]
        scope = scope.after(step)
    if draw(st.integers(0, 7)):  # usually show every top-level output and the vars
        value = {"vars": placeholder("vars")}
        value.update({i: placeholder(f"steps.{i}.output") for i in scope.ids})
        steps.append({"kind": "return", "id": None, "value": value})
    return steps


@st.composite
def failures(draw: st.DrawFn) -> dict[int, str]:
    """Which inputs of `work` fail, and how: none, or about 10%, 25% or 40% of them."""
    rate = draw(st.sampled_from([0.1, 0.25, 0.4, 0.0]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    return {n: rng.choice(FAILURES) for n in range(-3, 24) if rng.random() < rate}


# -- the reference evaluator --------------------------------------------------------------

Outcome = tuple[str, Any, dict[str, Any]]  # ("ok" | "fail" | "return", value, vars)
PLACEHOLDER = re.compile(r"\$\{\{((?:(?!\}\}).)*)\}\}")
LIMIT = 2**40  # far from CEL's int64 overflow, also for intermediate results


class TooBig(Exception):
    """The example's numbers grew out of range: not a case this test judges."""


class Namespace(dict[str, Any]):
    """A dict whose keys are also attributes, for ``vars.x`` and ``steps.s1.output``."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Namespace({k: wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Reference:
    input: int
    failing: dict[int, str]
    steps: dict[str, Any] = field(default_factory=dict)  # visible step outputs
    locals: dict[str, Any] = field(default_factory=dict)  # loop and catch variables

    def evaluate(self, expr: str, vars: dict[str, Any]) -> Any:
        """The generated CEL subset, as Python (the generator parenthesizes everything)."""
        python = expr.replace("&&", " and ").replace("||", " or ").replace("!(", " not (")
        scope = {
            "input": self.input,
            "vars": wrap(vars),
            "steps": wrap({k: {"output": v} for k, v in self.steps.items()}),
            **{k: wrap(v) for k, v in self.locals.items()},
        }
        value = plain(eval(python, {"__builtins__": {}}, scope))
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LIMIT:
            raise TooBig(expr)
        return value

    def render(self, template: Any, vars: dict[str, Any]) -> Any:
        if isinstance(template, dict):
            return {k: self.render(v, vars) for k, v in template.items()}
        if isinstance(template, list):
            return [self.render(v, vars) for v in template]
        if not isinstance(template, str):
            return template
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return self.evaluate(whole.group(1), vars)

        def text(match: re.Match[str]) -> str:
            value = self.evaluate(match.group(1), vars)
            return value if isinstance(value, str) else json.dumps(value)

        return PLACEHOLDER.sub(text, template)

    # blocks and steps

    def block(self, steps: list[dict[str, Any]], vars: dict[str, Any]) -> list[Outcome]:
        running: list[tuple[Any, dict[str, Any], dict[str, Any]]] = [(None, vars, self.steps)]
        ended: list[Outcome] = []
        for step in steps:
            after = []
            for _, now, seen in running:
                for kind, value, later in replace(self, steps=seen).step(step, now):
                    if kind != "ok":
                        ended.append((kind, value, later))
                    elif step["id"] is None:
                        after.append((value, later, seen))
                    else:
                        after.append((value, later, {**seen, step["id"]: value}))
            running = unique(after)
        return unique(ended + [("ok", last, now) for last, now, _ in running])

    def step(self, step: dict[str, Any], vars: dict[str, Any]) -> list[Outcome]:
        kind = step["kind"]
        if kind == "return":
            return [("return", self.render(step["value"], vars), vars)]
        if kind == "fail":
            message = str(self.render(step["value"], vars))
            return [("fail", {"error": step["error"], "message": message}, vars)]
        if kind == "sleep":
            return [("ok", None, vars)]
        if kind == "set":
            assigned = dict(vars)
            for name, template in step["set"]:  # in written order, each sees the ones before
                assigned[name] = self.render(template, assigned)
            return [("ok", None, assigned)]
        if kind == "task":
            status, value = work_outcome(self.render(step["value"], vars), self.failing)
            outcomes: list[Outcome] = [(status, value, vars)]
        elif kind == "if":
            taken = "then" if self.render(step["value"], vars) else "else"
            outcomes = self.block(step["blocks"][taken], vars)
        elif kind == "try":
            outcomes = self.block(step["blocks"]["try"], vars)
        elif kind == "parallel":
            outcomes = self.parallel(step, vars)
        else:
            outcomes = self.for_each(step, vars)
        return self.caught(step, outcomes)

    def parallel(self, step: dict[str, Any], vars: dict[str, Any]) -> list[Outcome]:
        """Any branch's failure or return may end the step first; else all join."""
        names = list(step["blocks"])
        branches = [self.block(step["blocks"][n], vars) for n in names]
        return self.join(
            branches, [True] * len(branches), vars, lambda vs: dict(zip(names, vs, strict=True))
        )

    def for_each(self, step: dict[str, Any], vars: dict[str, Any]) -> list[Outcome]:
        """Iteration i starts once i - concurrency + 1 earlier ones have completed."""
        items = self.render(step["value"], vars)
        if step.get("concurrency") == 1:
            return self.one_by_one(step, items, vars)
        runs = [
            replace(self, locals={**self.locals, step["var"]: item, "index": i}).block(
                step["blocks"]["steps"], vars
            )
            for i, item in enumerate(items)
        ]
        concurrency = step.get("concurrency", 10)
        startable, stuck = [], 0
        for run in runs:
            startable.append(stuck < concurrency)
            stuck += not any(kind == "ok" for kind, _, _ in run)
        return self.join(runs, startable, vars, list)

    def one_by_one(
        self, step: dict[str, Any], items: list[Any], vars: dict[str, Any]
    ) -> list[Outcome]:
        """A for_each with concurrency 1: iterations in order, vars carried along."""
        running: list[tuple[list[Any], dict[str, Any]]] = [([], vars)]
        ended: list[Outcome] = []
        for i, item in enumerate(items):
            iteration = replace(self, locals={**self.locals, step["var"]: item, "index": i})
            after = []
            for outputs, now in running:
                for kind, value, later in iteration.block(step["blocks"]["steps"], now):
                    if kind == "ok":
                        after.append(([*outputs, value], later))
                    else:
                        ended.append((kind, value, later))
            running = unique(after)
        return unique(ended + [("ok", outputs, now) for outputs, now in running])

    @staticmethod
    def join(
        runs: list[list[Outcome]], startable: list[bool], vars: dict[str, Any], shape: Any
    ) -> list[Outcome]:
        ended = [
            o for run, can in zip(runs, startable, strict=True) if can for o in run if o[0] != "ok"
        ]
        for run in runs:  # a concurrent body never writes vars
            assert all(later == vars for _, _, later in run)
        done = [[value for kind, value, _ in run if kind == "ok"] for run in runs]
        return unique(ended + [("ok", shape(list(c)), vars) for c in itertools.product(*done)])

    def caught(self, step: dict[str, Any], outcomes: list[Outcome]) -> list[Outcome]:
        result: list[Outcome] = []
        for kind, value, vars in outcomes:
            clause = next(
                (
                    c
                    for c in step.get("catch", [])
                    if kind == "fail" and ("*" in c["errors"] or value["error"] in c["errors"])
                ),
                None,
            )
            if clause is None:
                result.append((kind, value, vars))
            else:
                handler = replace(self, locals={**self.locals, clause["as"]: value})
                result += handler.block(clause["steps"], vars)
        return unique(result)


def unique(items: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return list(seen.values())


def expected_ends(steps: list[dict[str, Any]], input: int, failing: dict[int, str]) -> set[str]:
    """Every (status, result, error) some timing allows, as canonical JSON."""
    ends = set()
    for kind, value, _ in Reference(input, failing).block(steps, {}):
        if kind == "fail":
            end = ["FAILED", None, [value["error"], value["message"]]]
        else:
            end = ["SUCCEEDED", value if kind == "return" else None, None]
        ends.add(json.dumps(end, sort_keys=True))
    return ends


# -- the properties -----------------------------------------------------------------------


def with_workflow(base: Service, steps: list[dict[str, Any]]) -> Service:
    """``base`` plus workflow ``random``, keys sorted as in the definition.json eventualc writes."""
    steps = json.loads(json.dumps(steps, sort_keys=True))
    body = {"input": None, "output": None, "timeout": None, "signals": {}, "steps": steps}
    version = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    definition = base.definition.to_json()
    definition["workflows"]["random"] = {**body, "version": version}
    return Service(definition, base.package)


class StoredEnvironment(TestEnvironment):
    """Stores and reloads every execution's state as JSON before each event, as the
    SQLite engine and AWS do: a replay through it must not differ in any way."""

    def _apply(self, record: Any, step: Any) -> None:
        history = record.state.history
        record.state = load_state(dump_state(record.state))
        record.state.history = history
        super()._apply(record, step)


def run(
    service: Service, input: int, failing: dict[int, str], stored: bool = False
) -> tuple[str, Any]:
    env = (StoredEnvironment if stored else TestEnvironment)(service)
    env.mock_task("work").invoke(lambda n, _ctx: work(n, failing))
    execution = env.start_execution("random", input=input)
    env.tick(3600)
    status = execution.get_status()
    error = [status.error.error, status.error.message] if status.error else None
    end = json.dumps([status.status.name, status.result, error], sort_keys=True)
    return end, execution.history()


@settings(max_examples=200, deadline=None)
@given(
    steps=workflows(),
    input=st.integers(-3, 23),
    failing=failures(),
)
def test_random_workflows_match_the_reference_and_replay_identically(
    base: Service, steps: list[dict[str, Any]], input: int, failing: dict[int, str]
) -> None:
    try:
        expected = expected_ends(steps, input, failing)
    except TooBig:
        event("toobig")
        reject()
    event(f"{len(expected)} possible end(s)")
    service = with_workflow(base, steps)
    end, history = run(service, input, failing)
    event(json.loads(end)[0])
    assert json.loads(end)[0] != ExecutionStatus.IN_PROGRESS.name
    assert end in expected, f"got {end}, expected one of {sorted(expected)}"
    again, history_again = run(service, input, failing, stored=True)
    assert (again, history_again) == (end, history)


@st.composite
def pair_exprs(draw: st.DrawFn, depth: int = 2) -> str:
    """An integer expression over two vars, named ``P`` and ``Q`` until they get names."""
    atom = st.integers(0, 9).map(str) | st.sampled_from(["vars.P", "vars.Q"])
    if depth == 0 or not draw(st.integers(0, 2)):
        return draw(atom)
    op = draw(st.sampled_from("+-*"))
    return f"({draw(pair_exprs(depth - 1))} {op} {draw(pair_exprs(depth - 1))})"


@settings(max_examples=50, deadline=None)
@given(
    first=pair_exprs(), second=pair_exprs(), start=st.tuples(st.integers(-9, 9), st.integers(-9, 9))
)
def test_a_set_step_does_not_depend_on_how_its_vars_are_named(
    base: Service, first: str, second: str, start: tuple[int, int]
) -> None:
    """Renaming the vars of a two-name `set` (same written order) renames its result:
    whether its templates see the vars before the step or the ones assigned just before,
    the alphabetical order of the names must not matter."""

    def run_named(p: str, q: str) -> Any:
        def named(expr: str) -> str:
            return placeholder(expr.replace("vars.P", f"vars.{p}").replace("vars.Q", f"vars.{q}"))

        steps = [
            {"kind": "set", "id": None, "set": [[p, start[0]], [q, start[1]]]},
            {"kind": "set", "id": None, "set": [[p, named(first)], [q, named(second)]]},
            {"kind": "return", "id": None, "value": [named("vars.P"), named("vars.Q")]},
        ]
        end, _ = run(with_workflow(base, steps), 0, {})
        return json.loads(end)

    assert run_named("a", "b") == run_named("b", "a")
