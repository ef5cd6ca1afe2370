"""The intermediate representation (IR): the compiled program that the engine runs and the
SDK templates render.

The IR is versioned (:data:`IR_VERSION`), JSON-serialisable and deterministic: the same spec
gives byte-identical JSON (:meth:`Program.to_json`) on any machine, with source files named
relative to the spec root and never by absolute path.

The classes are frozen dataclasses, which keeps ``aiwf validate`` free of pydantic's import
cost; reading an IR back (:func:`load_ir`) validates it with a pydantic ``TypeAdapter``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import field
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiwf.ir._dc import Discriminated, dataclass, to_data
from aiwf.ir.routes import Retry, Route
from aiwf.ir.types import Type

if TYPE_CHECKING:
    from pydantic import TypeAdapter

#: Bumped whenever the IR changes shape; consumers refuse an IR of another version.
IR_VERSION = 1


ContractOrigin = Literal[
    "schema", "assistant_input", "assistant_output", "workflow_input", "workflow_output", "defs"
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """Where something was defined: a path relative to the spec root, and a 1-based line."""

    file: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Contract:
    """A named contract type. ``json_schema`` is its JSON Schema with references rewritten to
    ``#/$defs/NAME``; :meth:`Program.json_schema` makes a self-contained document of it."""

    name: str
    origin: ContractOrigin
    type: Type
    json_schema: Any
    refs: tuple[str, ...] = ()
    source: Source | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Assistant:
    """An assistant: route alias, instructions, input and output contracts (by name).
    ``retry`` is the assistant's ``retry:``, else its route's, with defaults filled in."""

    name: str
    model: str
    instructions: str
    description: str | None = None
    input: str
    output: str
    temperature: float | None = None
    max_tokens: int | None = None
    retry: Retry = field(default_factory=Retry)
    source: Source


