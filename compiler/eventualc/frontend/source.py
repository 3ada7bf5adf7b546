"""Source stage: spec paths -> YAML documents with a position for every key and value.

Takes files and directories (every ``*.yaml``/``*.yml`` below a directory, sorted);
returns ``Document`` values and diagnostics. YAML is read with YAML 1.2 core schema
semantics: only ``true``/``false`` are booleans, ``on``/``yes``/``no`` stay strings, no
sexagesimal numbers, only core tags, duplicate keys are an error. Mapping keys are
always strings (a scalar key keeps its text). This is the only stage that reads specs.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from eventualc.diagnostics import Diagnostic, Note, Span, error, plural

PathKey = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
# Limits of what a spec may hold, so hostile files fail fast with a located error:
MAX_ALIASED_NODES = 100_000  # values that aliases repeat, over every file read ("billion laughs")
MAX_DEPTH = 128  # nested mappings and lists


_CORE_PATTERNS = {
    "bool": re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    "int": re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    "float": re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    "null": re.compile(r"^(?:~|null|Null|NULL|)$"),
}
_FIRST_CHARS = {"bool": "tTfF", "int": "-+0123456789", "float": "-+0123456789.", "null": "~nN"}
# Candidate (tag, pattern) pairs by the first character of a plain scalar.
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "": [(_TAG + "null", _CORE_PATTERNS["null"])]
}
for _kind, _chars in _FIRST_CHARS.items():
    for _char in _chars:
        _BY_FIRST.setdefault(_char, []).append((_TAG + _kind, _CORE_PATTERNS[_kind]))


class _Core12Resolver(BaseResolver):
    """Implicit tags of the YAML 1.2 core schema (PyYAML's default is YAML 1.1).

    Implementation note: ``resolve`` is called back for every node, so it is a direct
    table lookup rather than PyYAML's general path-and-regexp machinery.
    """

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _BY_FIRST.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _TAG + "str"
        return _TAG + ("seq" if kind is yaml.SequenceNode else "map")


class _PureComposer12(Reader, Scanner, Parser, Composer, _Core12Resolver):
    """PyYAML's pure-Python parser and composer with the YAML 1.2 core resolver.

    Its scanner and parser keep their own stacks, so its event stream has no nesting limit:
    it locates how deep a file nests where libyaml stops with an unlocated error.
    """

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Core12Resolver.__init__(self)


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _Composer12(CParser, _Core12Resolver):
        """libyaml's parser and composer with the YAML 1.2 core resolver."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Core12Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml
    _Composer12 = _PureComposer12  # type: ignore[misc, assignment]


# Where a node stands: its file and node. Spans are made only when a diagnostic needs one.
_Where = tuple[str, yaml.Node]


@dataclass(slots=True)
class Locations:
    """Positions of values and of mapping keys, by their path from the document root."""

    values: dict[PathKey, _Where] = field(default_factory=dict)
    keys: dict[PathKey, _Where] = field(default_factory=dict)

    def value(self, path: PathKey) -> Span | None:
        """The span of the value at ``path``, or of its nearest located ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        where = self.values.get(path)
        return _node_span(*where) if where else None

    def key(self, path: PathKey) -> Span | None:
        """The span of the key naming ``path``; the value's span for list items."""
        where = self.keys.get(path)
        return _node_span(*where) if where else self.value(path)

    def update(self, other: Locations) -> None:
        for path, where in other.values.items():
            self.values.setdefault(path, where)
        for path, where in other.keys.items():
            self.keys.setdefault(path, where)

    def text(self, path: PathKey, offset: int, length: int) -> Span | None:
        """The span of ``length`` characters ``offset`` into the text of a one-line scalar."""
        where = self.values.get(path)
        if where is None:
            return self.value(path)
        file, node = where
        start, end = node.start_mark, node.end_mark
        style = getattr(node, "style", "|")  # libyaml marks plain scalars "", PyYAML None
        if style not in (None, "", "'", '"') or start.line != end.line:
            return _node_span(file, node)
        column = start.column + (2 if style else 1) + offset
        return Span(file, start.line + 1, column, column + max(length, 1))


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    display: str
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of one spec file."""

    file: SourceFile
    data: Any
    locations: Locations


@dataclass(slots=True)
class AliasBudget:
    """How many values aliases may still repeat; shared by every file of a build."""

    left: int = MAX_ALIASED_NODES


@dataclass(slots=True)
class SourceSet:
    """What the source stage read: files by display path, their documents, diagnostics."""

    files: dict[str, SourceFile] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: Path = field(default_factory=Path.cwd)
    aliases: AliasBudget = field(default_factory=AliasBudget)
    # Files named by ``$ref`` in a spec, by resolved path: the first document of each.
    externals: dict[Path, Document] = field(default_factory=dict)

    def texts(self) -> dict[str, str]:
        return {name: f.text for name, f in self.files.items()}


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when below it, else as given."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every spec file named by ``paths``: files as given, directories recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            )
        else:
            found.append(path)
    return list(dict.fromkeys(p.resolve() for p in found))


def read_sources(paths: Iterable[Path], root: Path | None = None) -> SourceSet:
    """Reads spec files, then every file their ``$ref`` values name inside ``root``."""
    sources = SourceSet(root=(root or Path.cwd()).resolve())
    for path in discover(paths):
        _read_file(sources, path, sources.documents)
    pending = list(sources.documents)
    while pending:
        document = pending.pop()
        for target in _file_refs(document.data, document.file.path.parent, sources.root):
            if target not in sources.externals and target.is_file():
                loaded: list[Document] = []
                _read_file(sources, target, loaded)
                if loaded:
                    sources.externals[target] = loaded[0]
                    pending.append(loaded[0])
    return sources


def ref_target(ref: str, base: Path) -> Path:
    """The file a ``$ref`` names, resolved against the directory of the referring file."""
    return (base / ref.partition("#")[0]).resolve()


def _file_refs(data: Any, base: Path, root: Path) -> Iterator[Path]:
    if isinstance(data, dict):
        ref = data.get("$ref")
        if isinstance(ref, str) and ref and not ref.startswith("#"):
            target = ref_target(ref, base)
            if target.is_relative_to(root):
                yield target
        for value in data.values():
            yield from _file_refs(value, base, root)
    elif isinstance(data, list):
        for item in data:
            yield from _file_refs(item, base, root)


def _read_file(sources: SourceSet, path: Path, into: list[Document]) -> None:
    shown = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        sources.diagnostics.append(
            error("E001", Span(shown, 1, 1, 1), f"cannot read file: {exc.strerror}")
        )
        return
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]
        line, column = before.count(b"\n") + 1, exc.start - before.rfind(b"\n")
        span = Span(shown, line, column, column + 1)
        sources.diagnostics.append(error("E001", span, f"file is not UTF-8 text: {exc.reason}"))
        return
    source = SourceFile(path, shown, text)
    sources.files[shown] = source
    documents, diagnostics = parse_documents(source, sources.aliases)
    into.extend(documents)
    sources.diagnostics.extend(diagnostics)


def parse_documents(
    source: SourceFile, aliases: AliasBudget | None = None
) -> tuple[list[Document], list[Diagnostic]]:
    """The documents of one file; YAML errors end the file, others are all reported."""
    builder = _Builder(source.display, aliases or AliasBudget())
    documents: list[Document] = []
    loader = _Composer12(source.text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            builder.locations = Locations()
            data = builder.build(node, ())
            if data is not None:  # an empty document (a trailing `---`) holds nothing
                documents.append(Document(source, data, builder.locations))
    except yaml.MarkedYAMLError as exc:
        if exc.problem and "nesting depth" in exc.problem:  # libyaml's own limit (1,000)
            builder.diagnostics.append(error("E002", _deep_span(source), _TOO_DEEP))
        else:
            builder.diagnostics.append(_yaml_error(source, exc))
    except yaml.YAMLError as exc:
        builder.diagnostics.append(
            error("E002", Span(source.display, 1, 1, 2), f"invalid YAML: {exc}")
        )
    except _Limit as exc:
        if exc.why:  # the alias budget is reported once, in the file that spends it
            span = _node_span(source.display, exc.node)
            builder.diagnostics.append(error("E002", span, exc.why))
    except RecursionError:  # the composer nests deeper than Python allows
        builder.diagnostics.append(error("E002", _deep_span(source), _TOO_DEEP))
    finally:
        loader.dispose()
    return documents, builder.diagnostics


_TOO_DEEP = f"invalid YAML: nested deeper than {MAX_DEPTH} levels"


class _Limit(Exception):
    """A limit of ``MAX_*`` passed at ``node``."""

    def __init__(self, node: yaml.Node, why: str) -> None:
        super().__init__(why)
        self.node, self.why = node, why


def _deep_span(source: SourceFile) -> Span:
    """Where the text first nests deeper than ``MAX_DEPTH``, from YAML events.

    libyaml's scanner reads a whole flow collection ahead (any ``[`` may start a key), so it
    can stop at its own limit before the first event; the pure-Python parser does not.
    """
    loader = _PureComposer12(source.text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return _span(source.display, event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return Span(source.display, 1, 1, 2)


def _yaml_error(source: SourceFile, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """E002 for a YAML syntax error, naming the cause when it is a tab or an indent."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return error("E002", Span(source.display, 1, 1, 2), f"invalid YAML: {problem}")
    span = _span(source.display, mark)
    lines = source.text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if line[mark.column : mark.column + 1] == "\t" or "tab" in problem:
        tab = line.find("\t")
        at = Span(source.display, mark.line + 1, tab + 1, tab + 2) if tab >= 0 else span
        return error("E002", at, "invalid YAML: tabs are not allowed for indentation; use spaces")
    indent = _key_indent(line)
    start = Span(source.display, mark.line + 1, indent + 1, len(line.rstrip()) + 1)
    above = _keys_above(lines, mark.line)
    if problem.startswith("mapping values are not allowed"):
        if above and indent > above[-1][1]:
            number, _ = above[-1]
            message = (
                f"this line is indented more than the key above (line {number}), "
                "which already has a value"
            )
            return error("E002", start, f"invalid YAML: {message}")
        message = "': ' inside an unquoted value starts a mapping; quote the whole value"
        return error("E002", span, f"invalid YAML: {message}")
    if problem == "did not find expected key" and above and indent not in {i for _, i in above}:
        levels = ", ".join(str(i) for i in sorted({i for _, i in above}, reverse=True))
        message = (
            f"this line is indented by {plural(indent, 'space')}, which lines up with no key above "
            f"(those are indented by {levels})"
        )
        return error("E002", start, f"invalid YAML: {message}")
    return error("E002", span, f"invalid YAML: {problem}")


def _key_indent(line: str) -> int:
    """The column where a line's key starts, after indentation and ``- `` item marks."""
    return len(line) - len(line.lstrip(" -")) if line.lstrip(" -") else len(line)


def _keys_above(lines: list[str], before: int) -> list[tuple[int, int]]:
    """(line number, indent) of the keys enclosing line ``before``, outermost first."""
    found: list[tuple[int, int]] = []
    for number in range(before - 1, -1, -1):
        text = lines[number]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        indent = _key_indent(text)
        if not found or indent < found[-1][1]:
            found.append((number + 1, indent))
        if indent == 0:
            break
    return found[::-1]


def _node_span(file: str, node: yaml.Node) -> Span:
    return _span(file, node.start_mark, node.end_mark)


def _span(file: str, start: Any, end: Any = None) -> Span:
    line, column = start.line + 1, start.column + 1
    end_column = column + 1
    if end is not None and end.line == start.line and end.column > start.column:
        end_column = end.column + 1
    return Span(file, line, column, end_column)


class _Builder:
    """Turns composed nodes into plain values and records every position."""

    def __init__(self, file: str, aliases: AliasBudget) -> None:
        self.file = file
        self.locations = Locations()
        self.diagnostics: list[Diagnostic] = []
        self.aliases = aliases
        self.built: set[int] = set()
        self.container: yaml.Node | None = None  # the innermost collection not repeated

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        if isinstance(node, yaml.ScalarNode):
            self._count(node)
            self.locations.values[path] = (self.file, node)
            return self._scalar(node)
        if len(path) >= MAX_DEPTH:
            raise _Limit(node, _TOO_DEEP)
        outer = self.container
        if not self._count(node):
            self.container = node
        self.locations.values[path] = (self.file, node)
        if isinstance(node, yaml.MappingNode):
            result: Any = self._mapping(node, path)
        else:
            self._check_tag(node, "seq")
            result = [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        self.container = outer
        return result

    def _count(self, node: yaml.Node) -> bool:
        """Whether ``node`` was built before (an alias repeats it), within the budget."""
        if id(node) not in self.built:
            self.built.add(id(node))
            return False
        self.aliases.left -= 1
        if self.aliases.left < 0:
            # Located at the collection that holds the alias: the repeated node itself
            # stands where its anchor is.
            spent = self.aliases.left == -1
            message = f"invalid YAML: aliases repeat more than {MAX_ALIASED_NODES:,} values"
            raise _Limit(self.container or node, message if spent else "")
        return True

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        self._check_tag(node, "map")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                span = _node_span(self.file, key_node)
                self.diagnostics.append(error("E005", span, "a mapping key must be a plain value"))
                continue
            key = str(key_node.value)
            if key in result:
                first = _node_span(*self.locations.keys[(*path, key)])
                note = Note("first defined here", first)
                span = _node_span(self.file, key_node)
                self.diagnostics.append(error("E003", span, f"duplicate key '{key}'", note))
                continue
            self.locations.keys[(*path, key)] = (self.file, key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        tag, text = node.tag, node.value
        if tag == _TAG + "str" or tag == "!":
            return text
        if tag == _TAG + "null" and _matches("null", text):
            return None
        if tag == _TAG + "bool" and _matches("bool", text):
            return text.lower() == "true"
        span = _span(self.file, node.start_mark, node.end_mark)
        if tag in (_TAG + "int", _TAG + "float"):
            number, problem = _number(tag, text)
            if problem is None:
                return number
            if problem:
                self.diagnostics.append(error("E004", span, problem))
                return text
        if tag.startswith(_TAG) and tag[len(_TAG) :] in ("null", "bool", "int", "float"):
            self.diagnostics.append(
                error("E004", span, f"'{text}' is not a valid !!{tag[len(_TAG) :]}")
            )
        else:
            self.diagnostics.append(
                error("E004", span, f"unsupported YAML tag '{_shown_tag(tag)}'")
            )
        return text

    def _check_tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag not in (_TAG + kind, "!"):
            span = _span(self.file, node.start_mark, node.end_mark)
            message = f"unsupported YAML tag '{_shown_tag(node.tag)}'"
            self.diagnostics.append(error("E004", span, message))


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _matches(kind: str, text: str) -> bool:
    return bool(_CORE_PATTERNS[kind].match(text))


def _number(tag: str, text: str) -> tuple[Any, str | None]:
    """The number ``text`` holds and ``None``, or why it cannot be one ("" if not a number).

    Integers are bounded by Python's own conversion limit; floats must be 64-bit
    floats that keep their meaning: ``1e400`` (infinite) and ``1e-400`` (zero) are errors.
    """
    if tag == _TAG + "int" and _matches("int", text):
        digits = len(text.lstrip("+-"))
        if digits > sys.get_int_max_str_digits():
            limit = sys.get_int_max_str_digits()
            return None, f"an integer of {digits:,} digits is too long (at most {limit:,})"
        return _to_int(text), None
    if tag == _TAG + "float" and (_matches("float", text) or _matches("int", text)):
        return _to_float(text)
    return None, ""


def _to_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    return sign * int(body)


def _to_float(text: str) -> tuple[float | None, str | None]:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf, None
    if lowered == ".nan":
        return math.nan, None
    if len(text) > 400:  # a float has 17 significant digits; more text only costs time
        return None, f"a number of {len(text):,} characters is too long (at most 400)"
    value = float(text)
    if math.isinf(value):
        return None, f"'{text}' is too large for a 64-bit float"
    if value == 0 and any(c in "123456789" for c in lowered.partition("e")[0]):
        return None, f"'{text}' is too small for a 64-bit float: it would be 0"
    return value, None
