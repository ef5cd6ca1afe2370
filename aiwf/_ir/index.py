"""What the stages of the compiler hand each other: the entries of a spec, a read-only index
of what the earlier stages made of them, and the reporter that collects diagnostics.

A stage reads the index and reports through the reporter; what it makes (a workflow, the
contracts it derives, the entries it uses) it returns, and the compiler merges it. No stage
writes into another's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from aiwf import _codes as codes
from aiwf._diagnostics import Diagnostic
from aiwf._ir import types as t
from aiwf._ir.schemas import ContractDraft, SchemaCompiler
from aiwf._spec.loader import Pos, SourceFile, YMap, position_of
from aiwf._spec.structure import StructureChecker
from aiwf._structure import kind_of
from aiwf._suggest import closest, did_you_mean

SECTIONS = ("models", "schemas", "assistants", "workflows")
#: What a value is, by its kind, in messages.
KINDS = {
    "object": "a map",
    "array": "a list",
    "boolean": "a boolean",
    "integer": "a number",
    "number": "a number",
    "null": "null",
    "string": "a string",
}
#: (section, name) of an entry something uses, for the unused-entry warnings.
Use = tuple[str, str]


class Entry(NamedTuple):
    """One named entry of a section (a model, schema, assistant or workflow)."""

    section: str
    name: str
    value: Any
    file: SourceFile
    table: YMap

    @property
    def key_pos(self) -> Pos:
        return self.table.key_pos[self.name]


class Reporter:
    """Collects the diagnostics of one compilation. Positions are resolved here, from the
    YAML nodes, only for what is reported."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.structure = StructureChecker()

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def report(
        self,
        code: codes.Code,
        message: str,
        file: SourceFile | str | None,
        pos: Pos | None,
        hint: str | None = None,
    ) -> None:
        """Report a problem (a warning for W codes); the code's default hint when ``hint``
        is None."""
        path = file.path if isinstance(file, SourceFile) else file
        self.diagnostics.append(Diagnostic.of(code, message, path, pos, hint))

    def check_structure(
        self,
        value: Any,
        definition: str,
        file: SourceFile,
        what: str,
        *,
        shallow: tuple[str, ...] = (),
        own: tuple[str, ...] = (),
    ) -> bool:
        """Check ``value`` against a definition of the format schema; report each problem at
        its position. True when there is none."""
        problems = self.structure.check(value, definition, what, shallow=shallow, own=own)
        for problem in problems:
            container = problem.container if problem.container is not None else value
            pos = None
            if problem.key is not None:
                pos = position_of(container, problem.key, of_key=problem.of_key)
            if pos is None:
                pos = getattr(container, "pos", None)
            self.report(problem.code, problem.message, file, pos, problem.hint)
        return not problems

    def expect_map(self, entry: Entry, keys: str) -> YMap | None:
        """The entry's value when it is a map; else None, after saying what it is."""
        if isinstance(entry.value, YMap):
            return entry.value
        noun = entry.section[:-1]
        kind = KINDS.get(kind_of(entry.value), "a value")
        self.report(codes.E013, f"{noun} {entry.name!r} must be a map ({keys}), not {kind}",
                    entry.file, entry.table.val_pos[entry.name])  # fmt: skip
        return None

    def unknown(
        self,
        code: codes.Code,
        message: str,
        file: SourceFile | str | None,
        pos: Pos | None,
        name: str,
        known: Mapping[str, Any],
        section: str,
        uses: set[Use],
        hint: str | None = None,
    ) -> None:
        """Report an unknown name. The known name it is most likely a misspelling of counts
        as used: the typo is the one mistake, not also an unused entry."""
        match = closest(name, known)
        if match is not None:
            uses.add((section, match))
        self.report(code, message, file, pos, did_you_mean(name, known) or hint)


class Signature(NamedTuple):
    """What a workflow needs of an assistant: its input and output contracts (None where
    the contract did not compile, so nothing is checked against it)."""

    name: str
    input: str | None
    output: str | None


class SpecIndex(NamedTuple):
    """A read-only view of a spec for the workflow stage: its entries, the signatures of its
    assistants and the contracts compiled so far."""

    entries: Mapping[str, Mapping[str, Entry]]
    assistants: Mapping[str, Signature]
    contracts: Mapping[str, ContractDraft]

    @classmethod
    def of(
        cls,
        entries: Mapping[str, Mapping[str, Entry]],
        assistants: Mapping[str, Signature],
        contracts: Mapping[str, ContractDraft],
    ) -> SpecIndex:
        """An index over copies of the tables, which nothing can change."""
        return cls(
            MappingProxyType({s: MappingProxyType(dict(e)) for s, e in entries.items()}),
            MappingProxyType(dict(assistants)),
            MappingProxyType(dict(contracts)),
        )


class Contracts:
    """Compiles the contracts of one stage: named schemas, and those written inline
    (``input: {type: object ...}``). What it made is :attr:`drafts`; the schemas it
    references, :attr:`uses`."""

    def __init__(self, schema_names: Mapping[str, Any], reporter: Reporter) -> None:
        self.schema_names = schema_names
        self.reporter = reporter
        self.compiler = SchemaCompiler(set(schema_names), reporter.add)
        self._uses: set[Use] = set()

    @property
    def drafts(self) -> dict[str, ContractDraft]:
        return self.compiler.drafts

    @property
    def uses(self) -> set[Use]:
        """The schemas referenced by name, and those that unknown references most likely
        meant."""
        return self._uses | {("schemas", name) for name in self.compiler.intended}

    def compile(self, name: str, value: Any, file: str, pos: Pos | None, origin: str) -> None:
        self.compiler.compile(name, value, file, pos, origin)

    def contract_for(
        self, value: Any, parent: Any, key: str, derived: str, origin: str, file: SourceFile
    ) -> str | None:
        """The contract a field names (a schema name) or defines inline (compiled as
        ``derived``); None when it names no valid contract."""
        pos = position_of(parent, key) or getattr(parent, "pos", None)
        if isinstance(value, str):
            if value in self.schema_names:
                self._uses.add(("schemas", value))
                return value
            self.reporter.unknown(codes.E032, f"unknown schema {value!r}", file, pos, value,
                                  self.schema_names, "schemas", self._uses)  # fmt: skip
            return None
        draft = self.compiler.compile(derived, value, file.path, pos, origin)
        self._uses.update(("schemas", ref) for ref in draft.refs)
        return derived


def lookup_in(
    own: Mapping[str, ContractDraft], shared: Mapping[str, ContractDraft]
) -> Callable[[str], t.Type]:
    """A contract lookup in a stage's own contracts, then in those of the index (``any``
    for one that failed to compile). It runs for every reference a type check follows."""
    own_get, shared_get = own.get, shared.get

    def lookup(name: str) -> t.Type:
        draft = own_get(name) or shared_get(name)
        return draft.type if draft is not None else t.AnyType()

    return lookup
