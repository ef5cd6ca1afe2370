"""Loading the JSON-Schema-Test-Suite, sorting its groups into supported / unsupported, and
running every supported case through each target.

One spec holds every supported group's schema as a contract (``Suite<File><N>``, e.g.
``SuiteAdditionalProperties3``); one SDK per language is generated from it, built once, and
one harness per language checks every case from a JSON file of all cases. A group is
*supported* when its schema compiles through aiwf's real schema compiler with no
diagnostic; the others are listed with the first diagnostic as the reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiwf._diagnostics import Diagnostic
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf._ir.names import pascal_case
from aiwf._ir.schemas import SchemaCompiler
from aiwf._spec import load_spec
from aiwf._spec.loader import parse

ROOT = Path(__file__).resolve().parents[2]
DRAFT = "draft2020-12"
ENV = "AIWF_JSON_SCHEMA_SUITE"
TARGETS = ("ir", "python", "go", "typescript")


def locate() -> Path:
    """The suite's root (holding ``draft2020-12/``): ``$AIWF_JSON_SCHEMA_SUITE``, else
    ``<repo>/../shared/json-schema-test-suite``, else ``/work/shared/json-schema-test-suite``.
    Fails loudly (never skips) when none holds it."""
    candidates: list[Path] = []
    if os.environ.get(ENV):
        candidates.append(Path(os.environ[ENV]))
    candidates += [
        ROOT.parent / "shared" / "json-schema-test-suite",
        Path("/work/shared/json-schema-test-suite"),
    ]
    for path in candidates:
        if (path / DRAFT).is_dir() and any((path / DRAFT).glob("*.json")):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise AssertionError(
        f"the JSON-Schema-Test-Suite was not found (tried {tried}); set {ENV} to its root"
    )


@dataclass
class Case:
    file: str
    group: int
    contract: str
    description: str
    data: Any
    valid: bool

    @property
    def label(self) -> str:
        return f"{self.file}#{self.group} {self.description!r}"


@dataclass
class Group:
    file: str
    index: int
    contract: str
    description: str
    schema: Any
    cases: list[Case]
    reason: str | None = None  # why it is unsupported (None: supported)


@dataclass
class Suite:
    root: Path
    groups: list[Group]
    program: Program
    spec_text: str
    warnings: list[str] = field(default_factory=list)

    @property
    def supported(self) -> list[Group]:
        return [g for g in self.groups if g.reason is None]

    @property
    def unsupported(self) -> list[Group]:
        return [g for g in self.groups if g.reason is not None]

    @property
    def cases(self) -> list[Case]:
        return [c for g in self.supported for c in g.cases]

    @property
    def files(self) -> list[str]:
        return sorted({g.file for g in self.groups})


def _reason(schema: Any, contract: str) -> str | None:
    diagnostics: list[Diagnostic] = []
    compiler = SchemaCompiler(set(), diagnostics.append)
    compiler.compile(
        contract, parse(json.dumps(schema), "suite.json"), "suite.json", None, "schema"
    )
    errors = [d for d in diagnostics if d.is_error]
    return f"{errors[0].code} {errors[0].message}" if errors else None


def load(workdir: Path) -> Suite:
    """Every group of the suite, sorted, and the program compiled from the supported ones
    (the spec is written to ``workdir/suite.aiwf.yaml``)."""
    root = locate()
    groups: list[Group] = []
    for path in sorted((root / DRAFT).glob("*.json")):
        stem = path.stem
        for index, raw in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            contract = f"Suite{pascal_case(stem)}{index}"
            cases = [
                Case(stem, index, contract, f"{raw['description']}: {c['description']}",
                     c["data"], bool(c["valid"]))
                for c in raw["tests"]
            ]  # fmt: skip
            group = Group(stem, index, contract, raw["description"], raw["schema"], cases)
            group.reason = _reason(raw["schema"], contract)
            groups.append(group)
    while True:
        schemas = {g.contract: g.schema for g in groups if g.reason is None}
        first = next(iter(schemas))
        spec = {  # one assistant and one workflow, so that every SDK target has them
            "aiwf": 1,
            "name": "suite",
            "models": {"fake": {"provider": "openai", "model": "suite"}},
            "schemas": schemas,
            "assistants": {
                "probe": {"model": "fake", "instructions": "-", "input": first, "output": first}
            },
            "workflows": {
                "probe_all": {
                    "input": first,
                    "steps": [{"id": "probe", "assistant": "probe", "input": "${input}"}],
                    "output": "${steps.probe.output}",
                }
            },
        }
        text = json.dumps(spec, indent=1, ensure_ascii=False)
        workdir.mkdir(parents=True, exist_ok=True)
        spec_path = workdir / "suite.aiwf.yaml"
        spec_path.write_text(text, encoding="utf-8")
        loaded = load_spec(spec_path)
        assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
        result = compile_files(loaded.files)
        if result.program is not None:
            warnings = [str(d) for d in result.warnings]
            return Suite(root, groups, result.program, text, warnings)
        # A schema that compiles alone but not in the spec: unsupported, with the reason.
        progress = False
        for diag in result.errors:
            for g in groups:
                if g.reason is None and diag.line is not None and _in_group(text, g, diag.line):
                    g.reason = f"{diag.code} {diag.message}"
                    progress = True
        assert progress, [str(d) for d in result.errors]


def _in_group(text: str, group: Group, line: int) -> bool:
    lines = text.splitlines()
    start = next((i for i, s in enumerate(lines) if s.startswith(f'  "{group.contract}":')), None)
    if start is None:
        return False
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith('  "')), len(lines))
    return start < line <= end


@dataclass
class Outcome:
    """What one target said about one case."""

    case: Case
    accepted: bool | None  # None: the harness could not decide (an error of the harness)
    detail: str = ""
    #: The problems (docs/wire.md §6) the target reported, for targets that report them.
    problems: tuple[str, ...] | None = None

    @property
    def agrees(self) -> bool:
        return self.accepted is self.case.valid


Runner = Callable[[Suite, Path], list[Outcome]]


def disagreements(outcomes: list[Outcome]) -> list[str]:
    out = []
    for o in outcomes:
        if not o.agrees:
            verdict = {True: "accepted", False: "rejected", None: "crashed on"}[o.accepted]
            expected = "valid" if o.case.valid else "invalid"
            out.append(
                f"{o.case.label}: {verdict} {json.dumps(o.case.data)[:80]} "
                f"(the suite says {expected}){': ' + o.detail[:200] if o.detail else ''}"
            )
    return out
