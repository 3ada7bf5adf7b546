"""How `eventualc check` scales with the size of a spec.

Measures the wall-clock time of `eventualc check` as a whole process (interpreter
start, imports, reading, validation, type-checking), from process start to exit:

- the repository's example `specs/` (cwd = the repository root);
- generated services of N components (default N = 50 and N = 2000);
- baselines: `python -c "pass"` and `python -c "import eventualc.cli"`.

Each figure is the best and the median of `--runs` runs (default 5) after one untimed
warm-up run. Generated services mix 40% events, 20% subscriptions, 25% tasks and 15%
workflows (plus 5 shared `types:` that are not counted), spread over YAML files of
`--per-file` components (default 100), in a temporary directory that holds its own
empty `pyproject.toml`, so it is a project root. Every workflow has 20 top-level steps
using tasks, templates, if/else, for_each, set, parallel, try/catch, sleep,
wait_for_signal, child workflows, emit and a checked return. A generated spec must
check clean (warnings allowed): if not, the script prints the diagnostics and exits 1.

Per-component figures are shown raw (wall / N) and net of the fixed cost, taken as the
example spec's time ((wall - example) / N); the ratio target is judged on the net
figures, since the raw ones fall with N just by spreading start-up over more parts.
It also checks, in a fresh process, that `eventualc check` imports none of
datamodel_code_generator, jinja2 or aws_cdk.

Run from anywhere:  python bench/check_scale.py [--sizes 50,2000] [--runs 5] [--keep]
Exit status: 1 when a generated spec does not check clean, else 0 (figures, not a test).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MIX = {"events": 0.40, "subscriptions": 0.20, "tasks": 0.25, "workflows": 0.15}
TARGET_EXAMPLE_S = 0.3
TARGET_LARGE_S = 3.0
TARGET_LARGE_N = 2000
TARGET_RATIO = 1.5
FORBIDDEN = ("datamodel_code_generator", "jinja2", "aws_cdk")
REGIONS = ["eu", "us", "apac"]

# -- a small block-style YAML writer (the spec reader is YAML 1.2) ---------------------

_PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$./-]*$")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in ("true", "false", "null"):
        return text
    if "'" not in text and text.isprintable():
        return f"'{text}'"  # a template's inner double quotes read best unescaped
    return json.dumps(text)


def _is_block(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    return isinstance(value, list) and any(isinstance(v, dict | list) for v in value)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return scalar(value)


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML lines for a JSON-like value; leaf lists are written in flow style."""
    pad = "  " * indent
    if not _is_block(value):
        return [pad + _inline(value)]
    lines = []
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in items:
        head = f"{pad}{scalar(key)}:" if key is not None else f"{pad}-"
        if not _is_block(item):
            lines.append(f"{head} {_inline(item)}")
        elif key is not None:
            lines += [head, *to_yaml(item, indent + 1)]
        else:
            inner = to_yaml(item, indent + 1)
            lines += [f"{head} {inner[0].lstrip()}", *inner[1:]]
    return lines


# -- the synthetic service --------------------------------------------------------------


def prop(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, **extra}


def obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/types/{name}"}


SHARED_TYPES = {
    "Address": obj(["city"], street=prop("string"), city=prop("string"), zip=prop("string")),
    "Customer": obj(
        ["id", "name", "tier"],
        id=prop("string"),
        name=prop("string"),
        tier=prop("string", enum=["gold", "silver", "bronze"]),
        address=ref("Address"),
    ),
    "Money": obj(
        ["amount", "currency"],
        amount=prop("number"),
        currency=prop("string", enum=["EUR", "USD", "GBP"]),
    ),
    "LineItem": obj(["sku", "qty"], sku=prop("string"), qty=prop("integer"), price=ref("Money")),
    "OrderInput": obj(
        ["orderId", "amount", "customer", "items"],
        orderId=prop("string"),
        amount=prop("number"),
        customer=ref("Customer"),
        items={"type": "array", "items": ref("LineItem")},
    ),
}


