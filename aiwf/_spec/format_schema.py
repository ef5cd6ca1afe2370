"""The JSON Schema of the spec format, generated from :mod:`aiwf._spec.models`.

The schema ships in the package as ``aiwf.schema.json`` (``aiwf schema`` prints it without
importing pydantic's schema machinery); a test checks the shipped file against a fresh
generation. Regenerate it with ``python -m aiwf._spec.format_schema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = "aiwf.schema.json"
SCHEMA_ID = "urn:aiwf:spec-format:1"


def read_schema_text() -> str:
    """The shipped JSON Schema, as text (a file beside this module; importlib.resources would
    cost ~5 ms of imports on the ``aiwf validate`` path)."""
    return Path(__file__).with_name(SCHEMA_FILE).read_text(encoding="utf-8")


def _contract_schema() -> dict[str, Any]:
    from aiwf._ir.schemas import KNOWN_FORMATS, SUPPORTED_KEYWORDS
    from aiwf._structure import TYPE_NAMES

    sub = {"$ref": "#/$defs/Contract"}
    number = {"type": "number"}
    count = {"type": "integer", "minimum": 0}
    properties: dict[str, Any] = {
        "type": {
            "anyOf": [
                {"enum": list(TYPE_NAMES)},
                {"type": "array", "items": {"enum": list(TYPE_NAMES)}, "uniqueItems": True},
            ]
        },
        "enum": {"type": "array", "minItems": 1},
        "const": True,
        "properties": {"type": "object", "additionalProperties": sub},
        "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "additionalProperties": sub,
        "items": sub,
        "minItems": count,
        "maxItems": count,
        "uniqueItems": {"type": "boolean"},
        "minLength": count,
        "maxLength": count,
        "pattern": {"type": "string", "format": "regex"},
        "format": {"enum": sorted(KNOWN_FORMATS)},
        "minimum": number,
        "maximum": number,
        "exclusiveMinimum": number,
        "exclusiveMaximum": number,
        "multipleOf": {"type": "number", "exclusiveMinimum": 0},
        "anyOf": {"type": "array", "items": sub, "minItems": 1},
        "oneOf": {"type": "array", "items": sub, "minItems": 1},
        "allOf": {"type": "array", "items": sub, "minItems": 1},
        "$ref": {"type": "string", "pattern": r"^#(/schemas/[^/]+|/\$defs/[^/]+)?$"},
        "$defs": {"type": "object", "additionalProperties": sub},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "examples": {"type": "array"},
        "default": True,
        "deprecated": {"type": "boolean"},
        "readOnly": {"type": "boolean"},
        "writeOnly": {"type": "boolean"},
        "$comment": {"type": "string"},
        "$schema": {"const": "https://json-schema.org/draft/2020-12/schema"},
    }
    assert set(properties) == set(SUPPORTED_KEYWORDS), set(properties) ^ set(SUPPORTED_KEYWORDS)
    return {
        "description": "A contract: a JSON Schema (draft 2020-12) using the keywords aiwf supports.",
        "anyOf": [
            {"type": "boolean"},
            {"type": "object", "properties": properties, "additionalProperties": False},
        ],
    }


def generate_schema() -> dict[str, Any]:
    """Build the format's JSON Schema from the spec models."""
    from pydantic.json_schema import models_json_schema

    from aiwf._spec import models as m
    from aiwf._spec.names import NAME_PATTERN

    for model in (
        m.RetrySpec,
        m.ModelRoute,
        m.AssistantSpec,
        m.StepSpec,
        m.WorkflowSpec,
        m.SpecFile,
    ):
        model.model_rebuild()
    _, top = models_json_schema(
        [(m.SpecFile, "validation"), (m.ModelRoute, "validation"), (m.AssistantSpec, "validation"),
         (m.WorkflowSpec, "validation")],
        ref_template="#/$defs/{model}",
    )  # fmt: skip
    defs: dict[str, Any] = top["$defs"]
    root = defs.pop("SpecFile")
    defs["Contract"] = _contract_schema()
    for section, entry in m.SpecFile.SECTIONS.items():
        root["properties"][section] = {
            "description": root["properties"][section].get("description", section),
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": {"pattern": NAME_PATTERN},
                    "additionalProperties": {"$ref": f"#/$defs/{entry}"},
                },
                {"type": "null"},
            ],
        }
    root["properties"]["aiwf"] = {"const": 1, "description": "Format version."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "aiwf spec, format version 1",
        **{k: v for k, v in root.items() if k != "title"},
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The generated schema as the text shipped in the package."""
    return json.dumps(generate_schema(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main() -> None:  # pragma: no cover - a maintainer's tool
    target = Path(__file__).with_name(SCHEMA_FILE)
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
