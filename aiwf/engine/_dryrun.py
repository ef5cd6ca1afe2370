"""The dry-run model: a :class:`~aiwf.runtime.ModelClient` that answers every request with a
value made up from its output schema, so a workflow runs with no key and no network.

Values are deterministic for a ``seed`` and the request's fingerprint (the same request
gets the same answer), and valid for the schema wherever that is feasible: types, ``enum``,
``const``, required and optional properties, ``additionalProperties``, bounds, lengths,
``multipleOf``, ``uniqueItems``, string ``format`` values, ``pattern`` (through a small
generator over Python's regex parser), ``$ref`` into ``$defs`` (recursion bounded), and
``anyOf`` / ``oneOf`` / ``allOf``. Every candidate is checked with jsonschema and a new one
drawn when it fails, a few times, so an unusual schema still gets the best value found.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import string
from collections.abc import AsyncIterator, Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aiwf.engine._replay import fingerprint
from aiwf.runtime._types import (
    Completed,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    TextDelta,
    Usage,
)

if TYPE_CHECKING:
    from aiwf._ir.model import Program

#: Candidates drawn per value before the last one is returned as is.
MAX_TRIES = 25
#: Below this depth of ``$ref`` nesting, optional properties and array items are left out.
MAX_DEPTH = 6

_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]

_FORMATS: dict[str, tuple[str, ...]] = {
    "date": ("2024-01-15", "2025-06-30", "2023-11-02"),
    "time": ("09:30:00Z", "17:45:10+02:00", "00:00:00Z"),
    "date-time": ("2024-01-15T09:30:00Z", "2025-06-30T17:45:10+02:00", "2023-11-02T00:00:00Z"),
    "duration": ("P1D", "PT1H30M", "P2W"),
    "email": ("ada@example.com", "grace@example.org", "linus@example.net"),
    "hostname": ("example.com", "api.example.org", "host-1.example.net"),
    "ipv4": ("192.0.2.1", "198.51.100.7", "203.0.113.42"),
    "ipv6": ("2001:db8::1", "2001:db8::42", "2001:db8:1::7"),
    "uri": ("https://example.com/a", "https://example.org/b?c=1", "urn:example:1"),
    "uri-reference": ("/a/b", "https://example.com/x", "c/d"),
    "uuid": (
        "123e4567-e89b-42d3-a456-426614174000",
        "9b2f3c1e-7d4a-4e8b-9c6d-5a4b3c2d1e0f",
        "00000000-0000-4000-8000-000000000001",
    ),
    "regex": ("^[a-z]+$", "\\d{3}", "a|b"),
}


class DryRunClient:
    """A model that needs no key and no network: schema-valid made-up answers.

    Args:
        seed: picks the values; the same seed and request always give the same answer.

    ``calls`` counts the requests answered (the engine's tests and the trace read it).
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.calls = 0

    def answer(self, request: ModelRequest) -> Any:
        """The value this client answers ``request`` with."""
        key = f"{self.seed}:{fingerprint(request)}"
        if request.output_schema is None:
            return f"dry-run answer {hashlib.sha256(key.encode()).hexdigest()[:8]}"
        return make_value(request.output_schema, seed=key)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Answer at once with :meth:`answer`; usage is a deterministic estimate."""
        self.calls += 1
        output = self.answer(request)
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        sent = json.dumps(request.input, ensure_ascii=False, default=str)
        return ModelResponse(
            output=output,
            text=text,
            usage=Usage(_tokens(request.instructions) + _tokens(sent), _tokens(text)),
            request_id=f"dry-{hashlib.sha256(text.encode()).hexdigest()[:12]}",
            model=request.route.model,
            provider="dry-run",
            attempts=1,
            latency=0.0,
            stop_reason="stop",
            alias=request.metadata.alias,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """The answer as one text delta, then :class:`Completed`."""
        response = await self.complete(request)
        yield TextDelta(response.text, 1)
        yield Completed(response)


def _tokens(text: str) -> int:
    # About four characters a token: enough for a trace that shows where tokens would go.
    return max(1, math.ceil(len(text) / 4)) if text else 0


def make_value(schema: Mapping[str, Any] | bool, *, seed: int | str = 0) -> Any:
    """A value valid for ``schema`` (a self-contained JSON Schema, ``$defs`` included),
    deterministic for ``seed``. Best effort where no valid value can be found."""
    rng = random.Random(hashlib.sha256(str(seed).encode()).digest())
    root: Any = schema
    checker = _checker(json.dumps(schema, sort_keys=True, default=str))
    value: Any = None
    for _ in range(MAX_TRIES):
        value = _Maker(root, rng).make(root, 0)
        if checker is None or checker(value):
            return value
    return value


def sample_input(program: Program, workflow: str, *, seed: int = 0) -> Any:
    """A made-up input for ``workflow``, valid for its input contract."""
    return sample_contract(program, program.workflows[workflow].input, seed=seed)


def sample_contract(program: Program, contract: str, *, seed: int = 0) -> Any:
    """A made-up value of the contract named ``contract``."""
    return make_value(program.json_schema(contract), seed=f"{seed}:contract:{contract}")


@lru_cache(maxsize=256)
def _checker(schema_json: str) -> Any:
    try:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
        from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - jsonschema is a dependency
        return None
    schema = json.loads(schema_json)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None
    from jsonschema import FormatChecker

    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    from aiwf._ir.formats import check_format

    def check(value: Any) -> bool:
        if not validator.is_valid(value):
            return False
        return all(check_format(fmt, text) for fmt, text in _formatted(schema, value, schema))

    return check


def _formatted(schema: Any, value: Any, root: Any, depth: int = 0) -> list[tuple[str, str]]:
    """(format, string) pairs of ``value`` for the formats aiwf itself checks (stricter
    than jsonschema's defaults for some), following the schema where it is unambiguous."""
    if depth > 20 or not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        return _formatted(_resolve(root, schema["$ref"]), value, root, depth + 1)
    out: list[tuple[str, str]] = []
    if isinstance(value, str) and isinstance(schema.get("format"), str):
        out.append((schema["format"], value))
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                out.extend(_formatted(sub, value[name], root, depth + 1))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            out.extend(_formatted(schema["items"], item, root, depth + 1))
    for sub in schema.get("allOf") or ():
        out.extend(_formatted(sub, value, root, depth + 1))
    return out


def _resolve(root: Any, ref: str) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return {}
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node


class _Maker:
    def __init__(self, root: Any, rng: random.Random) -> None:
        self.root = root
        self.rng = rng

    def make(self, schema: Any, depth: int, name: str = "") -> Any:
        if schema is True or schema == {}:
            return self.word(name)
        if schema is False or not isinstance(schema, dict):
            return None
        if "$ref" in schema:
            target = _resolve(self.root, schema["$ref"])
            rest = {k: v for k, v in schema.items() if k not in ("$ref", "$defs", "$schema")}
            merged = _merge([target, rest]) if rest else target
            return self.make(merged, depth + 1, name)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.rng.choice(list(schema["enum"]))
        if "allOf" in schema:
            parts = [schema.get("allOf") or []][0]
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return self.make(_merge([rest, *(self.deref(p) for p in parts)]), depth, name)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                rest = {k: v for k, v in schema.items() if k != key}
                variant = self.deref(self.rng.choice(list(schema[key])))
                if isinstance(variant, dict):
                    variant = _merge([rest, variant]) if rest else variant
                return self.make(variant, depth, name)
        kind = self.kind(schema, depth)
        if kind == "null":
            return None
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self.number(schema, kind == "integer")
        if kind == "string":
            return self.string(schema, name)
        if kind == "array":
            return self.array(schema, depth, name)
        return self.object(schema, depth)

    def deref(self, schema: Any) -> Any:
        for _ in range(20):
            if isinstance(schema, dict) and set(schema) == {"$ref"}:
                schema = _resolve(self.root, schema["$ref"])
            else:
                break
        return schema

    def kind(self, schema: dict[str, Any], depth: int) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            options = [t for t in declared if t != "null"] or ["null"]
            if "null" in declared and (depth > MAX_DEPTH or self.rng.random() < 0.1):
                return "null"
            return str(self.rng.choice(options))
        if isinstance(declared, str):
            return declared
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "minItems" in schema or "maxItems" in schema:
            return "array"
        if {"minLength", "maxLength", "pattern", "format"} & set(schema):
            return "string"
        if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & set(schema):
            return "number"
        return "string"

    def number(self, schema: dict[str, Any], integer: bool) -> int | float:
        low, low_open = _bound(schema, "minimum", "exclusiveMinimum", max)
        high, high_open = _bound(schema, "maximum", "exclusiveMaximum", min)
        if low is None and high is None:
            low, high = 0, 100
        elif low is None:
            low = high - 100
        elif high is None:
            high = low + 100
        step = schema.get("multipleOf")
        if integer or isinstance(step, int):
            lo = math.floor(low) + 1 if low_open and float(low).is_integer() else math.ceil(low)
            hi = math.ceil(high) - 1 if high_open and float(high).is_integer() else math.floor(high)
            if isinstance(step, (int, float)) and step > 0:
                first = math.ceil(lo / step)
                last = math.floor(hi / step)
                if first <= last:
                    value = self.rng.randint(int(first), int(last)) * step
                    return int(value) if integer or float(value).is_integer() else value
            return self.rng.randint(int(lo), int(hi)) if lo <= hi else int(lo)
        if isinstance(step, (int, float)) and step > 0:
            first = math.ceil(low / step)
            last = math.floor(high / step)
            return self.rng.randint(int(first), max(int(first), int(last))) * step
        value = round(self.rng.uniform(float(low), float(high)), 2)
        if (low_open and value <= low) or value < low:
            value = float(low) + (float(high) - float(low)) / 2
        if (high_open and value >= high) or value > high:
            value = float(low) + (float(high) - float(low)) / 2
        return value

    def word(self, name: str = "") -> str:
        return self.rng.choice(_WORDS)

    def string(self, schema: dict[str, Any], name: str) -> str:
        low = int(schema.get("minLength") or 0)
        high_raw = schema.get("maxLength")
        high = int(high_raw) if high_raw is not None else max(low, 40)
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return self.rng.choice(_FORMATS[fmt])
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            made = _from_pattern(pattern, self.rng, low, high)
            if made is not None:
                return made
        words = [self.rng.choice(_WORDS) for _ in range(self.rng.randint(1, 4))]
        label = [name.replace("_", " ")] if name and high >= len(name) + 8 else []
        text = " ".join(label + words)
        while len(text) < low:
            text += " " + self.rng.choice(_WORDS)
        return text[:high].rstrip() if len(text[:high].rstrip()) >= low else text[:high]

    def array(self, schema: dict[str, Any], depth: int, name: str) -> list[Any]:
        low = int(schema.get("minItems") or 0)
        high_raw = schema.get("maxItems")
        high = int(high_raw) if high_raw is not None else low + 3
        if depth > MAX_DEPTH:
            high = low
        count = self.rng.randint(low, max(low, min(high, low + 3) if low else min(high, 3)))
        if low == 0 and count == 0 and high > 0 and depth <= MAX_DEPTH:
            count = 1
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {})
        out: list[Any] = []
        seen: set[str] = set()
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            value = self.make(sub, depth + 1)
            if schema.get("uniqueItems"):
                for _ in range(10):
                    key = json.dumps(value, sort_keys=True)
                    if key not in seen:
                        break
                    value = self.make(sub, depth + 1)
                key = json.dumps(value, sort_keys=True)
                if key in seen and len(out) >= low:
                    break
                seen.add(key)
            out.append(value)
        return out

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        for key, sub in props.items():
            if key in required or (depth <= MAX_DEPTH and self.rng.random() < 0.6):
                out[key] = self.make(sub, depth + 1, key)
        for key in sorted(required - set(out)):
            extra = schema.get("additionalProperties", True)
            out[key] = self.make(extra if isinstance(extra, dict) else {}, depth + 1, key)
        minimum = int(schema.get("minProperties") or 0)
        extra = schema.get("additionalProperties", True)
        n = 1
        while len(out) < minimum and extra is not False:
            out[f"key{n}"] = self.make(extra if isinstance(extra, dict) else {}, depth + 1)
            n += 1
        return out


def _merge(schemas: list[Any]) -> dict[str, Any]:
    """One schema that asks for all of ``schemas`` (the common cases of ``allOf``)."""
    out: dict[str, Any] = {}
    for schema in schemas:
        if not isinstance(schema, dict):
            continue
        for key, value in schema.items():
            if key not in out:
                out[key] = value
            elif key == "properties":
                out[key] = {**out[key], **value}
            elif key == "required":
                out[key] = sorted(set(out[key]) | set(value))
            elif key in ("minimum", "minLength", "minItems", "exclusiveMinimum", "minProperties"):
                out[key] = max(out[key], value)
            elif key in ("maximum", "maxLength", "maxItems", "exclusiveMaximum", "maxProperties"):
                out[key] = min(out[key], value)
            elif key == "type":
                a = out[key] if isinstance(out[key], list) else [out[key]]
                b = value if isinstance(value, list) else [value]
                common = [t for t in a if t in b] or (
                    ["integer"] if {"integer", "number"} <= set(a) | set(b) else a
                )
                out[key] = common if len(common) > 1 else common[0]
            elif key == "additionalProperties":
                out[key] = False if value is False or out[key] is False else out[key]
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = value if key != "allOf" else [*out[key], *value]
            else:
                out[key] = value
    return out


def _from_pattern(pattern: str, rng: random.Random, low: int, high: int) -> str | None:
    """A string matching ``pattern`` (searched, as JSON Schema does), or None."""
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_parse  # type: ignore[no-redef,unused-ignore]
    try:
        parsed = sre_parse.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, RecursionError):
        return None
    for _ in range(10):
        try:
            text = _emit(parsed, rng, sre_parse)
        except (ValueError, RecursionError, IndexError, TypeError):
            return None
        if low <= len(text) <= high and compiled.search(text):
            return text
    return None


