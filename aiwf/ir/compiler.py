"""The compiler: from loaded spec files to the IR, with every problem as a diagnostic.

It checks structure (through the spec models), names, references, contracts, expressions,
types and the dependency graph, and reports all problems in one run. The IR is built only
when there is no error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiwf.diagnostics import Diagnostic, Severity, sort_diagnostics
from aiwf.ir import model as ir
from aiwf.ir import types as t
from aiwf.ir.names import CONVENTIONS, pascal_case
from aiwf.ir.schemas import ContractDraft, SchemaCompiler
from aiwf.spec import FORMAT_VERSION
from aiwf.spec.loader import Pos, SourceFile, YMap, YSeq, position_of
from aiwf.spec.names import NAME_PATTERN
from aiwf.spec.structure import StructureChecker
from aiwf.suggest import did_you_mean

SECTIONS = ("models", "schemas", "assistants", "workflows")
_NAME = re.compile(NAME_PATTERN)
_SECTION_NOUN = {
    "models": "model",
    "schemas": "schema",
    "assistants": "assistant",
    "workflows": "workflow",
}
#: Structured-output modes each provider accepts.
_MODES = {
    "openai": {"auto", "json_schema", "json_object", "prompt"},
    "anthropic": {"auto", "tool", "native", "prompt"},
    "openai-compatible": {"auto", "json_schema", "json_object", "prompt"},
}


class Member(NamedTuple):
    """A name in an identifier namespace, for the collision check."""

    name: str
    file: SourceFile
    pos: Pos | None
    kind: str


@dataclass
class Entry:
    """One named entry of a section (a model, schema, assistant or workflow)."""

    section: str
    name: str
    value: Any
    file: SourceFile
    table: YMap

    @property
    def key_pos(self) -> Pos:
        return self.table.key_pos[self.name]


@dataclass
class CompileResult:
    """What compiling a spec gives: the program (None when there are errors) and the
    diagnostics, sorted in reading order."""

    program: ir.Program | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


#: Hints for structure problems that have no more specific one.
_HINTS = {
    "E011": "docs/spec.md lists the keys of each section",
    "E012": "docs/spec.md lists the required keys of each section",
    "E013": "YAML: a map is `key: value` lines or {k: v}, a list `- item` lines or [a, b]; quote strings that look like numbers",
    "E014": "docs/spec.md gives the allowed values and ranges",
    "E020": "names start with an ASCII letter, then letters, digits or underscores (at most 64)",
}


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "a string"


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
        self.diagnostics: list[Diagnostic] = []
        self.entries: dict[str, dict[str, Entry]] = {s: {} for s in SECTIONS}
        self.broken: set[tuple[str, str]] = set()
        self.schemas = SchemaCompiler(set(), self.diagnostics.append)
        self.routes: dict[str, dict[str, Any]] = {}
        self.structure = StructureChecker()
        self.assistants: dict[str, ir.Assistant] = {}
        self.workflows: dict[str, ir.Workflow] = {}
        self.spec_name: str | None = None
        #: A file whose version or name was already reported: no "missing name" on top.
        self.name_broken = False
        self.description: str | None = None
        #: (section, name) of every entry something uses, for the unused-entry warnings.
        self.uses: set[tuple[str, str]] = set()
        #: Contracts made from inline schemas: name -> (file, position, origin).
        self.derived: dict[str, tuple[SourceFile, Pos | None, str]] = {}

    # -- reporting -----------------------------------------------------------------------

    def report(
        self,
        code: str,
        message: str,
        file: SourceFile | str | None,
        pos: Pos | None,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        path = file.path if isinstance(file, SourceFile) else file
        self.diagnostics.append(
            Diagnostic(
                severity, code, message, path, pos.line if pos else None,
                pos.column if pos else None, hint,
            )
        )  # fmt: skip

    def check_structure(
        self,
        value: Any,
        definition: str,
        file: SourceFile,
        what: str,
        *,
        shallow: tuple[str, ...] = (),
    ) -> bool:
        """Check ``value`` against a definition of the format schema; report each problem at
        its position. True when there is none."""
        problems = self.structure.check(value, definition, what, shallow=shallow)
        for problem in problems:
            container = problem.container if problem.container is not None else value
            pos = None
            if problem.key is not None:
                pos = position_of(container, problem.key, of_key=problem.of_key)
            if pos is None:
                pos = getattr(container, "pos", None)
            self.report(
                problem.code, problem.message, file, pos, problem.hint or _HINTS.get(problem.code)
            )
        return not problems

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
                self.report("E012", "missing required key 'name' (the spec's name)", first, first.data.pos,
                            "add name: my_spec to one of the spec's files")  # fmt: skip
        self.schemas.known = set(self.entries["schemas"])
        self.compile_models()
        for entry in self.entries["schemas"].values():
            self.schemas.compile(entry.name, entry.value, entry.file.path, entry.key_pos, "schema")
        for entry in self.entries["assistants"].values():
            self.compile_assistant(entry)
        from aiwf.ir.workflows import WorkflowCompiler

        for entry in self.entries["workflows"].values():
            workflow = WorkflowCompiler(self, entry).compile()
            if workflow is not None:
                self.workflows[entry.name] = workflow
        self.check_collisions()
        self.check_unused()
        diagnostics = sort_diagnostics(self.diagnostics)
        if any(d.is_error for d in diagnostics):
            return CompileResult(None, diagnostics)
        return CompileResult(self.build_program(), diagnostics)

    def read_file(self, file: SourceFile) -> None:
        data = file.data
        if data is None:
            self.broken.add(("file", file.path))
            return
        if not isinstance(data, YMap):
            pos = getattr(data, "pos", Pos(1, 1))
            self.report("E013", f"a spec file must be a map, not {_describe_value(data)}", file, pos,
                        "start with 'aiwf: 1' and 'name: ...'")  # fmt: skip
            return
        version = data.get("aiwf")
        if "aiwf" not in data:
            self.report("E012", "missing 'aiwf: 1' (the format version)", file, data.pos,
                        "add 'aiwf: 1' as the first line")  # fmt: skip
            return
        if isinstance(version, bool) or version != FORMAT_VERSION:
            self.name_broken = True
            self.report(
                "E010",
                f"unsupported format version {version!r}; this aiwf reads version {FORMAT_VERSION}",
                file,
                data.val_pos["aiwf"],
                "write 'aiwf: 1', or upgrade aiwf if the spec was written for a newer version",
            )
            return
        self.check_structure(data, "SpecFile", file, "the spec file", shallow=SECTIONS)
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
        if self.spec_name is None:
            self.spec_name = name
            self._name_where = (file, data.val_pos["name"])
        elif name != self.spec_name:
            first_file, first_pos = self._name_where
            self.report(
                "E023",
                f"spec name {name!r} differs from {self.spec_name!r} ({first_file.path}:{first_pos.line})",
                file,
                data.val_pos["name"],
                "a spec has one name: set it in one file, or the same in all",
            )

    def register(self, entry: Entry) -> None:
        noun = _SECTION_NOUN[entry.section]
        if not _NAME.match(entry.name):
            self.report(
                "E020",
                f"invalid {noun} name {entry.name!r}",
                entry.file,
                entry.key_pos,
                "names start with an ASCII letter, then letters, digits or underscores (at most 64)",
            )
            self.broken.add((entry.section, entry.name))
        existing = self.entries[entry.section].get(entry.name)
        if existing is not None:
            self.report(
                "E021",
                f"{noun} {entry.name!r} is defined twice",
                entry.file,
                entry.key_pos,
                f"first defined at {existing.file.path}:{existing.key_pos.line}; names are unique across the spec's files",
            )
            return
        self.entries[entry.section][entry.name] = entry

    # -- models --------------------------------------------------------------------------------

    def compile_models(self) -> None:
        for alias in sorted(set(self.model_overrides) - set(self.entries["models"])):
            self.report(
                "E030",
                f"environment {self.env!r} overrides unknown model {alias!r}",
                self.overrides_source,
                None,
                did_you_mean(alias, self.entries["models"])
                or "override only aliases the spec defines",
            )
        for entry in self.entries["models"].values():
            what = f"model {entry.name!r}"
            value = entry.value
            if not isinstance(value, YMap):
                self.report("E013", f"{what} must be a map (provider, model ...), not {_describe_value(value)}",
                            entry.file, entry.table.val_pos[entry.name])  # fmt: skip
                self.broken.add(("models", entry.name))
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
            if not self.check_structure(data, "ModelRoute", entry.file, what):
                self.broken.add(("models", entry.name))
                continue
            route = self.structure.with_defaults(data, "ModelRoute")
            self.check_route(entry, route, value)
            self.routes[entry.name] = route
        self.check_fallbacks()

    def check_route(self, entry: Entry, route: dict[str, Any], value: YMap) -> None:
        where = value.val_pos.get
        provider, base_url, mode = (
            route["provider"],
            route.get("base_url"),
            route["structured_output"],
        )
        if provider == "openai-compatible" and not base_url:
            self.report("E052", f"model {entry.name!r}: an openai-compatible route needs a base_url",
                        entry.file, entry.key_pos, "e.g. base_url: http://127.0.0.1:11434/v1")  # fmt: skip
        if base_url and not re.match(r"^https?://[^\s/]+", base_url):
            self.report("E052", f"model {entry.name!r}: base_url must be an http:// or https:// URL",
                        entry.file, where("base_url", entry.key_pos),
                        "e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1")  # fmt: skip
        if mode not in _MODES[provider]:
            self.report(
                "E052",
                f"model {entry.name!r}: structured_output {mode!r} is not available for provider {provider}",
                entry.file,
                where("structured_output", entry.key_pos),
                f"use one of: {', '.join(sorted(_MODES[provider]))}",
            )
        fallback = value.get("fallback")
        for i, alias in enumerate(route["fallback"]):
            pos = position_of(fallback, i) or entry.key_pos
            if alias not in self.entries["models"]:
                self.report("E030", f"unknown model {alias!r} in the fallback of {entry.name!r}", entry.file, pos,
                            did_you_mean(alias, self.entries["models"]) or "define it under models:")  # fmt: skip
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
            for nxt in route["fallback"]:
                if nxt in path:
                    cycle = path[path.index(nxt) :]
                    if frozenset(cycle) in reported:
                        continue
                    reported.add(frozenset(cycle))
                    pivot = min(range(len(cycle)), key=lambda i: order[cycle[i]])
                    cycle = cycle[pivot:] + cycle[:pivot]
                    entry = self.entries["models"][cycle[0]]
                    self.report("E054", f"model fallbacks form a cycle: {' -> '.join([*cycle, cycle[0]])}",
                                entry.file, entry.key_pos, "a fallback chain must end")  # fmt: skip
                elif len(path) < 64:
                    visit(nxt, [*path, nxt])

        for alias in self.routes:
            visit(alias, [alias])

    # -- assistants ---------------------------------------------------------------------------

    def contract_for(
        self, value: Any, parent: Any, key: str, derived: str, origin: str, file: SourceFile
    ) -> str | None:
        """The contract a field names (a schema name) or defines inline (compiled as
        ``derived``); None when it names no valid contract."""
        pos = position_of(parent, key) or getattr(parent, "pos", None)
        if isinstance(value, str):
            if value in self.entries["schemas"]:
                self.uses.add(("schemas", value))
                return value
            self.report("E032", f"unknown schema {value!r}", file, pos,
                        did_you_mean(value, self.entries["schemas"]) or "define it under schemas:, or write the schema inline")  # fmt: skip
            return None
        draft = self.schemas.compile(derived, value, file.path, pos, origin)
        self.derived[derived] = (file, pos, origin)
        for ref in draft.refs:
            self.uses.add(("schemas", ref))
        return derived

    def compile_assistant(self, entry: Entry) -> None:
        what = f"assistant {entry.name!r}"
        value = entry.value
        if not isinstance(value, YMap):
            self.report("E013", f"{what} must be a map (model, instructions, input, output), not {_describe_value(value)}",
                        entry.file, entry.table.val_pos[entry.name])  # fmt: skip
            self.broken.add(("assistants", entry.name))
            return
        spec = None
        if self.check_structure(value, "AssistantSpec", entry.file, what):
            spec = self.structure.with_defaults(value, "AssistantSpec")
        model = value.get("model")
        if isinstance(model, str):
            if model in self.entries["models"]:
                self.uses.add(("models", model))
            else:
                self.report("E030", f"unknown model {model!r} in {what}", entry.file, value.val_pos["model"],
                            did_you_mean(model, self.entries["models"]) or "define it under models:")  # fmt: skip
        base = pascal_case(entry.name)
        contracts = {}
        for key, origin in (("input", "assistant_input"), ("output", "assistant_output")):
            if key in value:
                contracts[key] = self.contract_for(
                    value[key], value, key, base + key.capitalize(), origin, entry.file
                )
        input_contract, output_contract = contracts.get("input"), contracts.get("output")
        if spec is None or input_contract is None or output_contract is None:
            self.broken.add(("assistants", entry.name))
            return
        route = self.routes.get(spec["model"])
        retry = spec.get("retry") or (route.get("retry") if route else None)
        self.assistants[entry.name] = ir.Assistant(
            name=entry.name,
            model=spec["model"],
            instructions=spec["instructions"],
            description=spec.get("description"),
            input=input_contract,
            output=output_contract,
            temperature=spec.get("temperature"),
            max_tokens=spec.get("max_tokens"),
            retry=retry or self.structure.with_defaults({}, "RetrySpec"),
            source=ir.Source(file=entry.file.relpath, line=entry.key_pos.line),
        )

    # -- whole-spec checks -----------------------------------------------------------------------

    def check_collisions(self) -> None:
        """Names that become the same identifier in some target language."""
        types = [
            Member(e.name, e.file, e.key_pos, "schema") for e in self.entries["schemas"].values()
        ]
        for name, (file, pos, origin) in self.derived.items():
            types.append(Member(name, file, pos, origin.replace("_", " ") + " contract"))
        for name, draft in self.schemas.drafts.items():
            source = next((f for f in self.files if f.path == draft.file), None)
            if draft.origin == "defs" and source is not None:
                types.append(Member(name, source, draft.pos, "$defs contract"))
        functions = [
            Member(e.name, e.file, e.key_pos, e.section[:-1])
            for s in ("assistants", "workflows")
            for e in self.entries[s].values()
        ]
        models = [
            Member(e.name, e.file, e.key_pos, "model") for e in self.entries["models"].values()
        ]
        namespaces = [types, functions, models, *self.workflows_steps()]
        for unsorted in namespaces:
            members = sorted(unsorted, key=lambda m: (m.file.path, m.pos or Pos(0, 0), m.name))
            reported: set[tuple[str, str]] = set()
            for convention, (convert, used_in) in CONVENTIONS.items():
                seen: dict[str, Member] = {}
                for member in members:
                    ident = convert(member[0])
                    other = seen.setdefault(ident, member)
                    if other is member or (other[0], member[0]) in reported:
                        continue
                    reported.add((other[0], member[0]))
                    if other[0] == member[0]:
                        if member[3] != other[3]:
                            self.report(
                                "E022",
                                f"the {member[3]} would be named {member[0]!r}, which is already a {other[3]} name",
                                member[1],
                                member[2],
                                "move the inline schema under schemas: with another name, or rename the other",
                            )
                        continue
                    where = f"{other[1].path}:{other[2].line}" if other[2] else other[1].path
                    self.report(
                        "E022",
                        f"{member[3]} name {member[0]!r} collides with {other[3]} {other[0]!r} ({where}): "
                        f"both become {ident!r} in {convention} ({used_in})",
                        member[1],
                        member[2],
                        "rename one of them so they differ by more than case or underscores",
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
                        step["id"], Member(step["id"], entry.file, step.val_pos["id"], "step")
                    )
            out.append(list(members.values()))
        return out

    def check_unused(self) -> None:
        used_schemas = set()
        todo = [name for section, name in self.uses if section == "schemas"]
        todo += list(self.derived)
        while todo:
            name = todo.pop()
            if name in used_schemas:
                continue
            used_schemas.add(name)
            draft = self.schemas.drafts.get(name)
            if draft is not None:
                todo.extend(draft.refs)
        for entry in self.entries["schemas"].values():
            if entry.name not in used_schemas:
                self.report("W001", f"schema {entry.name!r} is not used by any assistant or workflow",
                            entry.file, entry.key_pos, "remove it, or reference it", "warning")  # fmt: skip
        for entry in self.entries["assistants"].values():
            if ("assistants", entry.name) not in self.uses:
                self.report("W002", f"assistant {entry.name!r} is not used by any workflow",
                            entry.file, entry.key_pos, "use it in a step, or remove it", "warning")  # fmt: skip
        for entry in self.entries["models"].values():
            if ("models", entry.name) not in self.uses:
                self.report("W003", f"model {entry.name!r} is not used by any assistant",
                            entry.file, entry.key_pos, "remove it, or route an assistant to it", "warning")  # fmt: skip

    # -- the program -------------------------------------------------------------------------------

    def build_program(self) -> ir.Program:
        contracts = {}
        for name in sorted(self.schemas.drafts):
            draft: ContractDraft = self.schemas.drafts[name]
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

    def lookup(self, name: str) -> t.Type:
        """The type of a contract by name (``any`` for one that failed to compile)."""
        draft = self.schemas.drafts.get(name)
        return draft.type if draft is not None else t.AnyType()


def compile_files(
    files: list[SourceFile],
    *,
    model_overrides: dict[str, dict[str, Any]] | None = None,
    overrides_source: str | None = None,
    env: str | None = None,
) -> CompileResult:
    """Compile loaded spec files (see :func:`aiwf.spec.load_spec`)."""
    compiler = Compiler(
        files, model_overrides=model_overrides, overrides_source=overrides_source, env=env
    )
    return compiler.run()
