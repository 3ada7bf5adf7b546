"""Step kinds: the compiler's registry is the spec schema's ``x-kinds``, each kind is one
class that carries every stage's part, and a spec with every kind goes through them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventualc.frontend.shape import step_kinds
from eventualc.frontend.symbols import walk_steps
from eventualc.graphs.flowchart import flowchart
from eventualc.kinds import ALL, KINDS, StepKind
from eventualc.pipeline import load

STAGES = ("lower", "check", "output", "draw")  # what ``StepKind`` asks of every kind


def test_the_registry_is_the_schemas_step_kinds() -> None:
    assert sorted(KINDS) == sorted(step_kinds())


def test_no_two_kinds_share_a_name() -> None:
    assert len(KINDS) == len(ALL)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_is_one_class_with_every_stages_part(name: str) -> None:
    kind = KINDS[name]
    assert isinstance(kind, StepKind)  # every member of the protocol is there
    assert kind.name == name
    assert isinstance(kind.start_shown, bool)
    for stage in STAGES:  # its own method, not the protocol's empty one
        assert getattr(type(kind), stage) is not getattr(StepKind, stage), f"{name}.{stage}"


def test_a_class_missing_a_stage_is_not_a_kind() -> None:
    class Half:
        name = "half"
        start_shown = True

        def lower(self, src: object) -> dict[str, object]:
            return {}

    assert not isinstance(Half(), StepKind)


EVERY_KIND = """\
service: kinds
events:
  Ping: {schema: {type: object, properties: {n: {type: integer}}}}
tasks:
  work: {input: string, output: integer}
workflows:
  child: {input: string, output: string, steps: [{return: "${{ input }}"}]}
  all:
    input: string
    output: integer
    signals: {go: string}
    steps:
      - {id: counted, task: work, input: "${{ input }}"}
      - {workflow: child, input: "${{ input }}"}
      - {emit: Ping, payload: {n: "${{ steps.counted.output }}"}}
      - {sleep: 1s}
      - {sleep_until: "${{ now }}"}
      - {wait_for_signal: go}
      - {wait_for_event: Ping, match: {n: 1}}
      - if: "${{ input == 'x' }}"
        then: [{set: {n: 1}}]
      - parallel: {a: [{set: {m: 1}}], b: [{set: {k: 2}}]}
      - for_each: "${{ [1, 2] }}"
        steps: [{set: {i: "${{ item }}"}}]
      - try: [{fail: {error: Oops, message: no}}]
        catch: [{steps: [{set: {e: 1}}]}]
      - while: "${{ true }}"
        steps:
          - if: "${{ input == 'a' }}"
            then: [{break: true}]
          - continue: true
      - return: "${{ steps.counted.output }}"
"""


def test_every_kind_goes_through_every_stage(tmp_path: Path) -> None:
    """A spec with a step of each kind lowers and checks clean (each kind's ``lower``,
    ``check`` and ``output``), and its flowchart has each step's node (``draw``)."""
    (tmp_path / "kinds.yaml").write_text(EVERY_KIND)
    front = load([tmp_path], tmp_path)
    assert front.build is not None and front.diagnostics == []
    (service,) = front.build.services
    workflow = next(w for w in service.workflows if w.name == "all")
    steps = walk_steps(workflow.steps)
    assert {step.kind for step in steps} == set(KINDS)
    drawn = flowchart(service, workflow)
    labels = {node.lines[0] for node in drawn.nodes}
    for title in ("task work", "workflow child", "emit Ping", "sleep 1s", "sleep until now",
                  "wait for signal go", "wait for event Ping by n", "if input == 'x'",
                  "parallel", "for each item in [1, 2]", "try", "set vars.n", "fail Oops",
                  "while true", "break", "continue", "return"):  # fmt: skip
        assert title in labels, title
    edges = {(edge.kind, edge.label) for edge in drawn.edges}
    assert {("flow", "break"), ("flow", "continue"), ("flow", "done")} <= edges
