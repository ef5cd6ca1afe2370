"""Safe YAML loading that keeps every node's source position.

The loader reads YAML 1.2 core-schema scalars (only ``true``/``false`` are booleans, so
``on``, ``yes`` and ``no`` stay strings, as they do in yaml-language-server) into plain JSON
values. Mappings and sequences come back as :class:`YMap` and :class:`YSeq`, a ``dict`` and
a ``list`` that also remember where each key and item was written.

Guards, each a clear diagnostic rather than a crash: a size limit, UTF-8 only (no binary),
one document per file, string keys only, no duplicate keys, no tags beyond the core schema,
a nesting limit, and aliases bounded by the size of what they expand to (a "billion laughs"
file fails before anything is expanded).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from aiwf import _codes as codes
from aiwf._diagnostics import Diagnostic
from aiwf._ir._dc import dataclass

#: Largest spec file read, in bytes (override with $AIWF_MAX_SPEC_BYTES).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Most nodes a document may expand to once aliases are followed.
MAX_NODES = 2_000_000
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 128

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_KEY_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL})


class Pos(NamedTuple):
    """A 1-based source position."""

    line: int
    column: int


class YMap(dict[str, Any]):
    """A mapping from YAML that knows where it, its keys and its values were written.

    Positions are read from the YAML node graph on first use: most of a spec is never
    reported on, and ``aiwf validate`` runs on every commit. A YMap made by hand
    (``YMap(pos)``) takes its positions from its ``key_pos``/``val_pos`` tables.
    """

    __slots__ = ("_key_pos", "_merged", "_node", "_pos", "_val_pos")

    def __init__(self, pos: Pos | None = None, node: MappingNode | None = None) -> None:
        super().__init__()
        self._node = node
        self._pos = pos
        self._merged: list[YMap] = []
        self._key_pos: dict[str, Pos] | None = None if node is not None else {}
        self._val_pos: dict[str, Pos] | None = None if node is not None else {}

    @property
    def pos(self) -> Pos:
        if self._pos is None:
            self._pos = _pos(self._node) if self._node is not None else Pos(1, 1)
        return self._pos

    def _index(self) -> tuple[dict[str, Pos], dict[str, Pos]]:
        key_pos: dict[str, Pos] = {}
        val_pos: dict[str, Pos] = {}
        if self._node is not None:
            for key_node, value_node in self._node.value:
                if key_node.tag != _MERGE and key_node.value not in key_pos:
                    key_pos[key_node.value] = _pos(key_node)
                    val_pos[key_node.value] = _pos(value_node)
        for source in self._merged:  # explicit keys win over merged ones; earlier merges win
            for name in source:
                if name not in key_pos:
                    key_pos[name] = source.key_pos[name]
                    val_pos[name] = source.val_pos[name]
        self._key_pos, self._val_pos = key_pos, val_pos
        return key_pos, val_pos

    @property
    def key_pos(self) -> dict[str, Pos]:
        """Where each key was written."""
        return self._key_pos if self._key_pos is not None else self._index()[0]

    @property
    def val_pos(self) -> dict[str, Pos]:
        """Where each value was written."""
        return self._val_pos if self._val_pos is not None else self._index()[1]


class YSeq(list[Any]):
    """A sequence from YAML that knows where it and its items were written (read from the
    node graph on first use, like :class:`YMap`)."""

    __slots__ = ("_item_pos", "_node", "_pos")

    def __init__(self, pos: Pos | None = None, node: SequenceNode | None = None) -> None:
        super().__init__()
        self._node = node
        self._pos = pos
        self._item_pos: list[Pos] | None = None if node is not None else []

    @property
    def pos(self) -> Pos:
        if self._pos is None:
            self._pos = _pos(self._node) if self._node is not None else Pos(1, 1)
        return self._pos

    @property
    def item_pos(self) -> list[Pos]:
        """Where each item was written."""
        if self._item_pos is None:
            assert self._node is not None
            self._item_pos = [_pos(item) for item in self._node.value]
        return self._item_pos


def position_of(container: Any, key: str | int, *, of_key: bool = False) -> Pos | None:
    """Where ``container[key]`` (or the key itself, with ``of_key``) was written."""
    if isinstance(container, YMap) and isinstance(key, str):
        table = container.key_pos if of_key else container.val_pos
        return table.get(key)
    if isinstance(container, YSeq) and isinstance(key, int) and 0 <= key < len(container.item_pos):
        return container.item_pos[key]
    return None


@dataclass(frozen=True)
class SourceFile:
    """One loaded spec file: its display path, its path relative to the spec root (used in
    the IR, never absolute) and its data (``None`` when it could not be loaded)."""

    path: str
    relpath: str
    data: Any


class _Resolver(BaseResolver):
    """YAML 1.2 core schema (plus ``<<`` merge keys)."""


_Resolver.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        _INT,
        r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        "-+0123456789",
    ),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_MERGE, r"^(?:<<)$", "<"),
]:
    _Resolver.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


try:  # libyaml's parser and composer are far faster than the pure-Python ones
    from yaml.cyaml import CParser  # type: ignore[attr-defined, unused-ignore]

    class _Composer(CParser, _Resolver):  # type: ignore[misc, unused-ignore]
        """Parses and composes a node graph (in C); values are built by :class:`_Builder`."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Resolver.__init__(self)

