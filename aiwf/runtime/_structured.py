"""Structured output: schemas as providers want them, and outputs checked as we want them.

- :func:`strict_schema` rewrites a JSON Schema for OpenAI strict mode (every property
  required, ``additionalProperties: false``, optional properties nullable) and
  :func:`strip_optional_nulls` removes the nulls the model then returns for originally
  optional properties, so the value validates against the original schema.
- :func:`wrap_root` puts a non-object schema under ``{"value": ...}`` where the wire wants
  an object at the root (tools, strict json_schema).
- :class:`OutputProblem` says why an answer was refused (not JSON, cut off, or the
  validation problems of docs/wire.md §6), and :func:`repair_message` turns it into the
  follow-up turn; :func:`validate` checks against a bare JSON Schema with jsonschema (imported
  lazily) when a request brings no contract check.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aiwf._ir.validate import Problem, summary
from aiwf._memo import remember
from aiwf._structure import kind_of
from aiwf.runtime._canonical import Raw, dumps

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
        remember(_STRICT_CACHE, key, cached, 256)
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


@dataclass(frozen=True)
class WireForms:
    """:class:`SchemaForms` with each form also as canonical JSON text, ready to splice into
    a request body (:class:`aiwf.runtime._canonical.Raw`)."""

    forms: SchemaForms
    plain: Raw
    wrapped: Raw
    strict: Raw


def wire_forms(schema: Mapping[str, Any]) -> WireForms:
    """The forms of ``schema`` with their texts, made once per schema object: every call of
    an assistant sends the same schema, and serialising it is most of a body's cost."""
    key = id(schema)
    found = _FORMS.get(key)
    if found is not None and found[0] is schema:
        return found[1]
    forms = schema_forms(schema)
    made = WireForms(
        forms, Raw(dumps(forms.plain)), Raw(dumps(forms.wrapped)), Raw(dumps(forms.strict))
    )
    remember(_FORMS, key, (schema, made), 512)
    return made


#: id(schema) -> (schema, forms); the schema is kept so that its id is not reused.
_FORMS: dict[int, tuple[Mapping[str, Any], WireForms]] = {}


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


def null_stripper(schema: Mapping[str, Any], wrapped: bool) -> Callable[[Any], Any] | None:
    """:func:`strip_optional_nulls` against ``schema`` (wrapped as :func:`wrap_root` does
    when ``wrapped``), compiled once per schema object: a function that returns a value
    equal to what it returns; None when it returns every value as it is."""
    key = (id(schema), wrapped)
    found = _STRIPPERS.get(key)
    if found is not None and found[0] is schema:
        return found[1]
    original = wrap_root(schema)[0] if wrapped else schema
    made = _Stripper(original).of(original)
    if made is _same:
        made = None
    remember(_STRIPPERS, key, (schema, made), 512)
    return made


#: (id(schema), wrapped) -> (schema, its null stripper); the schema is kept so that its id
#: is not reused.
_STRIPPERS: dict[tuple[int, bool], tuple[Mapping[str, Any], Callable[[Any], Any] | None]] = {}


class _Stripper:
    """Compiles :func:`strip_optional_nulls` for the schemas under one root: one function
    per schema node (None where the node returns values as they are), made on first use so
    that recursive ``$ref``s end."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.made: dict[int, Callable[[Any], Any] | None] = {}

    def of(self, schema: Any) -> Callable[[Any], Any] | None:
        key = id(schema)
        if key in self.made:
            return self.made[key]
        root = self.root
        resolved = _resolve(schema, root)
        props = resolved.get("properties") if isinstance(resolved, dict) else None
        items = resolved.get("items") if isinstance(resolved, dict) else None
        if not isinstance(props, dict) and not isinstance(items, dict):
            self.made[key] = None
            return None
        cell: list[Callable[[Any], Any]] = []
        self.made[key] = lambda value: cell[0](value)  # until it is made (recursion)
        drop: frozenset[str] = frozenset()
        subs: dict[str, Callable[[Any], Any]] = {}
        if isinstance(props, dict):
            required = set(resolved.get("required", []))
            drop = frozenset(
                name
                for name, sub in props.items()
                if name not in required and not _allows_null(sub, root)
            )
            for name, sub in props.items():
                strip = self.of(sub) if sub is not None else None
                if strip is not None:
                    subs[name] = strip
        each = self.of(items) if isinstance(items, dict) else None

        def made(value: Any) -> Any:
            if isinstance(value, dict):
                if props.__class__ is not dict:
                    return value
                out: dict[str, Any] = {}
                for name, item in value.items():
                    if item is None and name in drop:
                        continue
                    sub = subs.get(name)
                    out[name] = sub(item) if sub is not None else item
                return out
            if each is not None and isinstance(value, list):
                return [each(v) for v in value]
            return value

        if not drop and not subs and each is None:
            made = _same  # every value comes back equal to itself
        cell.append(made)
        self.made[key] = made
        return made


def _same(value: Any) -> Any:
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


#: id(schema) -> (schema, validator, quick check): every call of an assistant brings the
#: same schema object, and keying the validator by the schema's JSON costs more than some
#: validations. The schema is kept so that its id is not reused (as in :data:`_FORMS`).
_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any, Callable[[Any], bool] | None]] = {}


def _schema_key(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class OutputProblem:
    """Why an answer was refused: it is not JSON (``json``), it was cut off before the JSON
    ended (``truncated``), or it does not fit the output contract (``schema``, with the
    problems of docs/wire.md §6)."""

    kind: str
    problems: tuple[Problem, ...] = ()

    @property
    def path(self) -> str:
        """The JSON Pointer of the first problem (``(root)`` when there is none)."""
        return self.problems[0].pointer if self.problems else "(root)"

    def render(self) -> str:
        """What messages say about it (the ``PROBLEMS`` of docs/wire.md §8)."""
        if self.kind == "json":
            return "the answer is not valid JSON"
        if self.kind == "truncated":
            return "the answer was cut off before the JSON was complete"
        return summary(list(self.problems))


NOT_JSON = OutputProblem("json")
TRUNCATED = OutputProblem("truncated")


def problems_of(problems: Sequence[Problem]) -> OutputProblem | None:
    """An :class:`OutputProblem` for a check's problems; None when there are none."""
    return OutputProblem("schema", tuple(problems)) if problems else None


