"""The compiler: from loaded spec files to the IR, with every problem as a diagnostic.

It checks structure (against the format's JSON Schema), names, references, contracts,
expressions, types and the dependency graph, and reports all problems in one run. The IR is
built only when there is no error.

The stages run in order: the files (entries and the spec's name), the models, the schemas
and the assistants, then each workflow (:mod:`aiwf._ir.workflows`) over a read-only
:class:`~aiwf._ir.index.SpecIndex` of what came before, then the checks of the whole spec.
Each workflow comes back with what it derived and used; nothing else it touches.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any, NamedTuple

from aiwf import _codes as codes
from aiwf._diagnostics import Diagnostic, sort_diagnostics
from aiwf._ir import model as ir
from aiwf._ir._dc import dataclass
from aiwf._ir.index import KINDS, SECTIONS, Contracts, Entry, Reporter, Signature, SpecIndex, Use
from aiwf._ir.names import CONVENTIONS, pascal_case
from aiwf._ir.providers import PROVIDERS
from aiwf._ir.routes import Retry, Route, typed_route
from aiwf._ir.schemas import ContractDraft
from aiwf._ir.workflows import CompiledWorkflow, WorkflowCompiler
from aiwf._spec import FORMAT_VERSION
from aiwf._spec.loader import Pos, SourceFile, YMap, YSeq, position_of
from aiwf._spec.names import NAME_PATTERN
from aiwf._structure import kind_of

__all__ = ["CompileResult", "Compiler", "Entry", "compile_files"]

_NAME = re.compile(NAME_PATTERN)
_SECTION_NOUN = {
    "models": "model",
    "schemas": "schema",
    "assistants": "assistant",
    "workflows": "workflow",
}
#: Structured-output modes each provider accepts.
#: Origins of the contracts written inline (derived from an assistant or a workflow).
_DERIVED = ("assistant_input", "assistant_output", "workflow_input", "workflow_output")


class Member(NamedTuple):
    """A name in an identifier namespace, for the collision check."""

    name: str
    file: str
    pos: Pos | None
    kind: str


@dataclass
class CompileResult:
    """What compiling a spec gives: the program (None when there are errors) and the
    diagnostics, sorted (errors first, each severity in reading order)."""

    program: ir.Program | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


class Compiler:
    """Compiles one spec (its loaded files) to a :class:`CompileResult`."""

    def __init__(
        self,
        files: list[SourceFile],
        *,
        model_overrides: dict[str, dict[str, Any]] | None = None,
        overrides_source: str | None = None,
        env: str | None = None,
    ) -> None:
        self.files = files
        self.model_overrides = model_overrides or {}
        self.overrides_source = overrides_source
        self.env = env
        self.reporter = Reporter()
        self.report = self.reporter.report
        self.entries: dict[str, dict[str, Entry]] = {s: {} for s in SECTIONS}
        self.routes: dict[str, Route] = {}
        self.assistants: dict[str, ir.Assistant] = {}
        self.signatures: dict[str, Signature] = {}
        self.workflows: dict[str, ir.Workflow] = {}
        self.spec_name: str | None = None
        self._name_where: tuple[SourceFile, Pos] | None = None
        #: A file whose version or name was already reported: no "missing name" on top.
        self.name_broken = False
        self.description: str | None = None
        #: Every entry something uses, for the unused-entry warnings.
        self.uses: set[Use] = set()
        #: Every contract: the schemas, then what assistants and workflows derive.
        self.drafts: dict[str, ContractDraft] = {}

    # -- the stages ---------------------------------------------------------------------------

    def run(self) -> CompileResult:
        for file in self.files:
            self.read_file(file)
        if (
            self.spec_name is None
            and not self.name_broken
            and any(f.data is not None for f in self.files)
        ):
            first = next(f for f in self.files if f.data is not None)
            if isinstance(first.data, YMap):
                self.report(codes.E012, "missing required key 'name' (the spec's name)", first,
                            first.data.pos, "add name: my_spec to one of the spec's files")  # fmt: skip
        self.compile_models()
        contracts = Contracts(self.entries["schemas"], self.reporter)
        for entry in self.entries["schemas"].values():
            contracts.compile(entry.name, entry.value, entry.file.path, entry.key_pos, "schema")
        for entry in self.entries["assistants"].values():
            self.compile_assistant(entry, contracts)
        self.merge(contracts.drafts, contracts.uses)
        index = SpecIndex.of(self.entries, self.signatures, self.drafts)
        for entry in self.entries["workflows"].values():
            compiled: CompiledWorkflow = WorkflowCompiler(index, entry, self.reporter).compile()
            self.merge(compiled.contracts, compiled.uses)
            if compiled.workflow is not None:
                self.workflows[entry.name] = compiled.workflow
        self.check_collisions()
        self.check_unused()
        diagnostics = sort_diagnostics(self.reporter.diagnostics)
        if any(d.is_error for d in diagnostics):
            return CompileResult(None, diagnostics)
        return CompileResult(self.build_program(), diagnostics)

    def merge(self, drafts: dict[str, ContractDraft], uses: set[Use]) -> None:
        """Take in what a stage made: its contracts and the entries it uses."""
        self.drafts.update(drafts)
        self.uses |= uses

    def read_file(self, file: SourceFile) -> None:
        data = file.data
        if data is None:
            return
        if not isinstance(data, YMap):
            pos = getattr(data, "pos", Pos(1, 1))
            self.report(codes.E013, f"a spec file must be a map, not {KINDS.get(kind_of(data), 'a value')}", file, pos,
                        "start with 'aiwf: 1' and 'name: ...'")  # fmt: skip
            return
        version = data.get("aiwf")
        if "aiwf" not in data:
            self.report(codes.E012, "missing 'aiwf: 1' (the format version)", file, data.pos,
                        "add 'aiwf: 1' as the first line")  # fmt: skip
            return
        if isinstance(version, bool) or version != FORMAT_VERSION:
            self.name_broken = True
            self.report(
                codes.E010,
                f"unsupported format version {version!r}; this aiwf reads version {FORMAT_VERSION}",
                file,
                data.val_pos["aiwf"],
            )
            return
        self.reporter.check_structure(data, "SpecFile", file, "the spec file", shallow=SECTIONS)
        if isinstance(data.get("name"), str) and _NAME.match(data["name"]):
            self.merge_name(file, data)
        elif "name" in data:
            self.name_broken = True  # reported by the structure check
        if isinstance(data.get("description"), str):
            self.description = data["description"]
        for section in SECTIONS:
            table = data.get(section)
            if not isinstance(table, YMap):
                continue
            for name, value in table.items():
                self.register(Entry(section, name, value, file, table))

    def merge_name(self, file: SourceFile, data: YMap) -> None:
        name = data["name"]
        if self._name_where is None:
            self.spec_name = name
            self._name_where = (file, data.val_pos["name"])
        elif name != self.spec_name:
            first_file, first_pos = self._name_where
            self.report(
                codes.E023,
                f"spec name {name!r} differs from {self.spec_name!r} ({first_file.path}:{first_pos.line})",
                file,
                data.val_pos["name"],
            )

    def register(self, entry: Entry) -> None:
        noun = _SECTION_NOUN[entry.section]
        if not _NAME.match(entry.name):
            self.report(codes.E020, f"invalid {noun} name {entry.name!r}", entry.file,
                        entry.key_pos)  # fmt: skip
        existing = self.entries[entry.section].get(entry.name)
        if existing is not None:
            self.report(
                codes.E021,
                f"{noun} {entry.name!r} is defined twice",
                entry.file,
                entry.key_pos,
                f"first defined at {existing.file.path}:{existing.key_pos.line}; names are unique across the spec's files",
            )
            return
        self.entries[entry.section][entry.name] = entry

    # -- models --------------------------------------------------------------------------------

    def compile_models(self) -> None:
        models = self.entries["models"]
        for alias in sorted(set(self.model_overrides) - set(models)):
            self.reporter.unknown(
                codes.E030,
                f"environment {self.env!r} overrides unknown model {alias!r}",
                self.overrides_source,
                None,
                alias,
                models,
                "models",
                self.uses,
                "override only aliases the spec defines",
            )
        for entry in models.values():
            what = f"model {entry.name!r}"
            value = self.reporter.expect_map(entry, "provider, model ...")
            if value is None:
                continue
            data: Any = value
            override = self.model_overrides.get(entry.name)
            if override:
                data = YMap(value.pos)
                data.update(value)
                data.key_pos.update(value.key_pos)
                data.val_pos.update(value.val_pos)
                data.update(override)
                what += f" (with the overrides of environment {self.env!r})"
            if not self.reporter.check_structure(data, "ModelRoute", entry.file, what):
                continue
            route = self.reporter.structure.with_defaults(data, "ModelRoute")
            self.check_route(entry, route, value)
            self.routes[entry.name] = typed_route(route)
        self.check_fallbacks()

    def check_route(self, entry: Entry, route: dict[str, Any], value: YMap) -> None:
        where = value.val_pos.get
        provider, base_url, mode = (
            route["provider"],
            route.get("base_url"),
            route["structured_output"],
        )
        if provider == "openai-compatible" and not base_url:
            self.report(codes.E052, f"model {entry.name!r}: an openai-compatible route needs a base_url",
                        entry.file, entry.key_pos, "e.g. base_url: http://127.0.0.1:11434/v1")  # fmt: skip
        if base_url and not re.match(r"^https?://[^\s/]+", base_url):
            self.report(codes.E052, f"model {entry.name!r}: base_url must be an http:// or https:// URL, not {base_url!r}",
                        entry.file, where("base_url", entry.key_pos),
                        "e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1")  # fmt: skip
        if mode not in PROVIDERS[provider].modes:
            self.report(
                codes.E052,
                f"model {entry.name!r}: structured_output {mode!r} is not available for provider {provider}",
                entry.file,
                where("structured_output", entry.key_pos),
                f"use one of: {', '.join(sorted(PROVIDERS[provider].modes))}",
            )
        fallback = value.get("fallback")
        models = self.entries["models"]
        for i, alias in enumerate(route["fallback"]):
            pos = position_of(fallback, i) or entry.key_pos
            if alias not in models:
                self.reporter.unknown(codes.E030, f"unknown model {alias!r} in the fallback of {entry.name!r}",
                                      entry.file, pos, alias, models, "models", self.uses)  # fmt: skip
            else:
                self.uses.add(("models", alias))

    def check_fallbacks(self) -> None:
        """Report each cycle of fallback routes once, at its first-defined member."""
        order = {name: i for i, name in enumerate(self.entries["models"])}
        reported: set[frozenset[str]] = set()

        def visit(alias: str, path: list[str]) -> None:
            route = self.routes.get(alias)
            if route is None:
                return
            for nxt in route.fallback:
                if nxt in path:
                    cycle = path[path.index(nxt) :]
                    if frozenset(cycle) in reported:
                        continue
                    reported.add(frozenset(cycle))
                    pivot = min(range(len(cycle)), key=lambda i: order[cycle[i]])
                    cycle = cycle[pivot:] + cycle[:pivot]
                    entry = self.entries["models"][cycle[0]]
                    self.report(codes.E054, f"model fallbacks form a cycle: {' -> '.join([*cycle, cycle[0]])}",
                                entry.file, entry.key_pos)  # fmt: skip
                elif len(path) < 64:
                    visit(nxt, [*path, nxt])

        for alias in self.routes:
            visit(alias, [alias])

    # -- assistants ---------------------------------------------------------------------------

    def compile_assistant(self, entry: Entry, contracts: Contracts) -> None:
        """Compile an assistant. Its contracts are compiled (and its signature recorded for
        the workflows that call it) even when other fields are wrong: one mistake in an
        assistant does not hide the problems of the steps that use it."""
        what = f"assistant {entry.name!r}"
        value = self.reporter.expect_map(entry, "model, instructions, input, output")
        if value is None:
            return
        spec = None
        if self.reporter.check_structure(value, "AssistantSpec", entry.file, what):
            spec = self.reporter.structure.with_defaults(value, "AssistantSpec")
        model = value.get("model")
        models = self.entries["models"]
        if isinstance(model, str):
            if model in models:
                self.uses.add(("models", model))
            else:
                self.reporter.unknown(codes.E030, f"unknown model {model!r} in {what}", entry.file,
                                      value.val_pos["model"], model, models, "models", self.uses)  # fmt: skip
        base = pascal_case(entry.name)
        contract = {
            key: contracts.contract_for(value[key], value, key, base + key.capitalize(), origin,
                                        entry.file) if key in value else None
            for key, origin in (("input", "assistant_input"), ("output", "assistant_output"))
        }  # fmt: skip
        self.signatures[entry.name] = Signature(entry.name, contract["input"], contract["output"])
        if spec is None or contract["input"] is None or contract["output"] is None:
            return
        route = self.routes.get(spec["model"])
        retry = spec.get("retry")
        self.assistants[entry.name] = ir.Assistant(
            name=entry.name,
            model=spec["model"],
            instructions=spec["instructions"],
            description=spec.get("description"),
            input=contract["input"],
            output=contract["output"],
            temperature=spec.get("temperature"),
            max_tokens=spec.get("max_tokens"),
            retry=Retry(**retry) if retry else (route.retry if route else None) or Retry(),
            source=ir.Source(file=entry.file.relpath, line=entry.key_pos.line),
        )

    # -- whole-spec checks -----------------------------------------------------------------------

    def check_collisions(self) -> None:
        """Names that become the same identifier in some target language."""
        types = [
            Member(e.name, e.file.path, e.key_pos, "schema")
            for e in self.entries["schemas"].values()
        ]
        for name, draft in self.drafts.items():
            if draft.origin in _DERIVED:
                kind = draft.origin.replace("_", " ") + " contract"
                types.append(Member(name, draft.file or "", draft.pos, kind))
            elif draft.origin == "defs" and draft.file is not None:
                types.append(Member(name, draft.file, draft.pos, "$defs contract"))
        functions = [
            Member(e.name, e.file.path, e.key_pos, e.section[:-1])
            for s in ("assistants", "workflows")
            for e in self.entries[s].values()
        ]
        models = [
            Member(e.name, e.file.path, e.key_pos, "model") for e in self.entries["models"].values()
        ]
        for unsorted in [types, functions, models, *self.workflows_steps()]:
            self.check_namespace(unsorted)

    def check_namespace(self, unsorted: list[Member]) -> None:
        members = sorted(unsorted, key=lambda m: (m.file, m.pos or Pos(0, 0), m.name))
        reported: set[tuple[str, str]] = set()
        for convention, (convert, used_in) in CONVENTIONS.items():
            seen: dict[str, Member] = {}
            for member in members:
                ident = convert(member.name)
                other = seen.setdefault(ident, member)
                if other is member or (other.name, member.name) in reported:
                    continue
                reported.add((other.name, member.name))
                if other.name == member.name:
                    if member.kind != other.kind:
                        self.report(
                            codes.E022,
                            f"the {member.kind} would be named {member.name!r}, which is already a {other.kind} name",
                            member.file,
                            member.pos,
                            "move the inline schema under schemas: with another name, or rename the other",
                        )
                    continue
                where = f"{other.file}:{other.pos.line}" if other.pos else other.file
                self.report(
                    codes.E022,
                    f"{member.kind} name {member.name!r} collides with {other.kind} {other.name!r} ({where}): "
                    f"both become {ident!r} in {convention} ({used_in})",
                    member.file,
                    member.pos,
                )

    def workflows_steps(self) -> list[list[Member]]:
        """The step ids of each workflow (a namespace per workflow)."""
        out = []
        for entry in self.entries["workflows"].values():
            steps = entry.value.get("steps") if isinstance(entry.value, YMap) else None
            if not isinstance(steps, YSeq):
                continue
            members: dict[str, Member] = {}
            for step in steps:
                if (
                    isinstance(step, YMap)
                    and isinstance(step.get("id"), str)
                    and _NAME.match(step["id"])
                ):
                    members.setdefault(
                        step["id"], Member(step["id"], entry.file.path, step.val_pos["id"], "step")
                    )
            out.append(list(members.values()))
        return out

    def check_unused(self) -> None:
        used_schemas = set()
        todo = [name for section, name in self.uses if section == "schemas"]
        todo += [name for name, draft in self.drafts.items() if draft.origin in _DERIVED]
        while todo:
            name = todo.pop()
            if name in used_schemas:
                continue
            used_schemas.add(name)
            draft = self.drafts.get(name)
            if draft is not None:
                todo.extend(draft.refs)
        for entry in self.entries["schemas"].values():
            if entry.name not in used_schemas:
                self.report(codes.W001, f"schema {entry.name!r} is not used by any assistant or workflow",
                            entry.file, entry.key_pos)  # fmt: skip
        for entry in self.entries["assistants"].values():
            if ("assistants", entry.name) not in self.uses:
                self.report(codes.W002, f"assistant {entry.name!r} is not used by any workflow",
                            entry.file, entry.key_pos)  # fmt: skip
        for entry in self.entries["models"].values():
            if ("models", entry.name) not in self.uses:
                self.report(codes.W003, f"model {entry.name!r} is not used by any assistant",
                            entry.file, entry.key_pos)  # fmt: skip

    # -- the program -------------------------------------------------------------------------------

    def build_program(self) -> ir.Program:
        contracts = {}
        for name in sorted(self.drafts):
            draft = self.drafts[name]
            file = next((f for f in self.files if f.path == draft.file), None)
            source = (
                ir.Source(file=file.relpath, line=draft.pos.line) if file and draft.pos else None
            )
            contracts[name] = ir.Contract(
                name=name,
                origin=draft.origin,  # type: ignore[arg-type]
                type=draft.type,
                json_schema=draft.schema,
                refs=tuple(sorted(draft.refs)),
                source=source,
            )
        return ir.Program(
            name=self.spec_name or "spec",
            description=self.description,
            sources=tuple(sorted(f.relpath for f in self.files)),
            models=dict(sorted(self.routes.items())),
            contracts=contracts,
            assistants=dict(sorted(self.assistants.items())),
            workflows=dict(sorted(self.workflows.items())),
        )


def compile_files(
    files: list[SourceFile],
    *,
    model_overrides: dict[str, dict[str, Any]] | None = None,
    overrides_source: str | None = None,
    env: str | None = None,
) -> CompileResult:
    """Compile loaded spec files (see :func:`aiwf._spec.load_spec`)."""
    compiler = Compiler(
        files, model_overrides=model_overrides, overrides_source=overrides_source, env=env
    )
    return compiler.run()