except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Composer(Reader, Scanner, Parser, Composer, _Resolver):  # type: ignore[no-redef]
        """Parses and composes a node graph; values are built by :class:`_Builder`."""

        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _Resolver.__init__(self)


class LoadError(Exception):
    """A problem that stops loading a file; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _pos(node: Node) -> Pos:
    mark = node.start_mark
    return Pos(mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node graph into JSON values with positions."""

    def __init__(self, path: str, max_nodes: int, max_depth: int) -> None:
        self.path = path
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.memo: dict[int, tuple[Any, int]] = {}
        self.on_stack: set[int] = set()

    def fail(
        self, code: codes.Code, message: str, node: Node | None, hint: str | None = None
    ) -> LoadError:
        pos = _pos(node) if node is not None else Pos(1, 1)
        return LoadError(Diagnostic.of(code, message, self.path, pos, hint))

    def build(self, node: Node, depth: int = 0) -> tuple[Any, int]:
        """The value of ``node`` and the number of nodes it expands to. Aliased nodes are
        built once and shared; their expanded size (what a consumer walking the value sees)
        is counted, and bounded, as if they were copied."""
        if node.__class__ is ScalarNode:
            if node.tag == _STR:
                return node.value, 1
            return self.scalar(node), 1
        key = id(node)
        done = self.memo.get(key)
        if done is not None:
            return done
        if key in self.on_stack:
            raise self.fail(
                codes.E005,
                "recursive alias: a node contains itself",
                node,
                "remove the alias cycle",
            )
        if depth > self.max_depth:
            raise self.fail(codes.E005, f"nesting deeper than {self.max_depth} levels", node)
        self.on_stack.add(key)
        value: YMap | YSeq
        if node.__class__ is MappingNode:
            value, size = self.mapping(node, depth)
        elif node.__class__ is SequenceNode:
            if node.tag != _SEQ:
                raise self.unsupported_tag(node)
            seq = YSeq(node=node)
            size = 1
            append = seq.append
            build = self.build
            for item in node.value:
                built, n = build(item, depth + 1)
                append(built)
                size += n
            value = seq
        else:  # pragma: no cover - the composer makes only these three kinds
            raise self.fail(codes.E006, "unsupported YAML node", node)
        self.on_stack.discard(key)
        if size > self.max_nodes:
            raise self.fail(
                codes.E005,
                f"the document expands to more than {self.max_nodes:,} nodes through aliases",
                node,
                "aliases are allowed, but not to multiply content (a 'billion laughs' document)",
            )
        self.memo[key] = (value, size)
        return value, size

    def unsupported_tag(self, node: Node) -> LoadError:
        return self.fail(codes.E006, f"unsupported YAML tag {node.tag!r}", node)

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text in ("true", "True", "TRUE")
        if tag == _INT:
            try:
                if text.startswith("0o"):
                    return int(text[2:], 8)
                if text.startswith("0x"):
                    return int(text[2:], 16)
                return int(text)
            except ValueError:
                raise self.fail(codes.E006, f"invalid integer {text!r}", node) from None
        if tag == _FLOAT:
            lowered = text.lower()
            if lowered.endswith(".inf") or lowered.endswith(".nan"):
                raise self.fail(
                    codes.E006,
                    f"{text} is not a JSON number",
                    node,
                    "infinities and NaN cannot be represented in JSON",
                )
            try:
                number = float(text)
            except ValueError:
                raise self.fail(codes.E006, f"invalid number {text!r}", node) from None
            if math.isinf(number):
                raise self.fail(
                    codes.E006,
                    f"{text} is too large for a JSON number (a 64-bit float)",
                    node,
                    "numbers in a spec must be finite doubles",
                )
            return number
        raise self.unsupported_tag(node)

    def mapping(self, node: MappingNode, depth: int) -> tuple[YMap, int]:
        if node.tag != _MAP:
            raise self.unsupported_tag(node)
        result = YMap(node=node)
        size = 1
        build = self.build
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise self.fail(
                    codes.E006, "mapping keys must be plain strings, not maps or lists", key_node
                )
            tag = key_node.tag
            if tag == _MERGE:
                sources, n = self.merge_sources(value_node, depth)
                result._merged.extend(sources)
                size += n
                continue
            if tag not in _KEY_TAGS:
                raise self.unsupported_tag(key_node)
            # Keys are taken as written: `on:` and `1:` are the strings "on" and "1".
            name = key_node.value
            if name in result:
                first = next(k for k, _ in node.value if k.value == name)
                raise self.fail(
                    codes.E004,
                    f"duplicate key {name!r} (first defined at line {_pos(first).line})",
                    key_node,
                )
            value, n = build(value_node, depth + 1)
            result[name] = value
            size += 1 + n
        for source in result._merged:  # explicit keys win over merged ones; earlier merges win
            for name, value in source.items():
                if name not in result:
                    result[name] = value
        return result, size

    def merge_sources(self, node: Node, depth: int) -> tuple[list[YMap], int]:
        value, size = self.build(node, depth + 1)
        sources = value if isinstance(value, YSeq) else [value]
        if not all(isinstance(s, YMap) for s in sources):
            raise self.fail(codes.E006, "a merge key '<<' takes a map or a list of maps", node)
        return list(sources), size


