"""Structured output: schemas as providers want them, and outputs checked as we want them.

- :func:`strict_schema` rewrites a JSON Schema for OpenAI strict mode (every property
  required, ``additionalProperties: false``, optional properties nullable) and
  :func:`strip_optional_nulls` removes the nulls the model then returns for originally
  optional properties, so the value validates against the original schema.
- :func:`wrap_root` puts a non-object schema under ``{"value": ...}`` where the wire wants
  an object at the root (tools, strict json_schema).
- :func:`check_output` parses and validates an answer with jsonschema's Draft 2020-12
  validator (imported lazily) and reports the failing JSON path.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: The property a non-object output is wrapped in.
WRAP_KEY = "value"

_OBJECT_KEYS = ("$defs", "definitions")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_KEYS = ("items", "not", "if", "then", "else", "contains", "additionalItems")


def is_object_schema(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` only admits objects (so it can be a tool's input schema)."""
    t = schema.get("type")
    return t == "object" or (t is None and "properties" in schema and "$ref" not in schema)


def wrap_root(schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``(schema, False)`` when the root is an object, else the schema wrapped in an object
    under :data:`WRAP_KEY` and ``True``; ``$defs`` move to the new root."""
    if is_object_schema(schema):
        return dict(schema), False
    inner = dict(schema)
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {WRAP_KEY: inner},
        "required": [WRAP_KEY],
        "additionalProperties": False,
    }
    for key in _OBJECT_KEYS:
        if key in inner:
            wrapped[key] = inner.pop(key)
    return wrapped, True


def _nullable(schema: Any) -> Any:
    if schema is True or schema == {}:
        return schema
    if not isinstance(schema, dict):
        return {"anyOf": [schema, {"type": "null"}]}
    t = schema.get("type")
    if isinstance(t, str) and "$ref" not in schema:
        out = dict(schema, type=[t, "null"] if t != "null" else t)
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(t, list):
        out = dict(schema, type=t if "null" in t else [*t, "null"])
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` made compatible with OpenAI strict structured outputs.

    Results are cached by the schema's canonical JSON: every call of an assistant sends the
    same schema, and the transformation costs more than the encoding that keys the cache.
    The cached copy is shared; callers must not mutate it (the providers only serialise it).
    """
    key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    cached = _STRICT_CACHE.get(key)
    if cached is None:
        cached = _strict(copy.deepcopy(dict(schema)))
        assert isinstance(cached, dict)
        if len(_STRICT_CACHE) >= 256:
            _STRICT_CACHE.pop(next(iter(_STRICT_CACHE)))
        _STRICT_CACHE[key] = cached
    return cached


_STRICT_CACHE: dict[str, dict[str, Any]] = {}


def _strict(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    for key in _OBJECT_KEYS:
        if isinstance(node.get(key), dict):
            node[key] = {k: _strict(v) for k, v in node[key].items()}
    for key in _SCHEMA_LIST_KEYS:
        if isinstance(node.get(key), list):
            node[key] = [_strict(v) for v in node[key]]
    for key in _SCHEMA_KEYS:
        if isinstance(node.get(key), dict):
            node[key] = _strict(node[key])
    props = node.get("properties")
    if isinstance(props, dict) or node.get("type") == "object":
        props = props if isinstance(props, dict) else {}
        required = set(node.get("required", []))
        node["properties"] = {
            name: _strict(sub) if name in required else _nullable(_strict(sub))
            for name, sub in props.items()
        }
        node["required"] = list(props)
        node["additionalProperties"] = False
    return node


@dataclass(frozen=True)
class SchemaForms:
    """The three forms of an output schema that go on the wire (docs/wire.md §4): ``plain``
    (prompt and JSON-object descriptions), ``wrapped`` (an object root, for Anthropic tools and
    native output) and ``strict`` (wrapped and OpenAI-strict, for ``json_schema`` modes);
    ``is_wrapped`` says whether the wrapped forms put the answer under ``value``. The SDK
    generators embed these, so every runtime sends exactly what the Python runtime sends."""

    plain: dict[str, Any]
    wrapped: dict[str, Any]
    strict: dict[str, Any]
    is_wrapped: bool


def schema_forms(schema: Mapping[str, Any]) -> SchemaForms:
    """The wire forms of ``schema`` (see :class:`SchemaForms`)."""
    wrapped, is_wrapped = wrap_root(schema)
    return SchemaForms(dict(schema), wrapped, strict_schema(wrapped), is_wrapped)


def strip_optional_nulls(value: Any, schema: Any, root: Any = None) -> Any:
    """``value`` without the ``null`` members that :func:`strict_schema` made the model
    send for properties the original ``schema`` does not require (and that do not allow
    null themselves)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            required = set(schema.get("required", []))
            out: dict[str, Any] = {}
            for key, item in value.items():
                sub = props.get(key)
                if (
                    item is None
                    and key in props
                    and key not in required
                    and not _allows_null(sub, root)
                ):
                    continue
                out[key] = strip_optional_nulls(item, sub, root) if sub is not None else item
            return out
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [strip_optional_nulls(v, items, root) for v in value]
    return value


def _resolve(schema: Any, root: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return schema
            target = target[part]
        schema = target
        seen += 1
    return schema


def _allows_null(schema: Any, root: Any) -> bool:
    schema = _resolve(schema, root)
    if schema is True or schema == {} or not isinstance(schema, dict):
        return schema is True or schema == {}
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    if "enum" in schema and None in schema["enum"]:
        return True
    if "const" in schema and schema["const"] is None:
        return True
    return any(_allows_null(s, root) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_key(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class OutputProblem:
    """Why an output was refused: a JSON path (``$`` is the root) and a message."""

    path: str
    message: str

    def render(self) -> str:
        """``$.a.b: message``."""
        return f"{self.path}: {self.message}"


def json_path(parts: Any) -> str:
    """A JSON path (``$.a[0].b``) for a jsonschema ``absolute_path``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def validate(value: Any, schema: Mapping[str, Any]) -> OutputProblem | None:
    """The first (best) validation problem of ``value`` against ``schema``, or ``None``."""
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    validator = _validator(_schema_key(schema))
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    return OutputProblem(json_path(error.absolute_path), error.message)


def parse_json(text: str) -> tuple[Any, OutputProblem | None]:
    """``text`` parsed as JSON, or the problem (position included)."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, OutputProblem("$", f"not valid JSON: {exc}")


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> tuple[Any, OutputProblem | None]:
    """The JSON value in a free-text answer: the whole text, else a fenced block, else the
    first ``{`` or ``[`` that starts a complete JSON value."""
    value, problem = parse_json(text.strip())
    if problem is None:
        return value, None
    for match in _FENCE.finditer(text):
        value, fenced_problem = parse_json(match.group(1).strip())
        if fenced_problem is None:
            return value, None
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "{[":
            try:
                value, _end = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                continue
            return value, None
    return None, problem


def describe_schema_prompt(schema: Mapping[str, Any]) -> str:
    """The instruction appended to the system prompt in ``prompt`` mode."""
    return (
        "Respond with only one JSON value that matches this JSON Schema: no prose, "
        "no code fences.\n" + json.dumps(schema, indent=2, sort_keys=True)
    )


def repair_message(problem: OutputProblem, *, truncated: bool) -> str:
    """The follow-up user message that asks the model to fix its previous answer."""
    reason = (
        "Your previous answer was cut off before the JSON was complete."
        if truncated
        else f"Your previous answer is not valid against the output schema: {problem.render()}"
    )
    return reason + "\nReply again with only the corrected, complete JSON value."
