"""The diagnostic codes of the spec loader, the compiler and the project config: one table.

Each code is registered once here with what it checks (its summary), a default hint (shown when a
diagnostic has no more specific one) and the page of the docs that lists it. Code that
reports a problem names its code through this module (``codes.E045``), never as a bare
string; a test checks that every code raised anywhere in ``aiwf/`` of these families is in
the table, and that the table and the lists in ``docs/spec.md`` and ``docs/configuration.md``
are the same.

The other families (``E5xx`` runs, ``R`` runtime, ``A`` artifact stores, ``B`` breaking,
``G`` generation) are documented on their own pages and are not registered here yet.

This module imports none of aiwf's: it is on the ``aiwf validate`` path.
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["error", "warning", "info"]

#: Where each family is documented (a page of docs/ and its anchor).
SPEC_DOCS = "docs/spec.md#diagnostics"
CONFIG_DOCS = "docs/configuration.md#errors"


class Code(str):
    """A registered diagnostic code. It is the code's own string (``codes.E045 == "E045"``),
    so it goes wherever a code is expected, and it carries its entry of the registry."""

    summary: str
    hint: str | None
    docs: str

    def __new__(cls, code: str, summary: str, hint: str | None, docs: str) -> Code:
        self = super().__new__(cls, code)
        self.summary = summary
        self.hint = hint
        self.docs = docs
        return self

    @property
    def severity(self) -> Severity:
        """``warning`` for W codes, else ``error``."""
        return "warning" if self.startswith("W") else "error"


#: The registry: code, what it checks, its default hint, where it is documented.
# fmt: off
_TABLE: tuple[tuple[str, str, str | None, str], ...] = (
    # -- loading files
    ("E001", "YAML syntax error; several documents in one file", "check the indentation and quoting near this position", SPEC_DOCS),
    ("E002", "binary data (a NUL byte) or invalid UTF-8", "spec files are UTF-8 YAML text", SPEC_DOCS),
    ("E003", "file over the size limit, or unreadable", "check that the path is a readable file", SPEC_DOCS),
    ("E004", "duplicate key in a map", "remove one of the two entries", SPEC_DOCS),
    ("E005", "aliases expanding past the limit, recursive alias, nesting too deep", "flatten the document", SPEC_DOCS),
    ("E006", "unsupported tag, non-string key, non-JSON number", "specs hold plain JSON values: strings, numbers, booleans, null, maps and lists", SPEC_DOCS),
    # -- structure
    ("E010", "unsupported format version", "write 'aiwf: 1', or upgrade aiwf if the spec was written for a newer version", SPEC_DOCS),
    ("E011", "unknown key", "docs/spec.md lists the keys of each section", SPEC_DOCS),
    ("E012", "missing required key", "docs/spec.md lists the required keys of each section", SPEC_DOCS),
    ("E013", "wrong kind of value", "docs/spec.md gives the kind of value each key takes", SPEC_DOCS),
    ("E014", "invalid value (enum, range, pattern, empty)", "docs/spec.md gives the allowed values and ranges", SPEC_DOCS),
    # -- names
    ("E020", "invalid name", "names start with an ASCII letter, then letters, digits or underscores (at most 64)", SPEC_DOCS),
    ("E021", "a name defined twice (across files)", "names are unique across the spec's files", SPEC_DOCS),
    ("E022", "names colliding after case conversion; an inline contract named like a schema", "rename one of them so they differ by more than case or underscores", SPEC_DOCS),
    ("E023", "spec `name` differs between files", "a spec has one name: set it in one file, or the same in all", SPEC_DOCS),
    ("E024", "duplicate step id in a workflow", "step ids are unique in a workflow", SPEC_DOCS),
    # -- references
    ("E030", "unknown model (in an assistant, a fallback or an environment override)", "define it under models:", SPEC_DOCS),
    ("E031", "unknown assistant", "define it under assistants:", SPEC_DOCS),
    ("E032", "unknown schema, or an unsupported `$ref`", "define it under schemas:, or write the schema inline", SPEC_DOCS),
    ("E033", "unknown step (in `${steps.ID...}` or `needs`)", "a step reads the other steps of its own workflow by id", SPEC_DOCS),
    # -- workflows
    ("E040", "malformed expression", "expressions are ${input...}, ${steps.ID.output...}, ${prev.output...}, ${item...} and ${index}", SPEC_DOCS),
    ("E041", "`prev` in the first step", "prev is the step listed just before; use ${input...} here", SPEC_DOCS),
    ("E042", "`${item}`/`${index}` outside a scattered step's input; `concurrency`/`on_error` without `scatter`", "${item} and ${index} exist only in the input of a step with scatter:", SPEC_DOCS),
    ("E043", "scatter over a value that is not (always) an array", "scatter needs an expression of array type", SPEC_DOCS),
    ("E044", "dependency cycle; a step reading its own output", "a step can only read outputs of steps that do not (indirectly) read its own", SPEC_DOCS),
    ("E045", "step input does not fit the assistant's input contract", "change the expression, or the assistant's input contract", SPEC_DOCS),
    ("E046", "a path that does not exist in the type", "read a path that the contract declares", SPEC_DOCS),
    ("E047", "workflow output references an unknown step", "the output reads the steps of its own workflow by id", SPEC_DOCS),
    # -- contracts and routes
    ("E050", "unsupported JSON Schema keyword", "see docs/contracts.md for the supported keywords", SPEC_DOCS),
    ("E051", "invalid JSON Schema (bad type name, bad keyword value, bad pattern)", "docs/contracts.md describes the JSON Schema contracts accept", SPEC_DOCS),
    ("E052", "invalid model route", "docs/providers.md describes the route of each provider", SPEC_DOCS),
    ("E053", "a literal in a step input that does not fit the contract", "change the literal to fit the assistant's input contract", SPEC_DOCS),
    ("E054", "a cycle of model fallbacks", "a fallback chain must end", SPEC_DOCS),
    # -- the IR
    ("E090", "an IR file that this aiwf cannot read (not JSON, an IR version it does not read, not an IR)", "recompile the spec with this aiwf: aiwf compile SPEC --out ir.json", SPEC_DOCS),
    # -- warnings
    ("W001", "schema not used by any assistant or workflow", "remove it, or reference it", SPEC_DOCS),
    ("W002", "assistant not used by any workflow", "use it in a step, or remove it", SPEC_DOCS),
    ("W003", "model not used by any assistant", "remove it, or route an assistant to it", SPEC_DOCS),
    ("W004", "kind-specific keywords without `type` (they apply only to values of that kind)", "add the type the keywords are meant for", SPEC_DOCS),
    # -- the project config
    ("C001", "the config file cannot be read (or `--config` names no file)", "check the --config path", CONFIG_DOCS),
    ("C002", "invalid TOML", "fix the TOML syntax at the position given", CONFIG_DOCS),
    ("C003", "`--config` names a `pyproject.toml` without a `[tool.aiwf]` table", "add a [tool.aiwf] table, or point --config at an aiwf.toml", CONFIG_DOCS),
    ("C004", "unknown key or wrong kind of value (the message names the key)", "see docs/configuration.md for the keys", CONFIG_DOCS),
    ("C005", "unknown environment (the message lists the known ones)", "define [environments.NAME] in the project config, or drop --env / AIWF_ENV", CONFIG_DOCS),
)
# fmt: on

#: Every registered code, in order: code -> entry.
REGISTRY: dict[str, Code] = {row[0]: Code(*row) for row in _TABLE}


def lookup(code: str) -> Code | None:
    """The registered entry of ``code``, if it is registered."""
    return REGISTRY.get(code)


# The codes as attributes (``codes.E045``), declared for the type checker; a test checks that
# they are exactly the table's.
E001: Code
E002: Code
E003: Code
E004: Code
E005: Code
E006: Code
E010: Code
E011: Code
E012: Code
E013: Code
E014: Code
E020: Code
E021: Code
E022: Code
E023: Code
E024: Code
E030: Code
E031: Code
E032: Code
E033: Code
E040: Code
E041: Code
E042: Code
E043: Code
E044: Code
E045: Code
E046: Code
E047: Code
E050: Code
E051: Code
E052: Code
E053: Code
E054: Code
E090: Code
W001: Code
W002: Code
W003: Code
W004: Code
C001: Code
C002: Code
C003: Code
C004: Code
C005: Code

globals().update(REGISTRY)