def max_file_bytes() -> int:
    """The size limit for one spec file ($AIWF_MAX_SPEC_BYTES, else 8 MiB)."""
    raw = os.environ.get("AIWF_MAX_SPEC_BYTES")
    return int(raw) if raw and raw.isdigit() else MAX_FILE_BYTES


def decode(raw: bytes, path: str) -> str:
    """UTF-8 text of a spec file, or a :class:`LoadError` for binary or non-UTF-8 input."""
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw.count(b"\n", 0, offset) + 1
        column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        raise LoadError(
            Diagnostic.of(
                codes.E002, "binary data (a NUL byte) in a spec file", path, (line, column)
            )
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            Diagnostic.of(
                codes.E002,
                f"not UTF-8: invalid byte 0x{raw[exc.start]:02x}",
                path,
                (line, column),
                "save the file as UTF-8",
            )
        ) from None
    return text.removeprefix("\ufeff")


def _clamp(text: str, line: int, column: int) -> tuple[int, int]:
    """A position inside the text: libyaml reports errors at the end of a file that lacks a
    final newline on the line after it."""
    lines = re.split("\r\n|[\n\r]", text)
    if line > len(lines):
        return len(lines), len(lines[-1]) + 1
    return line, column


_SPLIT = (
    "split the spec into several *.aiwf.yaml files in one directory (or raise $AIWF_MAX_SPEC_BYTES)"
)
#: Hints for libyaml's syntax errors, by the start of its message.
_SYNTAX_HINTS = (
    ("mapping values are not allowed",
     "quote a value that contains ': ', and start the keys of one map at the same column"),
    ("did not find expected ',' or ']'", "close the list with ] (items are separated by commas)"),
    ("did not find expected ',' or '}'", "close the map with } (entries are separated by commas)"),
    ("found unexpected end of stream", "a quoted string or a bracket is not closed"),
    ("did not find expected key", "the keys of one map start at the same column"),
    ("did not find expected '-' indicator", "the items of one list start with '- ' at the same column"),
    ("found undefined alias", "define the anchor (&name) before an alias (*name) uses it"),
    ("more than one YAML document", "a spec file holds one document: remove the '---' line, or split the file"),
)  # fmt: skip


