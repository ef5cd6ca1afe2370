"""From the type model back to JSON Schema (for contracts the compiler infers, such as a
workflow's output)."""

from __future__ import annotations

from typing import Any

from aiwf._ir import types as t


def type_to_schema(typ: t.Type) -> Any:
    """A JSON Schema (draft 2020-12) equivalent to ``typ``; refs become ``#/$defs/NAME``."""
    schema: dict[str, Any]
    if isinstance(typ, t.AnyType):
        return True
    if isinstance(typ, t.NeverType):
        return False
    if isinstance(typ, t.RefType):
        schema = {"$ref": f"#/$defs/{typ.name}"}
    elif isinstance(typ, t.NullType):
        schema = {"type": "null"}
    elif isinstance(typ, t.BooleanType):
        schema = {"type": "boolean"}
    elif isinstance(typ, (t.IntegerType, t.NumberType)):
        schema = {"type": typ.kind}
        for key, value in (
            ("minimum", typ.minimum),
            ("maximum", typ.maximum),
            ("exclusiveMinimum", typ.exclusive_minimum),
            ("exclusiveMaximum", typ.exclusive_maximum),
            ("multipleOf", typ.multiple_of),
        ):
            if value is not None:
                schema[key] = value
    elif isinstance(typ, t.StringType):
        schema = {"type": "string"}
        text_keys: tuple[tuple[str, object], ...] = (
            ("minLength", typ.min_length),
            ("maxLength", typ.max_length),
            ("pattern", typ.pattern),
            ("format", typ.format),
        )
        for key, item in text_keys:
            if item is not None:
                schema[key] = item
    elif isinstance(typ, t.EnumType):
        schema = {"enum": list(typ.values)}
    elif isinstance(typ, t.ConstType):
        schema = {"const": typ.value}
    elif isinstance(typ, t.ArrayType):
        schema = {"type": "array", "items": type_to_schema(typ.items)}
        if typ.min_items is not None:
            schema["minItems"] = typ.min_items
        if typ.max_items is not None:
            schema["maxItems"] = typ.max_items
        if typ.unique_items:
            schema["uniqueItems"] = True
    elif isinstance(typ, t.ObjectType):
        schema = {"type": "object"}
        if typ.properties:
            schema["properties"] = {p.name: type_to_schema(p.type) for p in typ.properties}
        required = [p.name for p in typ.properties if p.required]
        if required:
            schema["required"] = required
        if typ.additional is not True:
            schema["additionalProperties"] = (
                typ.additional
                if isinstance(typ.additional, bool)
                else type_to_schema(typ.additional)
            )
    elif isinstance(typ, t.ByKindType):
        schema = {}
        for facet in typ.facets():  # the keywords without ``type``: they apply by kind
            facet_schema = type_to_schema(facet)
            schema.update({k: v for k, v in facet_schema.items() if k != "type"})
    elif isinstance(typ, t.UnionType):
        schema = {
            ("oneOf" if typ.exclusive else "anyOf"): [type_to_schema(v) for v in typ.variants]
        }
    else:
        schema = {"allOf": [type_to_schema(v) for v in typ.variants]}
    if typ.description:
        schema["description"] = typ.description
    if typ.nullable and not isinstance(typ, t.ByKindType):  # null is already allowed
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]  # other keywords apply to their type only
        elif "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return schema
