"""The declared keyword set: docs/contracts.md lists every keyword the compiler accepts,
annotations are accepted silently, anything else is a positioned E050, and typeless
kind-specific keywords warn (W004)."""

from __future__ import annotations

import re

import pytest

from aiwf._diagnostics import Diagnostic
from aiwf._ir import types as t
from aiwf._ir.schemas import ANNOTATION_KEYWORDS, STRUCTURAL_KEYWORDS, SchemaCompiler
from aiwf._spec.loader import parse

from .suite import ROOT

DOC = ROOT / "docs" / "contracts.md"


def compile_text(text: str) -> tuple[t.Type, list[Diagnostic]]:
    found: list[Diagnostic] = []
    draft = SchemaCompiler(set(), found.append).compile(
        "Probe", parse(text, "probe.yaml"), "probe.yaml", None, "schema"
    )
    return draft.type, found


def test_contracts_doc_lists_every_supported_keyword() -> None:
    text = DOC.read_text(encoding="utf-8")
    cells = re.findall(r"^\| ([^|]+) \|", text, re.MULTILINE)
    rows = {
        k for cell in cells if cell.startswith("`") for k in re.findall(r"`([$A-Za-z]+)`", cell)
    }
    assert rows == STRUCTURAL_KEYWORDS | ANNOTATION_KEYWORDS


@pytest.mark.parametrize("keyword", sorted(ANNOTATION_KEYWORDS))
def test_annotations_are_accepted(keyword: str) -> None:
    value = {
        "examples": "[a]",
        "deprecated": "true",
        "readOnly": "false",
        "writeOnly": "false",
        "default": "x",
        "$schema": "'https://json-schema.org/draft/2020-12/schema'",
    }.get(keyword, "some text")
    _, found = compile_text(f"type: string\n{keyword}: {value}\n")
    assert found == []


@pytest.mark.parametrize(
    "keyword",
    ["prefixItems", "patternProperties", "minProperties", "$id", "not", "if", "dependentRequired",
     "contains", "unevaluatedProperties", "propertyNames"],
)  # fmt: skip
def test_keywords_outside_the_set_are_a_positioned_e050(keyword: str) -> None:
    _, found = compile_text(
        f"type: object\nproperties:\n  a:\n    type: string\n    {keyword}: 1\n"
    )
    errors = [d for d in found if d.code == "E050"]
    assert len(errors) == 1, found
    assert (errors[0].line, errors[0].column) == (5, 5)
    assert keyword in errors[0].message


@pytest.mark.parametrize(
    ("text", "hint", "facets"),
    [
        ("minimum: 1", "add type: number", ["number"]),
        ("properties: {a: {type: string}}", "add type: object", ["object"]),
        ("items: {type: string}\nmaxLength: 3", "add type: [array, string]", ["array", "string"]),
    ],
)
def test_typeless_kind_keywords_warn_and_apply_by_kind(
    text: str, hint: str, facets: list[str]
) -> None:
    typ, found = compile_text(text)
    assert [d.code for d in found] == ["W004"]
    assert found[0].severity == "warning"
    assert (found[0].line, found[0].column) == (1, 1)
    assert found[0].hint == hint
    assert isinstance(typ, t.ByKindType)
    assert [f.kind for f in typ.facets()] == facets


def test_a_typed_schema_does_not_warn() -> None:
    typ, found = compile_text("type: object\nproperties: {a: {minimum: 1, type: integer}}")
    assert found == []
    assert isinstance(typ, t.ObjectType)


def test_typecheck_treats_by_kind_conservatively() -> None:
    from aiwf._ir.typecheck import Typed, check_assignable, follow

    dst, _ = compile_text("required: [a]\nproperties: {a: {type: string}}")
    assert isinstance(dst, t.ByKindType)

    def lookup(name: str) -> t.Type:
        raise KeyError(name)

    # Another kind passes; an object must fit the object facet.
    assert check_assignable(Typed(t.IntegerType()), dst, lookup) == []
    assert check_assignable(Typed(t.NullType()), dst, lookup) == []
    missing = check_assignable(Typed(t.ObjectType()), dst, lookup)
    assert missing
    assert "'a'" in missing[0]
    good = t.ObjectType(properties=(t.Property(name="a", type=t.StringType(), required=True),))
    assert check_assignable(Typed(good), dst, lookup) == []
    # Enum values are validated against the facet of their kind.
    assert check_assignable(Typed(t.EnumType(values=("x", 3))), dst, lookup) == []
    # A path into it may not exist: any, optional.
    found = follow(dst, ("a",), lookup, "input")
    assert isinstance(found.type, t.AnyType)
    assert found.optional
