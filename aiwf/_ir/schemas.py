"""From a contract's JSON Schema (as written in the spec) to a :data:`~aiwf._ir.types.Type`.

Only a declared keyword set is accepted (see docs/contracts.md): a keyword outside it is an
error, so nothing a spec says is silently ignored. Annotation-only keywords (``description``,
``title``, ``examples`` ...) are accepted and kept where the type model has a place for them.

References: ``#/schemas/NAME`` (a contract of the spec), ``#/$defs/NAME`` (a definition in
the same contract, hoisted to a contract of its own) and ``#`` (the contract itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field, replace
from typing import Any

from aiwf import _codes as codes
from aiwf._diagnostics import Diagnostic
from aiwf._ir import types as t
from aiwf._ir._dc import dataclass
from aiwf._ir.names import pascal_case
from aiwf._spec.loader import Pos, YMap, YSeq, position_of
from aiwf._spec.names import NAME_PATTERN
from aiwf._structure import TYPE_NAMES, is_number, plain
from aiwf._suggest import closest, did_you_mean

#: Keywords that shape or constrain values.
STRUCTURAL_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "properties", "required", "additionalProperties",
        "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "anyOf", "oneOf", "allOf", "$ref", "$defs",
    }
)  # fmt: skip
#: Keywords that only annotate; accepted and kept (description, title, default) or ignored.
ANNOTATION_KEYWORDS = frozenset(
    {"title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly",
     "$comment", "$schema"}
)  # fmt: skip
SUPPORTED_KEYWORDS = STRUCTURAL_KEYWORDS | ANNOTATION_KEYWORDS

#: Values of ``format`` the targets know (others are an error rather than silently ignored).
KNOWN_FORMATS = frozenset(
    {"date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri",
     "uri-reference", "uuid", "regex"}
)  # fmt: skip
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_HINT_REFS = "use '#/schemas/NAME', '#/$defs/NAME' or '#'"


@dataclass
class ContractDraft:
    """A contract produced from one schema: its type, its JSON Schema with references made
    program-wide (``#/$defs/NAME``), and the contracts it references directly."""

    name: str
    type: t.Type
    schema: Any
    refs: set[str] = field(default_factory=set)
    origin: str = "schema"
    file: str | None = None
    pos: Pos | None = None


class SchemaCompiler:
    """Compiles the schemas of one spec. ``known`` holds every name in ``schemas:``."""

    def __init__(self, known: set[str], report: Callable[[Diagnostic], None]) -> None:
        self.known = known
        self.report = report
        self.drafts: dict[str, ContractDraft] = {}
        #: The schemas that unknown ``$ref`` names most likely meant (they count as used).
        self.intended: set[str] = set()

    # -- entry points ---------------------------------------------------------------

    def compile(
        self, name: str, schema: Any, file: str, pos: Pos | None, origin: str
    ) -> ContractDraft:
        """Compile ``schema`` as the contract ``name`` (its local ``$defs`` become contracts
        ``Name`` + ``DefName`` of their own)."""
        ctx = _Context(self, name, file, set())
        draft = ContractDraft(name, t.AnyType(), None, origin=origin, file=file, pos=pos)
        self.drafts[name] = draft
        if isinstance(schema, YMap) and "$defs" in schema:
            self._hoist_defs(ctx, schema)
        draft.type = ctx.build(schema, None, None)
        draft.schema = ctx.rewrite(schema)
        draft.refs = ctx.refs
        return draft

    def _hoist_defs(self, ctx: _Context, schema: YMap) -> None:
        defs = schema["$defs"]
        if not isinstance(defs, YMap):
            ctx.report(codes.E051, "$defs must be a map of schemas", schema, "$defs")
            return
        for def_name in defs:
            if not re.match(NAME_PATTERN, def_name):
                ctx.report(
                    codes.E020,
                    f"invalid $defs name {def_name!r}",
                    defs,
                    def_name,
                    of_key=True,
                    hint="use a letter, then letters, digits or underscores",
                )
                continue
            hoisted = ctx.owner_prefix + pascal_case(def_name)
            ctx.local_defs[def_name] = hoisted
        for def_name, hoisted in ctx.local_defs.items():
            sub = _Context(self, hoisted, ctx.file, set())
            sub.local_defs = ctx.local_defs
            sub.root_name = ctx.owner
            def_schema = defs[def_name]
            draft = ContractDraft(
                hoisted, t.AnyType(), None, origin="defs", file=ctx.file, pos=defs.val_pos[def_name]
            )
            self.drafts[hoisted] = draft
            if isinstance(def_schema, YMap) and "$defs" in def_schema:
                ctx.report(
                    codes.E050,
                    "nested $defs are not supported",
                    def_schema,
                    "$defs",
                    of_key=True,
                    hint="move the definitions to the top-level $defs of the schema",
                )
            draft.type = sub.build(def_schema, defs, def_name)
            draft.schema = sub.rewrite(def_schema)
            draft.refs = sub.refs


class _Context:
    """Compiling one schema document (a contract, or one hoisted definition)."""

    def __init__(self, owner: SchemaCompiler, name: str, file: str, refs: set[str]) -> None:
        self.compiler = owner
        self.owner = name
        self.root_name = name
        self.owner_prefix = pascal_case(name)
        self.file = file
        self.refs = refs
        self.local_defs: dict[str, str] = {}

    def report(
        self,
        code: codes.Code,
        message: str,
        parent: Any,
        key: str | int | None,
        *,
        of_key: bool = False,
        hint: str | None = None,
    ) -> None:
        pos = position_of(parent, key, of_key=of_key) if key is not None else None
        if pos is None and isinstance(parent, (YMap, YSeq)):
            pos = parent.pos
        self.compiler.report(Diagnostic.of(code, message, self.file, pos, hint))

    # -- references ------------------------------------------------------------------

    def resolve_ref(self, ref: Any, schema: YMap) -> str | None:
        """The contract a ``$ref`` names, or None (after reporting) when it names none."""
        if not isinstance(ref, str):
            self.report(codes.E051, "$ref must be a string", schema, "$ref", hint=_HINT_REFS)
            return None
        if ref == "#":
            return self.root_name
        for prefix, table in (("#/schemas/", None), ("#/$defs/", self.local_defs)):
            if ref.startswith(prefix):
                target = ref[len(prefix) :]
                if table is None:
                    if target in self.compiler.known:
                        return target
                    candidates = self.compiler.known
                else:
                    if target in table:
                        return table[target]
                    candidates = set(table)
                match = closest(target, candidates)
                if match is not None and table is None:
                    self.compiler.intended.add(match)
                self.report(
                    codes.E032,
                    f"unknown schema {target!r} in $ref {ref!r}",
                    schema,
                    "$ref",
                    hint=did_you_mean(target, candidates) or "define it under schemas:",
                )
                return None
        self.report(
            codes.E032,
            f"unsupported $ref {ref!r}: only references inside the spec are allowed",
            schema,
            "$ref",
            hint=_HINT_REFS,
        )
        return None

    def rewrite(self, schema: Any) -> Any:
        """A plain-JSON copy of ``schema`` with references made program-wide."""
        if isinstance(schema, dict):
            out: dict[str, Any] = {}
            for key, value in schema.items():
                if key == "$defs":
                    continue
                if key == "$ref" and isinstance(value, str):
                    name = self._ref_target(value)
                    out[key] = f"#/$defs/{name}" if name else value
                elif key in ("properties", "$defs") and isinstance(value, dict):
                    out[key] = {k: self.rewrite(v) for k, v in value.items()}
                elif key in ("items", "additionalProperties") or key in ("anyOf", "oneOf", "allOf"):
                    out[key] = self.rewrite(value)
                else:
                    out[key] = plain(value)
            return out
        if isinstance(schema, list):
            return [self.rewrite(v) for v in schema]
        return schema

    def _ref_target(self, ref: str) -> str | None:
        if ref == "#":
            return self.root_name
        if ref.startswith("#/schemas/"):
            name = ref[len("#/schemas/") :]
            return name if name in self.compiler.known else None
        if ref.startswith("#/$defs/"):
            return self.local_defs.get(ref[len("#/$defs/") :])
        return None

    # -- building types ------------------------------------------------------------------

    def build(self, schema: Any, parent: Any, key: str | int | None) -> t.Type:
        if schema is True:
            return t.AnyType()
        if schema is False:
            return t.NeverType()
        if not isinstance(schema, YMap):
            self.report(
                codes.E051,
                "a schema must be a map or a boolean",
                parent,
                key,
                hint="write a JSON Schema such as {type: string}, or a schema name",
            )
            return t.AnyType()
        for keyword in schema:
            if keyword not in SUPPORTED_KEYWORDS:
                hint = did_you_mean(keyword, SUPPORTED_KEYWORDS)
                if keyword == "nullable":
                    hint = "write type: [X, 'null'] (JSON Schema) instead of nullable: true"
                self.report(
                    codes.E050,
                    f"unsupported JSON Schema keyword {keyword!r}",
                    schema,
                    keyword,
                    of_key=True,
                    hint=hint or "see docs/contracts.md for the supported keywords",
                )
        meta = self._annotations(schema)
        parts: list[t.Type] = []
        nullable = False

        if "$ref" in schema:
            target = self.resolve_ref(schema["$ref"], schema)
            if target is not None:
                self.refs.add(target)
                parts.append(t.RefType(name=target))

        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                self.report(codes.E051, "enum must be a non-empty list", schema, "enum")
            else:
                listed = [plain(v) for v in values]
                if None in listed:
                    nullable = True
                    listed = [v for v in listed if v is not None]
                parts.append(t.EnumType(values=tuple(listed)) if listed else t.NullType())
        if "const" in schema:
            parts.append(t.ConstType(value=plain(schema["const"])))

        if "type" in schema:
            typed, type_nullable = self._typed(schema)
            nullable = nullable or type_nullable
            if (typed is not None and not parts) or (
                typed is not None and not isinstance(parts[-1], (t.EnumType, t.ConstType))
            ):
                parts.append(typed)
            elif typed is None and type_nullable and not parts:
                parts.append(t.NullType())
        else:
            implied = self._implied(schema)
            if implied is not None:
                parts.append(implied)

        for combinator in ("anyOf", "oneOf", "allOf"):
            if combinator not in schema:
                continue
            variants_raw = schema[combinator]
            if not isinstance(variants_raw, list) or not variants_raw:
                self.report(
                    codes.E051,
                    f"{combinator} must be a non-empty list of schemas",
                    schema,
                    combinator,
                )
                continue
            variants = [self.build(v, variants_raw, i) for i, v in enumerate(variants_raw)]
            if combinator == "allOf":
                parts.extend(variants)
                continue
            exclusive = combinator == "oneOf"
            non_null = [v for v in variants if not isinstance(v, t.NullType)]
            nulls = len(variants) - len(non_null)
            others_take_null = any(v.nullable or isinstance(v, t.AnyType) for v in non_null)
            if nulls and not non_null:
                parts.append(t.NullType())  # only null branches
            elif nulls and not (exclusive and (nulls > 1 or others_take_null)):
                # A null branch makes the union nullable (for oneOf only when null matches
                # no other branch; otherwise null matches twice and the union stays as is).
                nullable = True
                parts.append(
                    non_null[0]
                    if len(non_null) == 1
                    else t.UnionType(variants=tuple(non_null), exclusive=exclusive)
                )
            elif len(variants) == 1:
                parts.append(variants[0])
            else:
                parts.append(t.UnionType(variants=tuple(variants), exclusive=exclusive))

        if not parts:
            result: t.Type = t.AnyType()
        elif len(parts) == 1:
            result = parts[0]
        else:
            result = t.IntersectionType(variants=tuple(parts))
        if isinstance(result, t.AnyType):
            nullable = False
        updates = {**meta}
        if nullable:
            updates["nullable"] = True
        return replace(result, **updates) if updates else result

    def _annotations(self, schema: YMap) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for keyword in ("title", "description", "$comment", "$schema"):
            if keyword in schema and not isinstance(schema[keyword], str):
                self.report(codes.E051, f"{keyword} must be a string", schema, keyword)
        if "$schema" in schema and schema["$schema"] not in (DRAFT_2020_12, DRAFT_2020_12 + "#"):
            self.report(
                codes.E051,
                f"unsupported $schema {schema['$schema']!r}",
                schema,
                "$schema",
                hint=f"contracts are JSON Schema draft 2020-12 ({DRAFT_2020_12}); drop $schema",
            )
        if "examples" in schema and not isinstance(schema["examples"], list):
            self.report(codes.E051, "examples must be a list", schema, "examples")
        for keyword in ("deprecated", "readOnly", "writeOnly"):
            if keyword in schema and not isinstance(schema[keyword], bool):
                self.report(codes.E051, f"{keyword} must be true or false", schema, keyword)
        if isinstance(schema.get("title"), str):
            meta["title"] = schema["title"]
        if isinstance(schema.get("description"), str):
            meta["description"] = schema["description"]
        if "default" in schema:
            meta["default"] = plain(schema["default"])
        return meta

    def _typed(self, schema: YMap) -> tuple[t.Type | None, bool]:
        raw = schema["type"]
        names = raw if isinstance(raw, list) else [raw]
        valid: list[str] = []
        for i, name in enumerate(names):
            if isinstance(name, str) and name in TYPE_NAMES:
                if name in valid:
                    self.report(
                        codes.E051,
                        f"type {name!r} is listed twice",
                        raw if isinstance(raw, list) else schema,
                        i if isinstance(raw, list) else "type",
                    )
                valid.append(name)
            else:
                self.report(
                    codes.E051,
                    f"unknown type {name!r}",
                    raw if isinstance(raw, list) else schema,
                    i if isinstance(raw, list) else "type",
                    hint=did_you_mean(str(name), TYPE_NAMES) or f"one of: {', '.join(TYPE_NAMES)}",
                )
        nullable = "null" in valid
        kinds = [n for n in valid if n != "null"]
        if not kinds:
            return None, nullable
        variants = [self._of_kind(kind, schema) for kind in kinds]
        if len(variants) == 1:
            return variants[0], nullable
        return t.UnionType(variants=tuple(variants)), nullable

    def _implied(self, schema: YMap) -> t.Type | None:
        """A schema without ``type``: its kind-specific keywords apply only to values of
        their kind, as in JSON Schema (``{minimum: 1}`` accepts ``"x"``). The result is a
        :class:`~aiwf._ir.types.ByKindType` with one facet per kind named by the keywords, and
        a warning (W004): authors usually mean the kind."""
        present = [(kind, [k for k in keys if k in schema]) for kind, keys in _KIND_KEYWORDS]
        present = [(kind, keys) for kind, keys in present if keys]
        if not present:
            return None
        if "enum" not in schema and "const" not in schema:
            kinds = [kind for kind, _ in present]
            named = [k for k in schema if any(k in keys for _, keys in present)]
            first = named[0]
            self.report(
                codes.W004,
                f"{', '.join(repr(k) for k in named)} without 'type': "
                f"they apply only to {' or '.join(kinds)} values, any other value passes",
                schema,
                first,
                of_key=True,
                hint=f"add type: {kinds[0]}"
                if len(kinds) == 1
                else f"add type: [{', '.join(kinds)}]",
            )
        facets: dict[str, Any] = {}
        for kind, _ in present:
            facet = self._of_kind(kind, schema)
            facets[kind] = facet
        return t.ByKindType(**facets)

    def _of_kind(self, kind: str, schema: YMap) -> t.Type:
        if kind == "boolean":
            return t.BooleanType()
        if kind == "null":
            return t.NullType()
        if kind in ("integer", "number"):
            bounds = {}
            for keyword, attr in (
                ("minimum", "minimum"),
                ("maximum", "maximum"),
                ("exclusiveMinimum", "exclusive_minimum"),
                ("exclusiveMaximum", "exclusive_maximum"),
                ("multipleOf", "multiple_of"),
            ):
                if keyword in schema:
                    value = schema[keyword]
                    if not is_number(value) or (keyword == "multipleOf" and value <= 0):
                        self.report(
                            codes.E051,
                            f"{keyword} must be a {'positive ' if keyword == 'multipleOf' else ''}number",
                            schema,
                            keyword,
                        )
                    else:
                        bounds[attr] = value
            return t.IntegerType(**bounds) if kind == "integer" else t.NumberType(**bounds)
        if kind == "string":
            fields: dict[str, Any] = {}
            for keyword, attr in (("minLength", "min_length"), ("maxLength", "max_length")):
                if keyword in schema:
                    fields[attr] = self._count(schema, keyword)
            if "pattern" in schema:
                pattern = schema["pattern"]
                try:
                    re.compile(pattern)
                    fields["pattern"] = pattern
                except (re.error, TypeError) as exc:
                    self.report(
                        codes.E051,
                        f"invalid pattern: {exc}",
                        schema,
                        "pattern",
                        hint="patterns are ECMA-262 regular expressions (escape backslashes in YAML strings)",
                    )
            if "format" in schema:
                fmt = schema["format"]
                if isinstance(fmt, str) and fmt in KNOWN_FORMATS:
                    fields["format"] = fmt
                else:
                    self.report(
                        codes.E051,
                        f"unknown format {fmt!r}",
                        schema,
                        "format",
                        hint=did_you_mean(str(fmt), KNOWN_FORMATS)
                        or f"known formats: {', '.join(sorted(KNOWN_FORMATS))}",
                    )
            return t.StringType(**{k: v for k, v in fields.items() if v is not None})
        if kind == "array":
            items: t.Type = t.AnyType()
            if "items" in schema:
                items = self.build(schema["items"], schema, "items")
            extra: dict[str, Any] = {}
            for keyword, attr in (("minItems", "min_items"), ("maxItems", "max_items")):
                if keyword in schema:
                    extra[attr] = self._count(schema, keyword)
            if "uniqueItems" in schema:
                if isinstance(schema["uniqueItems"], bool):
                    extra["unique_items"] = schema["uniqueItems"]
                else:
                    self.report(
                        codes.E051, "uniqueItems must be true or false", schema, "uniqueItems"
                    )
            return t.ArrayType(items=items, **{k: v for k, v in extra.items() if v is not None})
        return self._object(schema)

    def _count(self, schema: YMap, keyword: str) -> int | None:
        value = schema[keyword]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.report(codes.E051, f"{keyword} must be a non-negative integer", schema, keyword)
            return None
        return value

    def _object(self, schema: YMap) -> t.ObjectType:
        props_raw = schema.get("properties", YMap(schema.pos))
        required_raw = schema.get("required", [])
        if not isinstance(props_raw, YMap):
            self.report(codes.E051, "properties must be a map of schemas", schema, "properties")
            props_raw = YMap(schema.pos)
        required: list[str] = []
        if not isinstance(required_raw, list) or not all(isinstance(r, str) for r in required_raw):
            self.report(codes.E051, "required must be a list of property names", schema, "required")
        else:
            seen: set[str] = set()
            for i, name in enumerate(required_raw):
                if name in seen:
                    self.report(
                        codes.E051, f"{name!r} is listed twice in required", required_raw, i
                    )
                seen.add(name)
                required.append(name)
        additional: bool | t.Type = True
        if "additionalProperties" in schema:
            raw = schema["additionalProperties"]
            additional = (
                raw if isinstance(raw, bool) else self.build(raw, schema, "additionalProperties")
            )
        if additional is False:
            for i, name in enumerate(required):
                if name not in props_raw:
                    self.report(
                        codes.E051,
                        f"required property {name!r} is not declared, and additionalProperties is false",
                        required_raw,
                        i,
                        hint=did_you_mean(name, props_raw) or "declare it under properties",
                    )
        properties = tuple(
            t.Property(
                name=name,
                type=self.build(sub, props_raw, name),
                required=name in required,
            )
            for name, sub in props_raw.items()
        ) + tuple(  # required but not described: any value, but it must be there
            t.Property(name=name, type=t.AnyType(), required=True)
            for name in required
            if name not in props_raw
        )
        return t.ObjectType(properties=properties, additional=additional)


#: Keywords that constrain only values of one kind (``number``: integers too).
_KIND_KEYWORDS = (
    ("object", ("properties", "required", "additionalProperties")),
    ("array", ("items", "minItems", "maxItems", "uniqueItems")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)