def validate(value: Any, schema: Mapping[str, Any]) -> OutputProblem | None:
    """The problems of ``value`` against the JSON Schema ``schema`` (jsonschema's Draft
    2020-12 validator), None when it is valid. The runtime uses this only when a request
    brings no contract check of its own; workflows and SDKs check with the IR's validator."""
    key = id(schema)
    known = _VALIDATORS.get(key)
    if known is not None and known[0] is schema:
        _, validator, quick = known
    else:
        from aiwf.runtime._quickcheck import compile_check

        validator = _validator(_schema_key(schema))  # checks the schema itself, first
        quick = compile_check(schema)
        remember(_VALIDATORS, key, (schema, validator, quick), 512)
    if quick is not None and quick(value):
        return None  # valid; only an answer that may not be is walked by jsonschema
    found = [_problem(error) for error in validator.iter_errors(value)]
    return problems_of(found)


#: jsonschema keywords with the wording of docs/wire.md §6 (``N`` the keyword's value).
_PHRASES = {
    "minimum": "at least {n}",
    "maximum": "at most {n}",
    "exclusiveMinimum": "more than {n}",
    "exclusiveMaximum": "less than {n}",
    "multipleOf": "a multiple of {n}",
    "pattern": "a match for {raw}",
    "format": "a valid {raw}",
    "enum": "one of {n}",
}


def _problem(error: Any) -> Problem:
    """A jsonschema error in the form of docs/wire.md §6, as far as it maps."""
    from aiwf._ir.validate import shown, shown_all

    path = tuple(error.absolute_path)
    keyword = str(error.validator)
    value = error.validator_value
    instance = error.instance
    expected, actual = shown_all(value), shown(instance)
    if keyword == "required" and isinstance(instance, dict):
        missing = next((name for name in value if name not in instance), "")
        expected, actual = f"property {shown_all(missing)}", "nothing"
    elif keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        expected, actual = " or ".join(map(str, kinds)), kind_of(instance)
    elif keyword in _PHRASES:
        expected = _PHRASES[keyword].format(n=shown_all(value), raw=value)
    elif keyword in ("minLength", "maxLength") and isinstance(instance, str):
        bound = "at least" if keyword == "minLength" else "at most"
        expected = f"{bound} {_count(value, 'character')}"
        actual = _count(len(instance), "character")
    elif keyword in ("minItems", "maxItems") and isinstance(instance, list):
        bound = "at least" if keyword == "minItems" else "at most"
        expected, actual = f"{bound} {_count(value, 'item')}", _count(len(instance), "item")
    return Problem(path, keyword, expected, actual, error.message)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def parse_json(text: str) -> tuple[Any, OutputProblem | None]:
    """``text`` parsed as JSON, or :data:`NOT_JSON` (no parser's own message: those differ
    between languages)."""
    try:
        return loads(text), None
    except json.JSONDecodeError:
        return None, NOT_JSON


#: Bytes 0-9 as "1", every other byte as " ": a text holds an integer that orjson would read
#: as a float (one outside 64 bits) only where its translation has 19 ones in a row.
_DIGITS = bytes(49 if 48 <= i <= 57 else 32 for i in range(256))
_LONG = b"1" * 19
_orjson_loads: Callable[[bytes], Any] | None = None


def loads(data: str | bytes) -> Any:
    """``json.loads(data)``: the same values and the same errors, for a third of its CPU.

    orjson decodes what it decodes as ``json`` does (the same numbers, strings, duplicate
    keys and member order; tests/runtime/test_canonical.py compares the two), except that it
    reads an integer outside 64 bits as a float: a text with a run of 19 digits, and any
    text orjson refuses (NaN, lone surrogates, ...), is decoded by ``json`` itself, which
    also raises every error. orjson is imported on the first answer (never on ``aiwf
    validate``'s path)."""
    global _orjson_loads
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG not in raw.translate(_DIGITS):
        if _orjson_loads is None:
            import orjson

            _orjson_loads = orjson.loads
        try:
            return _orjson_loads(raw)
        except ValueError:  # orjson.JSONDecodeError: json decides, and words the error
            pass
    return json.loads(data)


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


def describe_schema_prompt(schema: Mapping[str, Any] | str) -> str:
    """The instruction appended to the system prompt in ``prompt`` and ``json_object`` modes
    (docs/wire.md §3): the schema as canonical JSON (or that text, already made)."""
    text = schema if isinstance(schema, str) else dumps(schema)
    return (
        "Respond with only one JSON value that matches this JSON Schema: no prose, "
        "no code fences.\n" + text
    )


def repair_message(problem: OutputProblem) -> str:
    """The follow-up user message that asks the model to fix its previous answer."""
    if problem.kind == "json":
        reason = "Your previous answer is not valid JSON."
    elif problem.kind == "truncated":
        reason = "Your previous answer was cut off before the JSON was complete."
    else:
        reason = f"Your previous answer is not valid against the output schema: {problem.render()}"
    return reason + "\nReply again with only the corrected, complete JSON value."
