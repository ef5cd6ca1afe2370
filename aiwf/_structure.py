"""Checking plain data against a JSON Schema, with problems that say where, what was found
and what was expected.

The spec format (``aiwf/_spec/aiwf.schema.json``) and the project config
(``aiwf/config.schema.json``) are both checked here, with the standard library only: this is
on the ``aiwf validate`` path, which runs on every commit, and neither ``jsonschema`` nor
pydantic is imported on it.

The checker implements the keywords of JSON Schema draft 2020-12 in :data:`IMPLEMENTED`,
with the meaning the specification gives them (a hypothesis test checks its verdicts against
the ``jsonschema`` package on the format's schema), and ignores the annotations in
:data:`ANNOTATIONS`. A schema that uses any other keyword, a ``format`` it does not check or
a ``$ref`` it cannot follow is refused when the :class:`Checker` is made
(:class:`SchemaError`): nothing a schema says is silently ignored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from aiwf._suggest import closest

#: Keywords the checker implements.
IMPLEMENTED = frozenset(
    {
        "type", "enum", "const", "anyOf", "$ref",
        "pattern", "minLength", "maxLength", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "items", "minItems", "maxItems", "uniqueItems",
        "properties", "required", "additionalProperties", "propertyNames",
    }
)  # fmt: skip
#: Keywords that only annotate (or hold definitions): accepted, and they check nothing.
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
     "deprecated", "readOnly", "writeOnly"}
)  # fmt: skip
TYPE_NAMES = ("null", "boolean", "object", "array", "number", "integer", "string")


class SchemaError(ValueError):
    """A schema this checker cannot apply faithfully (a programming error, not a user's)."""


@lru_cache(maxsize=512)
def regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled once (patterns of schemas and contracts repeat)."""
    return re.compile(pattern)


def _is_regex(text: str) -> str | None:
    """Why ``text`` is not a regular expression (None when it is one)."""
    try:
        re.compile(text)
    except re.error as exc:
        return str(exc)
    return None


#: The values of ``format`` that are checked: format -> why a string is not of it (or None).
FORMATS: dict[str, Callable[[str], str | None]] = {"regex": _is_regex}


def kind_of(value: Any) -> str:
    """The JSON Schema type of a JSON value (an integral float is an ``integer``, as JSON
    Schema has it); the Python type name of anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """A JSON number (booleans are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: The kind of each class of value whose class decides its kind (all but float), learnt as
#: values are met: the checker asks for the kind of every value it checks.
_KIND_OF_CLASS: dict[type, str] = {}


def _kind(value: Any) -> str:
    cls = value.__class__
    kind = _KIND_OF_CLASS.get(cls)
    if kind is None:
        kind = kind_of(value)
        if cls is not float:
            _KIND_OF_CLASS[cls] = kind
    return kind


def _type_ok(value: Any, expected: str) -> bool:
    kind = _kind(value)
    return kind == expected or (expected == "number" and kind == "integer")


def json_key(value: Any) -> str:
    """A text equal for equal JSON values, as JSON Schema compares them (``1 == 1.0``,
    ``true != 1``, key order ignored)."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v) if not (isinstance(v, float) and math.isnan(v)) else "NaN"
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return repr(v)

    return json.dumps(norm(value), sort_keys=True, separators=(",", ":"))


def json_equal(a: Any, b: Any) -> bool:
    """Equality of two JSON values as JSON Schema defines it."""
    if a.__class__ is b.__class__ and a.__class__ in (str, bool, int):
        return bool(a == b)
    return json_key(a) == json_key(b)


#: How messages name the kinds of values (YAML words); :class:`Checker` takes others.
YAML_NOUNS: Mapping[str, str] = {
    "object": "a map",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}

ProblemKind = Literal["unknown", "missing", "name", "kind", "value"]


class Problem(NamedTuple):
    """One way a value does not fit its schema.

    ``kind``: ``unknown`` (a key that is not allowed), ``missing`` (a required key),
    ``name`` (a key that is not a valid name), ``kind`` (the wrong kind of value) or
    ``value`` (the right kind, a wrong value). ``parent`` is the path to the map or list that
    holds the value, ``key`` the key or index in it (the key itself for ``unknown``, ``name``
    and ``missing``; None for the checked value itself), ``container`` that map or list.
    ``text`` says what is wrong without saying where; ``expected`` names the kinds that
    would fit (``kind`` problems), ``allowed`` what else would (the keys of the map for
    ``unknown``, the values for ``enum``, the pattern for ``pattern``, the minimum and maximum
    of a number for ``kind``) and ``value`` is what was found.
    """

    kind: ProblemKind
    text: str
    parent: tuple[str | int, ...]
    key: str | int | None
    container: Any
    keyword: str = ""
    expected: tuple[str, ...] = ()
    value: Any = None
    allowed: tuple[str, ...] = ()

    @property
    def path(self) -> tuple[str | int, ...]:
        """The path to the value (or key) the problem is about."""
        return self.parent if self.key is None else (*self.parent, self.key)


def render_path(path: tuple[str | int, ...]) -> str:
    """``steps[0].concurrency``: keys joined with dots, indexes in brackets."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _found(value: Any, nouns: Mapping[str, str]) -> str:
    """What was found, for a message: scalars with their value."""
    kind = kind_of(value)
    if kind == "string":
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {shown!r}"
    if kind in ("integer", "number"):
        return f"the number {value}"
    if kind == "boolean":
        return "true" if value else "false"
    return nouns.get(kind, kind)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_BOUNDS: tuple[tuple[str, Callable[[Any, Any], bool], str], ...] = (
    ("minimum", lambda v, b: v >= b, "at least"),
    ("maximum", lambda v, b: v <= b, "at most"),
    ("exclusiveMinimum", lambda v, b: v > b, "more than"),
    ("exclusiveMaximum", lambda v, b: v < b, "less than"),
)

#: Where a value is while checking: ``()`` for the checked value, else ``(at of the map or
#: list that holds it, its key or index there, that map or list)``; a path is made of it
#: only for a problem.
_At = Any
_EMPTY: dict[str, Any] = {}


def _flatten(at: _At) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    while at:
        at, part, _ = at
        parts.append(part)
    return tuple(reversed(parts))


class Checker:
    """Checks values against the schemas of one JSON Schema document (its root and its
    ``#/$defs/NAME`` definitions). ``nouns`` names the kinds of values in messages."""

    def __init__(self, document: dict[str, Any], nouns: Mapping[str, str] = YAML_NOUNS) -> None:
        self.document = document
        self.nouns = nouns
        _audit(document, document)

    def resolve(self, schema: Any) -> Any:
        """``schema`` with ``$ref`` followed (to a definition of the document, or the root)."""
        while isinstance(schema, dict) and "$ref" in schema:
            schema = _target(self.document, schema["$ref"])
        return schema

    def definition(self, name: str | None) -> dict[str, Any]:
        """The root schema (``None``), or the definition ``#/$defs/NAME``."""
        if name is None:
            return self.document
        result: dict[str, Any] = self.document["$defs"][name]
        return result

    def describe(self, schema: Any) -> str:
        """The kinds of value ``schema`` takes, for a message: ``an integer``, ``a string or
        a list of strings`` (null is left out where something else fits: leaving the key out
        says the same)."""
        kinds = self._kinds(schema)
        shown = [k for k in kinds if k != "null"] or kinds
        return " or ".join(shown) if shown else "a value"

    def _kinds(self, schema: Any) -> list[str]:
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return []
        if "anyOf" in schema:
            out: list[str] = []
            for branch in schema["anyOf"]:
                out.extend(k for k in self._kinds(branch) if k not in out)
            return out
        expected = schema.get("type")
        names = expected if isinstance(expected, list) else [expected] if expected else []
        out = []
        for name in names:
            text = self.nouns.get(name, name)
            if name == "array" and "items" in schema:
                items = self._kinds(schema["items"])
                if len(items) == 1:
                    text = f"{text} of {_bare_plural(items[0])}"
            out.append(text)
        return out

    def _bounds(self, branches: list[Any]) -> tuple[str, ...]:
        """The range of the first numeric branch with both bounds, as (minimum, maximum)."""
        for branch in branches:
            branch = self.resolve(branch)
            if isinstance(branch, dict) and {"minimum", "maximum"} <= branch.keys():
                return (str(branch["minimum"]), str(branch["maximum"]))
        return ()

    def check(self, value: Any, schema: Any) -> list[Problem]:
        """Every problem of ``value`` against ``schema`` (a schema of this document)."""
        problems: list[Problem] = []
        self._check(value, schema, (), problems)
        return problems

    def is_valid(self, value: Any, schema: Any) -> bool:
        return not self.check(value, schema)

    # -- the traversal ---------------------------------------------------------------------

    def _check(self, value: Any, schema: Any, at: _At, out: list[Problem]) -> None:
        schema = self.resolve(schema)
        if schema is True or not isinstance(schema, dict) or not schema:
            if schema is False:
                self._add(out, "value", "is not allowed here", at, "false",
                          value=value)  # fmt: skip
            return

        if "anyOf" in schema:
            branches = [self.resolve(b) for b in schema["anyOf"]]
            fitting = [
                b
                for b in branches
                if not isinstance(b, dict) or "type" not in b or _types_ok(value, b["type"])
            ]
            if not fitting:
                expected = tuple(k for b in branches for k in _type_list(b))
                text = f"must be {self.describe(schema)}, not {_found(value, self.nouns)}"
                self._add(out, "kind", text, at, "type", expected, value,
                          self._bounds(branches))  # fmt: skip
                return
            trials = []
            for branch in fitting:
                trial: list[Problem] = []
                self._check(value, branch, at, trial)
                if not trial:
                    break
                trials.append(trial)
            else:
                out.extend(trials[0])
                return
            if _SIBLINGS.isdisjoint(schema):  # nothing else to check beside the anyOf
                return
        wanted = schema.get("type")
        if wanted is not None and not _types_ok(value, wanted):
            text = f"must be {self.describe(schema)}, not {_found(value, self.nouns)}"
            self._add(out, "kind", text, at, "type", _type_list(schema), value,
                      self._bounds([schema]))  # fmt: skip
            return
        if "const" in schema and not json_equal(value, schema["const"]):
            text = f"must be {json.dumps(schema['const'])}, not {_found(value, self.nouns)}"
            self._add(out, "value", text, at, "const", value=value)
        if "enum" in schema and not any(json_equal(value, v) for v in schema["enum"]):
            allowed = ", ".join(str(v) for v in schema["enum"])
            text = f"must be one of {allowed}, not {_found(value, self.nouns)}"
            self._add(out, "value", text, at, "enum", value=value,
                      allowed=tuple(str(v) for v in schema["enum"]))  # fmt: skip
        if value.__class__ is str:
            self._string(value, schema, at, out)
        elif is_number(value):
            for keyword, test, words in _BOUNDS:
                if keyword in schema and not test(value, schema[keyword]):
                    text = f"must be {words} {schema[keyword]}, not {value}"
                    self._add(out, "value", text, at, keyword, value=value)
        elif isinstance(value, list):
            self._array(value, schema, at, out)
        elif isinstance(value, dict):
            self._object(value, schema, at, out)

    def _add(
        self,
        out: list[Problem],
        kind: ProblemKind,
        text: str,
        at: _At,
        keyword: str,
        expected: tuple[str, ...] = (),
        value: Any = None,
        allowed: tuple[str, ...] = (),
    ) -> None:
        parent, key, container = (_flatten(at[0]), at[1], at[2]) if at else ((), None, None)
        out.append(Problem(kind, text, parent, key, container, keyword, expected, value, allowed))

    def _string(self, value: str, schema: dict[str, Any], at: _At, out: list[Problem]) -> None:
        if "pattern" in schema and not regex(schema["pattern"]).search(value):
            text = f"must match {schema['pattern']}, not {_found(value, self.nouns)}"
            self._add(out, "value", text, at, "pattern", value=value,
                      allowed=(schema["pattern"],))  # fmt: skip
        if "minLength" in schema and len(value) < schema["minLength"]:
            least = schema["minLength"]
            text = (
                "must not be empty"
                if least == 1
                else f"must be at least {_plural(least, 'character')} long, not {len(value)}"
            )
            self._add(out, "value", text, at, "minLength", value=value)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            text = (
                f"must be at most {_plural(schema['maxLength'], 'character')} long, "
                f"not {len(value)}"
            )
            self._add(out, "value", text, at, "maxLength", value=value)
        if "format" in schema:
            why = FORMATS[schema["format"]](value)
            if why is not None:
                text = (
                    f"must be a valid {schema['format']} ({why}), not {_found(value, self.nouns)}"
                )
                self._add(out, "value", text, at, "format", value=value)

    def _array(self, value: list[Any], schema: dict[str, Any], at: _At, out: list[Problem]) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            text = f"must have at least {_plural(schema['minItems'], 'item')}, not {len(value)}"
            self._add(out, "value", text, at, "minItems", value=value)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            text = f"must have at most {_plural(schema['maxItems'], 'item')}, not {len(value)}"
            self._add(out, "value", text, at, "maxItems", value=value)
        if schema.get("uniqueItems") is True:
            seen: set[str] = set()
            for item in value:
                item_key = json_key(item)
                if item_key in seen:
                    text = f"must not list an item twice ({json.dumps(item)[:40]} is repeated)"
                    self._add(out, "value", text, at, "uniqueItems",
                              value=value)  # fmt: skip
                    break
                seen.add(item_key)
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                self._check(item, items, (at, i, value), out)

    def _object(
        self, value: dict[str, Any], schema: dict[str, Any], at: _At, out: list[Problem]
    ) -> None:
        props: dict[str, Any] = schema.get("properties", _EMPTY)
        additional = schema.get("additionalProperties", True)
        missing = [r for r in schema.get("required", ()) if r not in value]
        if missing and additional is False:
            # A misspelt key is reported once, as unknown with a "did you mean" hint.
            misspelt = {closest(k, props) for k in value if k not in props}
            missing = [r for r in missing if r not in misspelt]
        for required in missing:
            out.append(Problem("missing", f"missing required key {required!r}", _flatten(at),
                               required, value, "required"))  # fmt: skip
        names = schema.get("propertyNames")
        for name, item in value.items():
            if names is not None and not self.is_valid(name, names):
                out.append(Problem("name", f"invalid name {name!r}", _flatten(at), name, value,
                                   "propertyNames", value=name))  # fmt: skip
            sub = props.get(name)
            if sub is not None:
                self._check(item, sub, (at, name, value), out)
            elif additional is False:
                out.append(Problem("unknown", f"unknown key {name!r}", _flatten(at), name, value,
                                   "additionalProperties", value=name, allowed=tuple(props)))  # fmt: skip
            elif additional is not True:
                self._check(item, additional, (at, name, value), out)


def _bare_plural(noun: str) -> str:
    """``a string`` -> ``strings``, for ``a list of strings``."""
    for article in ("a ", "an "):
        if noun.startswith(article):
            noun = noun[len(article) :]
            return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return noun


def _type_list(schema: Any) -> tuple[str, ...]:
    expected = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(expected, list):
        return tuple(expected)
    return (expected,) if isinstance(expected, str) else ()


def _types_ok(value: Any, expected: str | list[str]) -> bool:
    if expected.__class__ is str:
        return _type_ok(value, expected)
    return any(_type_ok(value, e) for e in expected)


#: Keywords that, beside an ``anyOf``, still check something once a branch fits.
_SIBLINGS = IMPLEMENTED - {"anyOf"}


def _target(document: dict[str, Any], ref: Any) -> Any:
    if ref == "#":
        return document
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref[len("#/$defs/") :]
        defs = document.get("$defs", _EMPTY)
        if name in defs:
            return defs[name]
    raise SchemaError(f"cannot follow $ref {ref!r}: only #/$defs/NAME and # are supported")


#: Keywords whose value is a schema, a list of schemas, or a map of schemas.
_SCHEMA = ("items", "additionalProperties", "propertyNames")
_SCHEMA_LIST = ("anyOf",)
_SCHEMA_MAP = ("properties", "$defs")


def _audit(schema: Any, document: dict[str, Any], where: str = "#") -> None:
    """Refuse a schema that uses what the checker does not implement (once, when a
    :class:`Checker` is made)."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError(f"{where}: a schema must be a map or a boolean")
    unknown = set(schema) - IMPLEMENTED - ANNOTATIONS
    if unknown:
        raise SchemaError(f"{where}: keywords not implemented: {', '.join(sorted(unknown))}")
    if "format" in schema and schema["format"] not in FORMATS:
        raise SchemaError(f"{where}: format {schema['format']!r} is not checked")
    for name in _type_list(schema):
        if name not in TYPE_NAMES:
            raise SchemaError(f"{where}: unknown type {name!r}")
    if "$ref" in schema:
        _target(document, schema["$ref"])
    for keyword in _SCHEMA:
        if keyword in schema:
            _audit(schema[keyword], document, f"{where}/{keyword}")
    for keyword in _SCHEMA_LIST:
        for i, sub in enumerate(schema.get(keyword, ())):
            _audit(sub, document, f"{where}/{keyword}/{i}")
    for keyword in _SCHEMA_MAP:
        for name, sub in schema.get(keyword, _EMPTY).items():
            _audit(sub, document, f"{where}/{keyword}/{name}")


def plain(value: Any) -> Any:
    """A plain-JSON copy of a loaded value (maps and lists of any subclass become ``dict``
    and ``list``)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