@dataclass(frozen=True)
class Counts:
    events: int
    subscriptions: int
    tasks: int
    workflows: int

    @classmethod
    def of(cls, n: int) -> Counts:
        events, subs, tasks = (round(n * MIX[k]) for k in ("events", "subscriptions", "tasks"))
        return cls(events, subs, tasks, n - events - subs - tasks)

    def task(self, kind: int, slot: int) -> str:
        """A task of ``kind`` (i % 3), chosen by ``slot``."""
        per_kind = len(range(kind, self.tasks, 3))
        return f"task{kind + 3 * (slot % per_kind):04d}"

    def event(self, variant: int, slot: int) -> str:
        """An event of ``variant`` (i % 4), chosen by ``slot``."""
        per_variant = len(range(variant, self.events, 4))
        return f"Evt{variant + 4 * (slot % per_variant):04d}"


def event(i: int) -> dict[str, Any]:
    """Events share orderId/amount/region (for filters); variants add nested and $ref fields."""
    props: dict[str, Any] = {
        "orderId": prop("string"),
        "amount": prop("number"),
        "region": prop("string", enum=REGIONS),
    }
    variant = i % 4
    if variant == 1:
        props["price"] = ref("Money")
        props["shipping"] = obj(["carrier"], carrier=prop("string"), express=prop("boolean"))
    if variant in (0, 2):
        props["customer"] = ref("Customer")
    if variant == 2:
        props["count"] = prop("integer")
        props["tags"] = {"type": "array", "items": prop("string")}
    body: dict[str, Any] = {
        "description": f"Synthetic event {i}, variant {variant}.",
        "schema": {"type": "object", "required": ["orderId", "amount"], "properties": props},
    }
    if variant == 3:
        body["examples"] = [{"orderId": f"ord-{i}", "amount": 12.5, "region": "eu"}]
    return body


def task(i: int, counts: Counts) -> dict[str, Any]:
    """Kind 0 charges (object in/out), kind 1 labels (Customer -> string), kind 2 reserves."""
    kind = i % 3
    money = obj(["orderId", "amount"], orderId=prop("string"), amount=prop("number"))
    shapes: list[tuple[Any, Any]] = [
        (money, obj(["amount", "ok"], amount=prop("number"), ok=prop("boolean"))),
        ("Customer", "string"),
        ("LineItem", obj(["price", "reserved"], price=ref("Money"), reserved=prop("boolean"))),
    ]
    body: dict[str, Any] = {"input": shapes[kind][0], "output": shapes[kind][1], "timeout": "1m"}
    body["retry"] = {"attempts": 1 + i % 4, "backoff": "1s", "max_backoff": "30s"}
    if i % 2:
        body["retry"].update(multiplier=3, jitter="full", errors=["Timeout"])
        body["heartbeat"] = "20s"
    if i % 5 == 0:
        body["emits"] = [counts.event(i % 4, i)]
    return body


def _filter(variants: set[int], s: int) -> dict[str, Any]:
    """A filter on fields every subscribed event has: numeric, prefix, anything-but, nested."""
    options: list[dict[str, Any]] = [
        {"amount": [{"numeric": [">", 100]}]},
        {"orderId": [{"prefix": "ord-"}], "region": [{"anything-but": ["apac"]}]},
        {"amount": [{"numeric": [">=", 0, "<", 1000]}], "region": ["eu", "us"]},
        {"region": [{"anything-but": "apac"}], "orderId": [{"exists": True}]},
    ]
    if s % 3 == 0 and variants <= {0, 2}:
        return {"customer": {"tier": ["gold", "silver"]}, "amount": [{"numeric": ["<=", 500]}]}
    return options[s % 4]


def _workflow_start(s: int, first: int, counts: Counts) -> dict[str, Any]:
    """A declarative subscription: starts a workflow with a templated OrderInput."""
    customer: Any = "${{ event.customer }}"
    if first % 4 not in (0, 2):
        name = '${{ meta.source + "-" + event.region }}'
        customer = {"id": "${{ event.orderId }}", "name": name, "tier": "gold"}
    return {
        "events": [f"Evt{first:04d}"],
        "filter": _filter({first % 4}, s),
        "workflow": f"flow{s % counts.workflows:04d}",
        "input": {
            "orderId": "${{ event.orderId }}",
            "amount": "${{ event.amount * 1.0 }}",
            "customer": customer,
            "items": [],
        },
        "execution_name": '${{ event.orderId + "-" + meta.id }}',
    }


