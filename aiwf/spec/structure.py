"""Checking the structure of spec entries against the format's JSON Schema, with positions.

The format's JSON Schema is generated from the pydantic models in :mod:`aiwf.spec.models`
and shipped in the package; checking against it here, with a small interpreter of the
keywords that schema uses, keeps pydantic off the ``aiwf validate`` path (it runs on every
commit) while the models stay the one definition of the format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from aiwf.spec.format_schema import read_schema_text
from aiwf.spec.loader import YMap, YSeq
from aiwf.suggest import did_you_mean

_TYPE_NAMES = {
    "object": "a map",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def format_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the spec format."""
    data: dict[str, Any] = json.loads(read_schema_text())
    return data


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, expected: str) -> bool:
    kind = kind_of(value)
    return kind == expected or (expected == "number" and kind == "integer")


_BOUNDS: tuple[tuple[str, Callable[[float, float], bool], str], ...] = (
    ("minimum", lambda v, b: v >= b, "at least"),
    ("maximum", lambda v, b: v <= b, "at most"),
    ("exclusiveMinimum", lambda v, b: v > b, "more than"),
    ("exclusiveMaximum", lambda v, b: v < b, "less than"),
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A structural problem: its code, message and hint, and where it is (the container
    holding the offending value, the key or index in it, and whether the key is meant)."""

    code: str
    message: str
    container: Any
    key: str | int | None
    of_key: bool = False
    hint: str | None = None


Problems = list[Problem]


class StructureChecker:
    """Checks a value against a definition of the format schema (``#/$defs/NAME``)."""

    def __init__(self) -> None:
        self.schema = format_schema()

    def resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def definition(self, name: str) -> dict[str, Any]:
        if name == "SpecFile":
            return self.schema
        result: dict[str, Any] = self.schema["$defs"][name]
        return result

    def check(self, value: Any, name: str, what: str, *, shallow: tuple[str, ...] = ()) -> Problems:
        """The problems of ``value`` against the definition ``name``. The contents of the
        top-level properties named in ``shallow`` are not checked (only their kind), so the
        caller can check their entries one by one."""
        schema = self.definition(name)
        if shallow:
            props = dict(schema.get("properties", {}))
            for prop in shallow:
                if prop in props:
                    props[prop] = _shallow(self.resolve(props[prop]))
            schema = {**schema, "properties": props}
        problems: Problems = []
        self._check(value, schema, (), None, None, what, problems)
        return problems

    def with_defaults(self, value: dict[str, Any], name: str) -> dict[str, Any]:
        """A copy of a checked map with every absent property's default filled in (one
        level down too, for maps such as ``retry`` whose properties have defaults)."""
        schema = self.definition(name)
        out: dict[str, Any] = {}
        for prop, sub in schema.get("properties", _EMPTY).items():
            if prop in value:
                item = value[prop]
                if isinstance(item, dict):
                    target = self._object_branch(self.resolve(sub), item)
                    if target is not None and "properties" in target:
                        item = self._fill(item, target)
                out[prop] = item
            elif "default" in sub:
                out[prop] = sub["default"]
        return out

    def _fill(self, value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for prop, sub in schema.get("properties", _EMPTY).items():
            if prop in value:
                out[prop] = value[prop]
            elif "default" in sub:
                out[prop] = sub["default"]
        return out

    def _object_branch(self, schema: Any, value: Any) -> dict[str, Any] | None:
        if not isinstance(schema, dict):
            return None
        if "anyOf" in schema:
            for branch in schema["anyOf"]:
                branch = self.resolve(branch)
                if (
                    isinstance(branch, dict)
                    and branch.get("type") == "object"
                    and isinstance(value, dict)
                ):
                    return branch
            return None
        return schema if schema.get("type") == "object" else None

    def _check(
        self,
        value: Any,
        schema: Any,
        path: Path,
        container: Any,
        key: str | int | None,
        what: str,
        out: Problems,
    ) -> None:
        schema = self.resolve(schema)
        if schema is True or not isinstance(schema, dict) or not schema:
            return

        def problem(code: str, text: str, hint: str | None = None) -> None:
            label = _render(path)
            message = f"{label} {text}" if label else text
            out.append(Problem(code, f"{message} (in {what})", container, key, hint=hint))

        if "anyOf" in schema:
            branches = [self.resolve(b) for b in schema["anyOf"]]
            fitting = [
                b
                for b in branches
                if not isinstance(b, dict) or "type" not in b or _type_ok(value, b["type"])
            ]
            if not fitting:
                names = " or ".join(
                    _TYPE_NAMES.get(b.get("type", ""), "a value")
                    for b in branches
                    if isinstance(b, dict)
                )
                problem("E013", f"must be {names}, not {_TYPE_NAMES[kind_of(value)]}")
                return
            trials = []
            for branch in fitting:
                trial: Problems = []
                self._check(value, branch, path, container, key, what, trial)
                if not trial:
                    return
                trials.append(trial)
            out.extend(trials[0])
            return
        expected = schema.get("type")
        if expected is not None and not _type_ok(value, expected):
            problem("E013", f"must be {_TYPE_NAMES[expected]}, not {_TYPE_NAMES[kind_of(value)]}")
            return
        if "const" in schema and value != schema["const"]:
            problem("E014", f"must be {json.dumps(schema['const'])}")
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(str(v) for v in schema["enum"])
            problem("E014", f"must be one of: {allowed}, not {value!r}",
                    did_you_mean(str(value), [str(v) for v in schema["enum"]]))  # fmt: skip
        if value.__class__ is str:
            if "pattern" in schema and not _regex(schema["pattern"]).search(value):
                problem("E014", f"{value!r} does not match {schema['pattern']}")
            if "minLength" in schema and len(value) < schema["minLength"]:
                problem("E014", "must not be empty")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            for keyword, test, words in _BOUNDS:
                if keyword in schema and not test(value, schema[keyword]):
                    problem("E014", f"must be {words} {schema[keyword]}, not {value}")
        elif isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                problem("E014", f"needs at least {schema['minItems']} item(s)")
            items = schema.get("items")
            if items is not None:
                for i, item in enumerate(value):
                    self._check(item, items, (path, i), value, i, what, out)
        elif isinstance(value, dict):
            self._object(value, schema, path, what, out)

    def _object(
        self,
        value: dict[str, Any],
        schema: dict[str, Any],
        path: Path,
        what: str,
        out: Problems,
    ) -> None:
        props: dict[str, Any] = schema.get("properties", _EMPTY)

        def where() -> str:
            label = _render(path)
            return f"{label} of {what}" if label else what

        missing = [r for r in schema.get("required", ()) if r not in value]
        if missing and schema.get("additionalProperties", True) is False:
            # A misspelt key is reported once, as unknown with a "did you mean" hint.
            from aiwf.suggest import closest

            misspelt = {closest(k, props) for k in value if k not in props}
            missing = [r for r in missing if r not in misspelt]
        for required in missing:
            out.append(
                Problem(
                    "E012",
                    f"missing required key {required!r} in {where()}",
                    value,
                    None,
                    hint=f"add {required}: ... (docs/spec.md describes the keys)",
                )
            )
        additional = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for name, item in value.items():
            sub = props.get(name)
            if sub is not None:
                self._check(item, sub, (path, name), value, name, what, out)
                continue
            if additional is False:
                hint = did_you_mean(name, props) or (
                    f"allowed keys: {', '.join(props)}" if props else None
                )
                out.append(
                    Problem("E011", f"unknown key {name!r} in {where()}", value, name, True, hint)
                )
                continue
            if names and "pattern" in names and not _regex(names["pattern"]).search(name):
                out.append(Problem("E020", f"invalid name {name!r} in {where()}", value, name, True,
                                   "names start with an ASCII letter, then letters, digits or underscores"))  # fmt: skip
            if isinstance(additional, dict):
                self._check(item, additional, (path, name), value, name, what, out)


#: A path into a checked value, as a chain of (parent, key) pairs; rendered only for messages.
Path = Any
_EMPTY: dict[str, Any] = {}


def _render(path: Path) -> str:
    parts: list[str | int] = []
    while path:
        path, part = path
        parts.append(part)
    out = ""
    for part in reversed(parts):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _shallow(schema: Any) -> Any:
    """``schema`` without what checks inside a map or list (items, properties ...)."""
    if not isinstance(schema, dict):
        return schema
    out = {
        k: v
        for k, v in schema.items()
        if k not in ("items", "properties", "additionalProperties", "propertyNames", "required")
    }
    if "anyOf" in out:
        out["anyOf"] = [_shallow(b) for b in out["anyOf"]]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (YMap, dict)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (YSeq, list)):
        return [_plain(v) for v in value]
    return value
