"""Property-based fuzzing of the whole front end.

Random YAML documents, random structural mutations of the example spec and random
edits of its text must never raise: `eventualc check` always exits 0 or 1 with
located diagnostics, never an internal error.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import REPO, json_paths

from eventualc.cli import cli

EXAMPLE_TEXT = (REPO / "specs" / "orders.yaml").read_text()
EXAMPLE = yaml.safe_load(EXAMPLE_TEXT)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.sampled_from(
    ["service", "events", "tasks", "workflows", "subscriptions", "types", "schema", "steps",
     "input", "output", "task", "if", "then", "for_each", "filter", "emits", "retry", "$ref",
     "OrderCreated", "processPayment", "x", "on", "${{ input }}", "${{ steps.a.output }}"]
) | st.text(max_size=8)  # fmt: skip
scalars = (
    st.none() | st.booleans() | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False) | names
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=20,
)


def check_text(text: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("")
        (root / "spec.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.chdir(root):
            result = CliRunner().invoke(cli, ["check", str(root / "spec.yaml")])
    return result.exit_code, result.output + str(result.exception or "")


def assert_clean(text: str) -> None:
    code, output = check_text(text)
    assert code in (0, 1), output
    assert "internal error" not in output and "Traceback" not in output, output


@FUZZ
@given(json_values)
def test_random_documents(document: Any) -> None:
    assert_clean(yaml.safe_dump(document, allow_unicode=True))


def _mutate(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(value)] = parent.pop(key)
    else:
        parent[key] = value
    return document


@FUZZ
@given(st.data())
def test_mutations_of_the_example(data: st.DataObject) -> None:
    document = yaml.safe_load(EXAMPLE_TEXT)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(json_paths(document)))
        action = data.draw(st.sampled_from(["delete", "rename", "replace"]))
        document = _mutate(document, path, action, data.draw(json_values))
    assert_clean(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


@FUZZ
@given(st.data())
def test_text_edits_of_the_example(data: st.DataObject) -> None:
    text = EXAMPLE_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 20))
        insert = data.draw(st.text(alphabet=" :-[]{}$!&*#'\"\t\n{}abcOE0", max_size=6))
        text = text[:at] + insert + text[at + cut :]
    assert_clean(text)


def test_the_example_is_clean() -> None:
    assert check_text(EXAMPLE_TEXT) == (0, "eventualc: 1 file, 1 service: no problems\n")