def subscription(s: int, counts: Counts) -> dict[str, Any]:
    """Consumes events of the first half and emits 1-2 of the second: no cycles."""
    half = max(counts.events // 2, 1)
    first = s % half
    if s % 3 == 2:
        return _workflow_start(s, first, counts)
    events = [first] if s % 2 == 0 else [first, (first + half // 2) % half]
    handler = s - s // 3  # the number of this handler subscription
    emitted = sorted({half + (2 * handler + k) % (counts.events - half) for k in (0, 1)})
    return {
        "description": f"Synthetic subscription {s}.",
        "events": [f"Evt{e:04d}" for e in events],
        "filter": _filter({e % 4 for e in events}, s),
        "emits": [f"Evt{e:04d}" for e in emitted],
        "retry": {"attempts": 3, "backoff": "2s"},
        "timeout": "45s",
        "memory": 256,
    }


def payload(variant: int, order: str, amount: Any, region: str = "eu") -> dict[str, Any]:
    """An emit payload for an event of ``variant``, in a workflow's scope."""
    body: dict[str, Any] = {"orderId": order, "amount": amount, "region": region}
    if variant in (0, 2):
        body["customer"] = "${{ input.customer }}"
    if variant == 1:
        body["price"] = {"amount": amount, "currency": "EUR"}
        body["shipping"] = {"carrier": "${{ input.customer.name }}", "express": True}
    if variant == 2:
        body["count"] = "${{ size(input.items) }}"
        body["tags"] = ["synthetic", "${{ input.orderId }}"]
    return body


ORDER = "${{ input.orderId }}"
CUSTOMER = "${{ input.customer }}"


def call(name: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"task": name, "input": value, **extra}


def charge(name: str, order: str, amount: Any, **extra: Any) -> dict[str, Any]:
    return call(name, {"orderId": order, "amount": amount}, **extra)


def emit(counts: Counts, j: int, slot: int, order: str, amount: str) -> dict[str, Any]:
    variant = (j + slot) % 4
    return {"emit": counts.event(variant, j + slot), "payload": payload(variant, order, amount)}


def steps_a(j: int, c: Counts) -> list[dict[str, Any]]:
    """s1-s4: task calls, arithmetic and string templates, set."""
    doubled = "${{ steps.s1.output.amount * 2 }}"
    label = '${{ input.customer.name + "-" + steps.s2.output }}'
    return [
        charge(c.task(0, j + 1), ORDER, "${{ input.amount }}", retry={"attempts": 2}),
        call(c.task(1, j + 2), CUSTOMER),
        charge(c.task(0, j + 3), '${{ input.orderId + "-3" }}', doubled),
        {"set": {"total": "${{ steps.s3.output.amount * 2 }}", "label": label}},
    ]


def steps_b(j: int, c: Counts) -> list[dict[str, Any]]:
    """s5-s8: if/else, for_each over the input, parallel, try/catch."""
    then = [charge(c.task(0, j + 5), ORDER, "${{ vars.total }}", id="s5a")]
    otherwise = [charge(c.task(0, j + 6), ORDER, "${{ input.amount / 2.0 }}", id="s5b")]
    per_line = [
        emit(c, j, 6, '${{ input.customer.name + "-" + string(index) }}', "${{ line.qty * 1.5 }}"),
        call(c.task(2, j + 6), "${{ line }}", id="s6r"),
    ]
    right = charge(c.task(0, j + 7), "${{ steps.s2.output }}", "${{ vars.total + 1.0 }}", id="s7r")
    branches = {"left": [call(c.task(1, j + 7), CUSTOMER, id="s7l")], "right": [right]}
    return [
        {
            "if": "${{ steps.s1.output.ok && input.amount > 100.0 }}",
            "then": [*then, {"set": {"branch": "then"}}],
            "else": [*otherwise, {"set": {"branch": "else"}}],
        },
        {"for_each": "${{ input.items }}", "as": "line", "concurrency": 5, "steps": per_line},
        {"parallel": branches},
        try_reserve(j, c),
    ]


def try_reserve(j: int, c: Counts) -> dict[str, Any]:
    reserve = call(c.task(2, j + 8), {"sku": ORDER, "qty": "${{ size(input.items) }}"}, id="s8t")
    order = '${{ input.orderId + ":" + failure.message }}'
    on_timeout = [
        {"emit": c.event(3, j), "payload": payload(3, order, 0, "us")},
        {"set": {"failed": True}},
    ]
    fail = {"fail": {"error": "ReserveFailed", "message": '${{ "no: " + error.message }}'}}
    catch = [
        {"errors": ["Timeout"], "as": "failure", "steps": on_timeout},
        {"steps": [fail]},
    ]
    return {"try": [reserve], "catch": catch}


def steps_c(j: int, c: Counts) -> list[dict[str, Any]]:
    """s9-s12: emit, set over a list macro, retry with catch, templated sleep."""
    amount = "${{ steps.s7.output.right.amount + steps.s3.output.amount }}"
    counted = {
        "count": "${{ size(steps.s6.output) }}",
        "reserved": "${{ steps.s6.output.filter(r, r.reserved).size() }}",
    }
    retry = {"attempts": 3, "backoff": "1s", "multiplier": 3, "max_backoff": "1m"}
    retry |= {"jitter": "full", "errors": ["Timeout"]}
    catch = [{"errors": ["Timeout"], "steps": [{"set": {"retried": True}}]}]
    scaled = "${{ double(vars.count) * input.amount }}"
    return [
        emit(c, j, 9, ORDER, amount),
        {"set": counted},
        charge(c.task(0, j + 11), ORDER, scaled, timeout="2m", retry=retry, catch=catch),
        {"sleep": "${{ vars.count * 2 }}"},
    ]


def steps_d(j: int, c: Counts) -> list[dict[str, Any]]:
    """s13-s16: if without else, compensation, for_each over outputs, wait_for_signal."""
    undo = charge(c.task(0, j + 14), "${{ steps.s14.output }}", 0)
    per_result = charge(
        c.task(0, j + 15), '${{ input.orderId + "/" + string(index) }}', "${{ res.price.amount }}"
    )
    on_timeout = [{"errors": ["Timeout"], "steps": [{"set": {"approved": False}}]}]
    return [
        {
            "if": "${{ vars.count > 0 && vars.reserved <= vars.count }}",
            "then": [emit(c, j, 13, ORDER, "${{ vars.total }}")],
        },
        call(c.task(1, j + 14), CUSTOMER, compensate=[undo]),
        {"for_each": "${{ steps.s6.output }}", "as": "res", "steps": [per_result]},
        {"wait_for_signal": "approval", "timeout": "1h", "catch": on_timeout},
    ]


def steps_e(j: int, c: Counts) -> list[dict[str, Any]]:
    """s17-s20: a child workflow, set, parallel with emit, a return checked against output."""
    child_input = {
        "orderId": '${{ input.orderId + "-child" }}',
        "amount": "${{ input.amount }}",
        "customer": CUSTOMER,
        "items": "${{ input.items }}",
    }
    child = {"workflow": f"flow{j + 1:04d}", "input": child_input, "timeout": "1h"}
    if j % 2 or j + 1 >= c.workflows:
        child = call(c.task(2, j + 17), {"sku": ORDER, "qty": 1})
    summary = '${{ vars.label + ":" + string(vars.total) + ":" + vars.branch }}'
    notify = [emit(c, j, 19, ORDER, "${{ vars.total }}")]
    audit = [call(c.task(1, j + 19), CUSTOMER, id="s19a")]
    result = {
        "orderId": ORDER,
        "total": "${{ vars.total + steps.s3.output.amount }}",
        "label": "${{ vars.summary }}",
        "results": "${{ [steps.s2.output, steps.s14.output, steps.s19a.output] }}",
    }
    return [
        child,
        {"set": {"summary": summary}},
        {"parallel": {"notify": notify, "audit": audit}},
        {"return": result},
    ]


def workflow(j: int, counts: Counts) -> dict[str, Any]:
    groups = (steps_a, steps_b, steps_c, steps_d, steps_e)
    steps = [step for group in groups for step in group(j, counts)]
    output = obj(
        ["orderId", "total", "label"],
        orderId=prop("string"),
        total=prop("number"),
        label=prop("string"),
        results={"type": "array", "items": prop("string")},
    )
    return {
        "description": f"Synthetic workflow {j}: 20 steps.",
        "input": "OrderInput",
        "output": output,
        "timeout": "24h",
        "signals": {"approval": obj(["approved"], approved=prop("boolean"))},
        "steps": [{"id": f"s{k}", **step} for k, step in enumerate(steps, start=1)],
    }


def components(n: int) -> dict[str, dict[str, Any]]:
    """Every component of an N-component service, by section and name."""
    counts = Counts.of(n)
    if counts.events < 4 or counts.tasks < 3 or min(counts.workflows, counts.subscriptions) < 1:
        raise SystemExit(f"--sizes: N={n} is too small for the mix (needs 4 events, 3 tasks)")
    return {
        "events": {f"Evt{i:04d}": event(i) for i in range(counts.events)},
        "subscriptions": {
            f"sub{s:04d}": subscription(s, counts) for s in range(counts.subscriptions)
        },
        "tasks": {f"task{i:04d}": task(i, counts) for i in range(counts.tasks)},
        "workflows": {f"flow{j:04d}": workflow(j, counts) for j in range(counts.workflows)},
    }


def write_service(n: int, root: Path, per_file: int) -> Path:
    """Writes the service under ``root/specs`` (files hold a share of every kind)."""
    specs = root / "specs"
    specs.mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    parts = components(n)
    files = max(1, math.ceil(n / per_file))
    for f in range(files):
        doc: dict[str, Any] = {"service": "synth", "description": f"Part {f + 1} of {files}."}
        if f == 0:
            doc["types"] = SHARED_TYPES
        for section, named in parts.items():
            share = dict(list(named.items())[f::files])
            if share:
                doc[section] = share
        (specs / f"part{f:03d}.yaml").write_text("\n".join(to_yaml(doc)) + "\n")
    return specs


# -- running and timing -------------------------------------------------------------------


def eventualc_command() -> list[str]:
    """The installed console script of this interpreter (not a version-manager shim)."""
    script = Path(sysconfig.get_path("scripts")) / "eventualc"
    if script.is_file():
        return [str(script)]
    found = shutil.which("eventualc")
    return [found] if found else [sys.executable, "-m", "eventualc"]


def verify_clean(command: list[str], root: Path, n: int) -> int:
    """Checks the generated spec; returns its warning count or exits 1 loudly."""
    proc = subprocess.run(
        [*command, "check", "--format", "json", "specs"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    try:
        found = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        found = []
    errors = [d for d in found if d["severity"] == "error"]
    if proc.returncode == 0 and not errors:
        return len(found)
    print(f"FAIL: the generated N={n} spec does not check clean (exit {proc.returncode})")
    for d in errors[:30]:
        print(f"  {d['file']}:{d['line']}:{d['column']}: {d['code']}: {d['message']}")
    print(f"  ({len(errors)} errors; spec kept in {root})\n{proc.stderr[-3000:]}")
    sys.exit(1)


@dataclass(frozen=True)
class Timing:
    best: float
    median: float


def time_process(argv: Sequence[str], cwd: Path, runs: int) -> Timing:
    """Wall seconds of a whole process, best and median of ``runs`` after one warm-up."""
    samples = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            samples.append(time.perf_counter() - start)
    return Timing(min(samples), statistics.median(samples))


_WRAPPER = """
import sys
from eventualc.cli import main
try:
    main(["check", "specs"])
except SystemExit:
    pass
finally:
    print("\\n--modules--\\n" + "\\n".join(sorted(sys.modules)))
"""


def imported_modules() -> list[str]:
    """Modules loaded by `eventualc check specs/` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER], cwd=REPO, capture_output=True, text=True
    )
    return proc.stdout.split("--modules--", 1)[-1].split()


# -- report ---------------------------------------------------------------------------------

Row = tuple[str, Timing, str, str]  # name, timing, per-component text, target text


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(rows: list[Row]) -> None:
    header = ("measured (whole process)", "best s", "median s", "per-comp ms", "target")
    print(f"{header[0]:<44}{header[1]:>8}{header[2]:>10}  {header[3]:<24}{header[4]}")
    print("-" * 100)
    for name, timing, per_component, target in rows:
        print(f"{name:<44}{timing.best:>8.3f}{timing.median:>10.3f}  {per_component:<24}{target}")


def report(sizes: list[int], timings: dict[str, Timing], warnings: dict[int, int]) -> None:
    example = timings["example"].best
    example_target = f"<= {TARGET_EXAMPLE_S} s  {verdict(example <= TARGET_EXAMPLE_S)}"
    rows: list[Row] = [
        ('python -c "pass"', timings["python"], "", ""),
        ('python -c "import eventualc.cli"', timings["import"], "", ""),
        ("eventualc check specs/ (example)", timings["example"], "", example_target),
    ]
    raw, net = {}, {}
    for n in sizes:
        best = timings[f"n{n}"].best
        raw[n], net[n] = best / n * 1000, (best - example) / n * 1000
        target = ""
        if n == TARGET_LARGE_N:
            target = f"<= {TARGET_LARGE_S} s  {verdict(best <= TARGET_LARGE_S)}"
        name = f"eventualc check N={n} ({warnings[n]} warnings)"
        rows.append((name, timings[f"n{n}"], f"raw {raw[n]:.3f}, net {net[n]:.3f}", target))
    print_table(rows)
    print("per-comp ms: raw = best / N; net = (best - example spec best) / N")
    small, large = min(sizes), max(sizes)
    if small != large:
        ratio_net, ratio_raw = net[large] / max(net[small], 1e-9), raw[large] / raw[small]
        ok = verdict(ratio_net <= TARGET_RATIO)
        print(
            f"per-component ratio N={large} / N={small}: net {ratio_net:.2f} "
            f"(raw {ratio_raw:.2f})   target <= {TARGET_RATIO} on net  {ok}"
        )


def report_imports() -> None:
    modules = imported_modules()
    bad = sorted({m for m in modules if m.split(".")[0] in FORBIDDEN})
    found = ", ".join(bad) if bad else "none"
    print(f"\nfresh `eventualc check specs/` loads {len(modules)} modules")
    print(f"of {', '.join(FORBIDDEN)} it imports: {found}  {verdict(not bad)}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,2000", help="component counts, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--per-file", type=int, default=100, help="components per YAML file")
    parser.add_argument("--keep", action="store_true", help="keep the generated specs")
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = eventualc_command()
    tmp = Path(tempfile.mkdtemp(prefix="eventualc-scale-"))
    print(f"eventualc: {' '.join(command)}\npython: {sys.executable}")
    print("mix: " + ", ".join(f"{k} {v:.0%}" for k, v in MIX.items()) + f"; runs: {args.runs}\n")
    check = [*command, "check", "specs"]
    timings = {
        "python": time_process([sys.executable, "-c", "pass"], REPO, args.runs),
        "import": time_process([sys.executable, "-c", "import eventualc.cli"], REPO, args.runs),
        "example": time_process(check, REPO, args.runs),
    }
    warnings = {}
    for n in args.sizes:
        root = tmp / f"n{n}"
        write_service(n, root, args.per_file)
        warnings[n] = verify_clean(command, root, n)
        timings[f"n{n}"] = time_process(check, root, args.runs)
    report(args.sizes, timings, warnings)
    report_imports()
    if args.keep:
        print(f"\ngenerated specs kept in {tmp}")
    else:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
