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


#: Every registered code, in order: code -> entry.
REGISTRY: dict[str, Code] = {}


def _define(code: str, summary: str, hint: str | None, docs: str = SPEC_DOCS) -> Code:
    assert code not in REGISTRY, code
    entry = REGISTRY[code] = Code(code, summary, hint, docs)
    return entry


def lookup(code: str) -> Code | None:
    """The registered entry of ``code``, if it is registered."""
    return REGISTRY.get(code)


# -- loading files -----------------------------------------------------------------------------
E001 = _define("E001", "YAML syntax error; several documents in one file",
               "check the indentation and quoting near this position")  # fmt: skip
E002 = _define(
    "E002", "binary data (a NUL byte) or invalid UTF-8", "spec files are UTF-8 YAML text"
)
E003 = _define("E003", "file over the size limit, or unreadable",
               "check that the path is a readable file")  # fmt: skip
E004 = _define("E004", "duplicate key in a map", "remove one of the two entries")
E005 = _define("E005", "aliases expanding past the limit, recursive alias, nesting too deep",
               "flatten the document")  # fmt: skip
E006 = _define("E006", "unsupported tag, non-string key, non-JSON number",
               "specs hold plain JSON values: strings, numbers, booleans, null, maps and lists")  # fmt: skip

# -- structure -------------------------------------------------------------------------------
E010 = _define("E010", "unsupported format version",
               "write 'aiwf: 1', or upgrade aiwf if the spec was written for a newer version")  # fmt: skip
E011 = _define("E011", "unknown key", "docs/spec.md lists the keys of each section")
E012 = _define(
    "E012", "missing required key", "docs/spec.md lists the required keys of each section"
)
E013 = _define("E013", "wrong kind of value", "docs/spec.md gives the kind of value each key takes")
E014 = _define("E014", "invalid value (enum, range, pattern, empty)",
               "docs/spec.md gives the allowed values and ranges")  # fmt: skip

# -- names -----------------------------------------------------------------------------------
E020 = _define("E020", "invalid name",
               "names start with an ASCII letter, then letters, digits or underscores (at most 64)")  # fmt: skip
E021 = _define(
    "E021", "a name defined twice (across files)", "names are unique across the spec's files"
)
E022 = _define("E022", "names colliding after case conversion; an inline contract named like a schema",
               "rename one of them so they differ by more than case or underscores")  # fmt: skip
E023 = _define("E023", "spec `name` differs between files",
               "a spec has one name: set it in one file, or the same in all")  # fmt: skip
E024 = _define("E024", "duplicate step id in a workflow", "step ids are unique in a workflow")

# -- references ------------------------------------------------------------------------------
E030 = _define("E030", "unknown model (in an assistant, a fallback or an environment override)",
               "define it under models:")  # fmt: skip
E031 = _define("E031", "unknown assistant", "define it under assistants:")
E032 = _define("E032", "unknown schema, or an unsupported `$ref`",
               "define it under schemas:, or write the schema inline")  # fmt: skip
E033 = _define("E033", "unknown step (in `${steps.ID...}` or `needs`)",
               "a step reads the other steps of its own workflow by id")  # fmt: skip

# -- workflows -------------------------------------------------------------------------------
E040 = _define("E040", "malformed expression",
               "expressions are ${input...}, ${steps.ID.output...}, ${prev.output...}, ${item...} and ${index}")  # fmt: skip
E041 = _define("E041", "`prev` in the first step",
               "prev is the step listed just before; use ${input...} here")  # fmt: skip
E042 = _define("E042", "`${item}`/`${index}` outside a scattered step's input; `concurrency`/`on_error` without `scatter`",
               "${item} and ${index} exist only in the input of a step with scatter:")  # fmt: skip
E043 = _define("E043", "scatter over a value that is not (always) an array",
               "scatter needs an expression of array type")  # fmt: skip
E044 = _define("E044", "dependency cycle; a step reading its own output",
               "a step can only read outputs of steps that do not (indirectly) read its own")  # fmt: skip
E045 = _define("E045", "step input does not fit the assistant's input contract",
               "change the expression, or the assistant's input contract")  # fmt: skip
E046 = _define("E046", "a path that does not exist in the type",
               "read a path that the contract declares")  # fmt: skip
E047 = _define("E047", "workflow output references an unknown step",
               "the output reads the steps of its own workflow by id")  # fmt: skip

# -- contracts and routes --------------------------------------------------------------------
E050 = _define(
    "E050", "unsupported JSON Schema keyword", "see docs/contracts.md for the supported keywords"
)
E051 = _define("E051", "invalid JSON Schema (bad type name, bad keyword value, bad pattern)",
               "docs/contracts.md describes the JSON Schema contracts accept")  # fmt: skip
E052 = _define(
    "E052", "invalid model route", "docs/providers.md describes the route of each provider"
)
E053 = _define("E053", "a literal in a step input that does not fit the contract",
               "change the literal to fit the assistant's input contract")  # fmt: skip
E054 = _define("E054", "a cycle of model fallbacks", "a fallback chain must end")

# -- the IR ----------------------------------------------------------------------------------
E090 = _define("E090", "an IR file that this aiwf cannot read (not JSON, another IR version, not an IR)",
               "recompile the spec with this aiwf: aiwf compile SPEC --out ir.json")  # fmt: skip

# -- warnings --------------------------------------------------------------------------------
W001 = _define("W001", "schema not used by any assistant or workflow", "remove it, or reference it")
W002 = _define("W002", "assistant not used by any workflow", "use it in a step, or remove it")
W003 = _define("W003", "model not used by any assistant", "remove it, or route an assistant to it")
W004 = _define("W004", "kind-specific keywords without `type` (they apply only to values of that kind)",
               "add the type the keywords are meant for")  # fmt: skip

# -- the project config ----------------------------------------------------------------------
C001 = _define("C001", "the config file cannot be read (or `--config` names no file)",
               "check the --config path", CONFIG_DOCS)  # fmt: skip
C002 = _define("C002", "invalid TOML", "fix the TOML syntax at the position given", CONFIG_DOCS)
C003 = _define("C003", "`--config` names a `pyproject.toml` without a `[tool.aiwf]` table",
               "add a [tool.aiwf] table, or point --config at an aiwf.toml", CONFIG_DOCS)  # fmt: skip
C004 = _define("C004", "unknown key or wrong kind of value (the message names the key)",
               "see docs/configuration.md for the keys", CONFIG_DOCS)  # fmt: skip
C005 = _define("C005", "unknown environment (the message lists the known ones)",
               "define [environments.NAME] in the project config, or drop --env / AIWF_ENV", CONFIG_DOCS)  # fmt: skip