def _syntax_error(problem: str, text: str, pos: tuple[int, int] | None) -> tuple[str, str]:
    """The message and hint of a YAML syntax error: a tab, a reserved character and the
    common mistakes get a hint of their own."""
    line_text, char = "", ""
    if pos is not None:
        lines = re.split("\r\n|[\n\r]", text)
        line_text = lines[pos[0] - 1] if pos[0] <= len(lines) else ""
        char = line_text[pos[1] - 1 : pos[1]]
    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    if char == "\t" or "\t" in indent:
        return (
            "YAML syntax error: a tab character; YAML indents with spaces only",
            "replace the tab with spaces (most editors can convert indentation to spaces)",
        )
    if "cannot start any token" in problem and char:
        return (
            f"YAML syntax error: {char!r} cannot start a plain value",
            f"quote the value: '{line_text[pos[1] - 1 :].strip()}'" if pos else "quote the value",
        )
    hint = next((h for start, h in _SYNTAX_HINTS if problem.startswith(start)), None)
    return (
        f"YAML syntax error: {problem}",
        hint or "check the indentation and quoting near this position",
    )


def parse(text: str, path: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document into JSON values with positions."""
    loader = None
    try:
        loader = _Composer(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc.context or ""):
            problem = "more than one YAML document in a spec file"
        pos = _clamp(text, mark.line + 1, mark.column + 1) if mark is not None else None
        message, hint = _syntax_error(problem, text, pos)
        raise LoadError(Diagnostic.of(codes.E001, message, path, pos, hint)) from None
    except yaml.YAMLError as exc:
        raise LoadError(Diagnostic.of(codes.E001, f"YAML error: {exc}", path, (1, 1))) from None
    except RecursionError:
        raise LoadError(
            Diagnostic.of(codes.E005, f"nesting deeper than {max_depth} levels", path, (1, 1))
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None
    return _Builder(path, max_nodes, max_depth).build(node)[0]


def load_file(path: Path, display: str | None = None) -> Any:
    """Read and parse one spec file; raises :class:`LoadError` with a positioned diagnostic."""
    shown = display or str(path)
    limit = max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise LoadError(
                Diagnostic.of(
                    codes.E003,
                    f"spec file is {size:,} bytes, over the {limit:,}-byte limit",
                    shown,
                    hint=_SPLIT,
                )
            )
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise LoadError(
            Diagnostic.of(codes.E003, f"cannot read spec file: {exc.strerror}", shown)
        ) from None
    if len(raw) > limit:  # grew after stat, or a special file
        raise LoadError(
            Diagnostic.of(
                codes.E003, f"spec file is over the {limit:,}-byte limit", shown, None, _SPLIT
            )
        )
    return parse(decode(raw, shown), shown)
