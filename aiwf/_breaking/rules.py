"""The rules of ``aiwf breaking``: one entry per kind of change, each with a stable id, a
level and what it affects.

Levels (docs/breaking.md explains each rule with an example):

- ``error``: old callers break: a request they build is refused, a response fails their
  SDK's strict decoding, or their code stops compiling where it uses what the SDK returns or
  exports (reads a response property, names a type, a function or a constant);
- ``warning``: the wire stays compatible, but code that *builds requests* may stop compiling
  in the languages listed;
- ``info``: nothing an old caller does breaks, but behaviour may change (the model, its
  instructions or temperature, a workflow's steps): re-run your evaluations;
- ``none``: a compatible change (an addition, a relaxed input, a tightened output) that
  ``aiwf breaking`` does not report; ``aiwf changelog`` lists it.

``affects`` says where the change shows: ``wire`` (JSON written for one version is refused
by the other), a language (code written against the old SDK no longer builds or type-checks
there: measured by tests/breaking with the real ``go build``, ``tsc`` and ``mypy --strict``)
and ``behaviour``. The table is data: the tests check every row against the toolchains.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning", "info", "none"]
Category = Literal["added", "changed", "removed"]

#: Levels from the most to the least severe.
LEVELS: tuple[Level, ...] = ("error", "warning", "info", "none")
#: What a change can affect, in display order.
AFFECTS = ("wire", "python", "go", "typescript", "behaviour")


@dataclass(frozen=True)
class Rule:
    """One kind of change."""

    id: str
    level: Level
    #: Where ``aiwf changelog`` lists it (an ``error`` is also listed under "Breaking").
    category: Category
    #: What it detects, in one line.
    summary: str
    #: Where it shows: ``wire``, ``python``, ``go``, ``typescript``, ``behaviour``.
    affects: tuple[str, ...]
    #: What to do about it.
    hint: str

    def to_dict(self) -> dict[str, object]:
        """The rule as JSON data: its fields, in their order."""
        data = asdict(self)
        data["affects"] = list(self.affects)
        return data


_SRC = ("python", "go", "typescript")
_ALL = ("wire", *_SRC)
_BEHAVIOUR = "behaviour: re-run your evaluations"
_MAJOR = "accept it by fingerprint ([[breaking.accept]]) and release a major version"


def _rules(*rules: Rule) -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for rule in rules:
        assert rule.id not in table, rule.id
        assert all(a in AFFECTS for a in rule.affects), rule.id
        table[rule.id] = rule
    return table


RULES: dict[str, Rule] = _rules(
    # -- named items ------------------------------------------------------------------------
    Rule("schema-removed", "error", "removed",
         "a named schema (or $defs entry) is removed: the SDKs no longer export its type",
         _SRC, "keep the schema, or " + _MAJOR),
    Rule("schema-renamed", "error", "changed",
         "a named schema is renamed (removed and added with the same structure)",
         _SRC, "keep the old name, or " + _MAJOR),
    Rule("schema-added", "none", "added", "a named schema is added", (), ""),
    Rule("assistant-removed", "error", "removed",
         "an assistant is removed: its SDK function goes away", _SRC,
         "keep the assistant, or " + _MAJOR),
    Rule("assistant-renamed", "error", "changed",
         "an assistant is renamed (removed and added with the same structure): its SDK "
         "function is renamed", _SRC, "keep the old name, or " + _MAJOR),
    Rule("assistant-added", "none", "added", "an assistant is added", (), ""),
    Rule("workflow-removed", "error", "removed",
         "a workflow is removed: its SDK function goes away", _SRC,
         "keep the workflow, or " + _MAJOR),
    Rule("workflow-renamed", "error", "changed",
         "a workflow is renamed (removed and added with the same structure): its SDK "
         "function and its Input/Output types are renamed", _SRC,
         "keep the old name, or " + _MAJOR),
    Rule("workflow-added", "none", "added", "a workflow is added", (), ""),
    # -- behaviour ---------------------------------------------------------------------------
    Rule("assistant-model-changed", "info", "changed",
         "an assistant's model route changed (another alias, or the alias's provider, "
         "model or settings)", ("behaviour",), _BEHAVIOUR),
    Rule("assistant-instructions-changed", "info", "changed",
         "an assistant's instructions (its system prompt) changed", ("behaviour",), _BEHAVIOUR),
    Rule("assistant-temperature-changed", "info", "changed",
         "an assistant's temperature or max_tokens changed", ("behaviour",), _BEHAVIOUR),
    Rule("workflow-steps-changed", "info", "changed",
         "a workflow's steps changed: a step added, removed or moved, another assistant, "
         "another input binding or scatter, or another output binding", ("behaviour",),
         _BEHAVIOUR),
    # -- properties of requests (inputs) ------------------------------------------------------
    Rule("input-required-property-added", "error", "changed",
         "a required property is added to an input: old callers do not send it",
         ("wire", "python", "typescript"),
         "make it optional (old callers keep working), or " + _MAJOR),
    Rule("input-property-added", "none", "added",
         "an optional property is added to an input", (), ""),
    Rule("input-property-made-required", "error", "changed",
         "an optional input property is made required: old callers may not send it",
         _ALL, "keep it optional, or " + _MAJOR),
    Rule("input-property-made-optional", "warning", "changed",
         "a required input property is made optional: compatible on the wire, but its "
         "generated field changes type (a Go pointer)", ("go",),
         "callers that set it may need an edit"),
    Rule("input-property-removed", "warning", "removed",
         "a property is removed from an open input object: old requests still validate "
         "(the key is allowed), but code that sets it no longer compiles", _SRC,
         "callers that set it must drop it; keep it (deprecated in its description) to avoid that"),
    Rule("input-property-removed-closed", "error", "removed",
         "a property is removed from a closed input object (additionalProperties: false): "
         "old callers that send it are refused", _ALL,
         "keep the property, or open the object, or " + _MAJOR),
    Rule("input-json-name-changed", "error", "changed",
         "an input property's JSON name changed (the same words, cased or separated "
         "differently): old callers send the old key", ("wire", "python", "typescript"),
         "keep the old JSON name, or " + _MAJOR),
    # -- properties of responses (outputs) ----------------------------------------------------
    Rule("output-required-property-removed", "error", "removed",
         "a required property is removed from an output: old SDKs require it when decoding, "
         "and code that reads it no longer compiles", _ALL,
         "keep the property, or " + _MAJOR),
    Rule("output-property-removed", "error", "removed",
         "an optional property is removed from an output: code that reads it no longer "
         "compiles", _SRC, "keep the property, or " + _MAJOR),
    Rule("output-property-made-optional", "error", "changed",
         "a required output property is made optional: old SDKs require it, and its "
         "generated field becomes optional", _ALL, "keep it required, or " + _MAJOR),
    Rule("output-property-made-required", "error", "changed",
         "an optional output property is made required: compatible on the wire, but its "
         "generated field changes type (a Go pointer goes away)", ("go",),
         "code that checks it for nil must change; or " + _MAJOR),
    Rule("output-property-added-closed", "error", "changed",
         "a property is added to a closed output object (additionalProperties: false): "
         "old SDKs decode strictly and refuse the new key", ("wire",),
         "open the object (additionalProperties: true) in a release before adding "
         "properties, or " + _MAJOR),
    Rule("output-property-added", "none", "added",
         "a property is added to an open output object", (), ""),
    Rule("output-json-name-changed", "error", "changed",
         "an output property's JSON name changed (the same words, cased or separated "
         "differently): old SDKs expect the old key", ("wire", "typescript"),
         "keep the old JSON name, or " + _MAJOR),
    # -- types -----------------------------------------------------------------------------------
    Rule("input-type-changed", "error", "changed",
         "an input value's type changed incompatibly (string to integer, array to object ...)",
         _ALL, "add a new property with the new type instead, or " + _MAJOR),
    Rule("output-type-changed", "error", "changed",
         "an output value's type changed incompatibly (string to integer, array to object ...)",
         _ALL, "add a new property with the new type instead, or " + _MAJOR),
    Rule("input-type-narrowed", "error", "changed",
         "an input accepts fewer values (number to integer, a union to one of its types, "
         "any value to one type, a string to an enum)", _ALL,
         "keep accepting the old values, or " + _MAJOR),
    Rule("input-type-widened", "warning", "changed",
         "an input accepts more values (integer to number, a type to a union of it and "
         "others, an enum to a string): compatible on the wire, but its generated field "
         "changes type", ("go",), "callers that set it may need an edit"),
    Rule("output-type-widened", "error", "changed",
         "an output may hold more values (integer to number, a type to a union of it and "
         "others, an enum to a string): old SDKs refuse the new ones", _ALL,
         "add a new property with the wider type instead, or " + _MAJOR),
    Rule("output-type-narrowed", "error", "changed",
         "an output holds fewer values (number to integer, a union to one of its types): "
         "compatible on the wire, but its generated field changes type", ("go",),
         "code that reads it may need an edit; or " + _MAJOR),
    Rule("input-type-replaced", "warning", "changed",
         "an input value now has another named type (another schema, or an inline schema "
         "moved under schemas:): the generated type name changes", ("python", "go"),
         "callers that build it must use the new type"),
    Rule("output-type-replaced", "error", "changed",
         "an output value now has another named type (another schema, or an inline schema "
         "moved under schemas:): the generated type name changes", ("python", "go"),
         "keep the old type, or " + _MAJOR),
    Rule("input-null-added", "warning", "changed",
         "an input value may now be null: compatible on the wire, but its generated Go "
         "field becomes a pointer (or a Nullable)", ("go",),
         "callers that set it may need an edit"),
    Rule("input-null-removed", "error", "changed",
         "an input value may no longer be null: old callers that send null are refused",
         _ALL, "keep accepting null, or " + _MAJOR),
    Rule("output-null-added", "error", "changed",
         "an output value may now be null: old SDKs refuse it, and code that reads it must "
         "handle null", _ALL, "keep it non-null, or " + _MAJOR),
    Rule("output-null-removed", "error", "changed",
         "an output value may no longer be null: compatible on the wire, but its generated "
         "Go field stops being a pointer", ("go",),
         "code that checks it for nil must change; or " + _MAJOR),
    # -- enums and consts ------------------------------------------------------------------------
    Rule("input-enum-value-removed", "error", "changed",
         "a value is removed from an input enum: old callers that send it are refused; the "
         "Go constant goes away and the TypeScript and Python literal types narrow", _ALL,
         "keep the value, or " + _MAJOR),
    Rule("input-enum-value-added", "none", "added",
         "a value is added to an input enum", (), ""),
    Rule("output-enum-value-added", "error", "changed",
         "a value is added to an output enum: old SDKs refuse it when decoding", ("wire",),
         "add the value to a new property instead, or " + _MAJOR),
    Rule("output-enum-value-removed", "error", "changed",
         "a value is removed from an output enum: compatible on the wire, but the Go "
         "constant goes away and the TypeScript and Python literal types narrow (code that "
         "compares with it no longer compiles)", _SRC, "keep the value, or " + _MAJOR),
    Rule("input-const-changed", "error", "changed",
         "an input const changed: old callers send the old value (a Go const is a plain "
         "string, the Python and TypeScript literal types change)",
         ("wire", "python", "typescript"),
         "keep the value, or " + _MAJOR),
    Rule("output-const-changed", "error", "changed",
         "an output const changed: old SDKs expect the old value (a Go const is a plain "
         "string, the Python and TypeScript literal types change)",
         ("wire", "python", "typescript"),
         "keep the value, or " + _MAJOR),
    # -- constraints -------------------------------------------------------------------------
    Rule("input-bounds-tightened", "error", "changed",
         "an input constraint is added or tightened (maxLength, minimum, maxItems, "
         "multipleOf, uniqueItems, a pattern or format added or changed, anyOf to oneOf): "
         "old requests may be refused", ("wire",),
         "keep the old bound, or " + _MAJOR),
    Rule("input-bounds-loosened", "none", "changed",
         "an input constraint is removed or loosened", (), ""),
    Rule("output-bounds-loosened", "error", "changed",
         "an output constraint is removed or loosened (a pattern changed, oneOf to anyOf ...): "
         "old SDKs may refuse new responses", ("wire",),
         "keep the old bound, or " + _MAJOR),
    Rule("output-bounds-tightened", "none", "changed",
         "an output constraint is added or tightened", (), ""),
    # -- objects and maps --------------------------------------------------------------------
    Rule("input-object-closed", "error", "changed",
         "an input object is closed (additionalProperties: false): old callers that send "
         "other keys are refused", ("wire", "go"),
         "keep it open, or " + _MAJOR),
    Rule("input-object-opened", "none", "changed",
         "an input object is opened (additionalProperties allowed)", (), ""),
    Rule("output-object-opened", "error", "changed",
         "a closed output object is opened: old SDKs decode strictly and refuse other keys",
         ("wire",), "keep it closed, or " + _MAJOR),
    Rule("output-object-closed", "error", "changed",
         "an output object is closed: compatible on the wire, but the generated Go struct "
         "loses its AdditionalProperties field", ("go",),
         "code that reads other keys must change; or " + _MAJOR),
    # -- unions ---------------------------------------------------------------------------------
    Rule("input-variant-removed", "error", "changed",
         "an anyOf/oneOf variant is removed from an input: old callers that send it are "
         "refused", ("wire", "python", "typescript"), "keep the variant, or " + _MAJOR),
    Rule("input-variant-added", "none", "added",
         "an anyOf/oneOf variant is added to an input", (), ""),
    Rule("output-variant-added", "error", "changed",
         "an anyOf/oneOf variant is added to an output: old SDKs refuse values of it",
         ("wire", "python", "typescript"), "add a new property instead, or " + _MAJOR),
    Rule("output-variant-removed", "none", "changed",
         "an anyOf/oneOf variant is removed from an output", (), ""),
    Rule("variants-reordered", "error", "changed",
         "anyOf/oneOf variants are reordered: the generated types of inline object "
         "variants are named by position (…Variant1, …Variant2) and change names",
         ("python", "go", "typescript"), "keep the order (add new variants at the end)"),
)  # fmt: skip


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` (a KeyError for an unknown one)."""
    return RULES[rule_id]


def at_least(level: str, threshold: str) -> bool:
    """Whether ``level`` is at or above ``threshold`` (``error`` > ``warning`` > ``info``)."""
    order: list[str] = list(LEVELS)
    return order.index(level) <= order.index(threshold)


__all__ = ["AFFECTS", "LEVELS", "RULES", "Category", "Level", "Rule", "at_least", "rule"]