def _emit(parsed: Any, rng: random.Random, sre: Any) -> str:
    c = sre  # the constants live on the parser module (re._constants re-exported)
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(next(ch for ch in string.ascii_letters if ord(ch) != arg))
        elif name == "ANY":
            out.append(rng.choice(string.ascii_lowercase))
        elif name == "IN":
            out.append(_emit_in(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            high = min(high, low + 3) if high != c.MAXREPEAT else low + 3
            count = rng.randint(low, max(low, high))
            out.extend(_emit(sub, rng, sre) for _ in range(count))
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1], rng, sre))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, rng, sre))
        elif name == "BRANCH":
            out.append(_emit(rng.choice(arg[1]), rng, sre))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "GROUPREF":
            raise ValueError("back references are not generated")
        else:
            raise ValueError(f"unsupported regex op {name}")
    return "".join(out)


def _emit_in(items: Any, rng: random.Random) -> str:
    if items and str(items[0][0]) == "NEGATE":
        excluded = {chr(a) for op, a in items[1:] if str(op) == "LITERAL"}
        return next(ch for ch in string.ascii_letters + string.digits if ch not in excluded)
    op, arg = rng.choice(list(items))
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(rng.randint(arg[0], arg[1]))
    if name == "CATEGORY":
        category = str(arg)
        if "DIGIT" in category and "NOT" not in category:
            return rng.choice(string.digits)
        if "WORD" in category and "NOT" not in category:
            return rng.choice(string.ascii_letters)
        if "SPACE" in category and "NOT" not in category:
            return " "
        return rng.choice(string.ascii_letters)
    raise ValueError(f"unsupported class op {name}")


def _bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, tighter: Callable[[Any, Any], Any]
) -> tuple[Any, bool]:
    """A number schema's bound on one side (``None`` for none) and whether it is exclusive:
    the ``tighter`` of its ``inclusive`` and ``exclusive`` keywords."""
    bound = schema.get(inclusive)
    ex = schema.get(exclusive)
    if not isinstance(ex, (int, float)):
        return bound, False
    bound = tighter(bound, ex) if bound is not None else ex
    return bound, bound == ex