@dataclass(frozen=True, kw_only=True, slots=True)
class RefBinding:
    """A value read from the run: ``input``, a step's output, the scatter item or index."""

    kind: Literal["ref"] = "ref"
    root: Literal["input", "step", "item", "index"]
    step: str | None = None
    path: tuple[str | int, ...] = ()
    text: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class LiteralBinding:
    kind: Literal["literal"] = "literal"
    value: Any = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TemplateBinding:
    """A string with interpolated expressions; non-string values are JSON-encoded."""

    kind: Literal["template"] = "template"
    parts: tuple[str | RefBinding, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectBinding:
    """An object template: keys in written order, each with its binding."""

    kind: Literal["object"] = "object"
    fields: tuple[tuple[str, Binding], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ArrayBinding:
    kind: Literal["array"] = "array"
    items: tuple[Binding, ...] = ()


Binding = Annotated[
    RefBinding | LiteralBinding | TemplateBinding | ObjectBinding | ArrayBinding,
    Discriminated("kind"),
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Scatter:
    """Fan-out: the step runs once per element of ``over`` with at most ``concurrency`` in
    flight; outputs are kept in input order. ``on_error: skip`` turns a failed item into null."""

    over: RefBinding
    concurrency: int
    on_error: Literal["fail", "skip"] = "fail"


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """A compiled step. ``depends_on`` holds every step that must finish first (from
    references, ``prev`` and ``needs``), in the workflow's execution order."""

    id: str
    assistant: str
    input: Binding
    scatter: Scatter | None = None
    depends_on: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    output_type: Type
    source: Source


@dataclass(frozen=True, kw_only=True, slots=True)
class Workflow:
    """A workflow: its steps in a valid execution order (a topological order that keeps the
    written order where it can), the edges between them and the output binding."""

    name: str
    description: str | None = None
    input: str
    output: Binding
    output_contract: str
    steps: tuple[Step, ...]
    edges: tuple[tuple[str, str], ...]
    source: Source


@dataclass(frozen=True, kw_only=True, slots=True)
class Program:
    """The whole compiled spec. ``models`` holds each model alias' :class:`Route`, defaults
    filled in."""

    ir_version: int = IR_VERSION
    name: str
    description: str | None = None
    sources: tuple[str, ...]
    models: dict[str, Route]
    contracts: dict[str, Contract]
    assistants: dict[str, Assistant]
    workflows: dict[str, Workflow]

    def to_dict(self) -> dict[str, Any]:
        """The IR as plain JSON data (``None`` fields left out)."""
        data: dict[str, Any] = to_data(self)
        return data

    def to_json(self) -> str:
        """Deterministic JSON (two-space indent, trailing newline) in the IR's own order:
        contracts keep the member order the spec wrote them in, which is the order their
        schemas go on the wire (docs/wire.md §2), so the order must survive a round trip."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON; identifies the program (resume, manifests).
        Computed once per program (it is immutable)."""
        return _cached_digest(self, "digest", self.to_dict)

    def structure_digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON without the route settings (``models``)
        and without source positions: what a run's outputs depend on beyond which provider
        and model answer. A run can be resumed with other route settings (a fixed base URL,
        another ``--env``) or an edited comment, but not after its steps, assistants or
        contracts changed."""

        def structure() -> dict[str, Any]:
            data = self.to_dict()
            data.pop("models", None)
            data.pop("sources", None)
            for section in ("contracts", "assistants", "workflows"):
                for entry in data.get(section, {}).values():
                    entry.pop("source", None)
                    for step in entry.get("steps", []) if section == "workflows" else []:
                        step.pop("source", None)
            return data

        return _cached_digest(self, "structure", structure)

    def contract_type(self, name: str) -> Type:
        """The type of the contract ``name`` (for resolving :class:`~aiwf.ir.types.RefType`)."""
        return self.contracts[name].type

    def closure(self, name: str) -> list[str]:
        """``name`` and every contract it references, transitively, sorted."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(self.contracts[current].refs)
        return sorted(seen)

    def json_schema(self, name: str) -> dict[str, Any]:
        """A self-contained JSON Schema (draft 2020-12) for the contract ``name``."""
        root = self.contracts[name].json_schema
        document: dict[str, Any] = dict(root) if isinstance(root, dict) else {"allOf": [root]}
        members = self.closure(name)
        recursive = any(name in self.contracts[n].refs for n in members)
        defs = {n: self.contracts[n].json_schema for n in members if n != name or recursive}
        if defs:
            document["$defs"] = dict(sorted(defs.items()))
        document.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
        return document


#: (id(program), kind) -> (program, digest); the program is kept so that its id is not
#: reused.
_DIGESTS: dict[tuple[int, str], tuple[Program, str]] = {}


def _cached_digest(program: Program, kind: str, data: Callable[[], Any]) -> str:
    cached = _DIGESTS.get((id(program), kind))
    if cached is not None and cached[0] is program:
        return cached[1]
    canonical = json.dumps(data(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib  # not on aiwf validate's path, which never digests a program

    digest = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    if len(_DIGESTS) >= 32:
        _DIGESTS.pop(next(iter(_DIGESTS)))
    _DIGESTS[(id(program), kind)] = (program, digest)
    return digest


@cache
def program_adapter() -> TypeAdapter[Program]:
    """The pydantic adapter that validates IR data (built on first use)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Program)


def load_ir(text: str) -> Program:
    """Read an IR written by ``aiwf compile``; refuses another ``ir_version``."""
    from pydantic import ValidationError

    from aiwf import codes
    from aiwf.errors import AiwfError

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AiwfError(f"the IR is not JSON: {exc}", code=codes.E090) from None
    version = data.get("ir_version") if isinstance(data, dict) else None
    if version != IR_VERSION:
        raise AiwfError(
            f"IR version {version!r} is not supported (this aiwf reads version {IR_VERSION})",
            code=codes.E090,
            hint=codes.E090.hint,
        )
    try:
        return program_adapter().validate_python(data)
    except ValidationError as exc:
        raise AiwfError(
            f"invalid IR: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}", code=codes.E090
        ) from None
