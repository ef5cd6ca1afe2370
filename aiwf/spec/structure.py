"""Checking the structure of spec entries against the format's JSON Schema, with positions.

The format's JSON Schema is generated from the pydantic models in :mod:`aiwf.spec.models`
and shipped in the package; checking against it here, with a small interpreter of the
keywords that schema uses, keeps pydantic off the ``aiwf validate`` path (it runs on every
commit) while the models stay the one definition of the format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
import re
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
        self._check(value, schema, "", None, None, what, problems)
        return problems

    def with_defaults(self, value: dict[str, Any], name: str) -> dict[str, Any]:
        """A plain copy of a checked map with every absent property's default filled in."""
        schema = self.definition(name)
        out: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            if prop in value:
                item = value[prop]
                target = self._object_branch(self.resolve(sub), item)
                if isinstance(item, dict) and target is not None and "properties" in target:
                    out[prop] = self._fill(item, target)
                else:
                    out[prop] = _plain(item)
            elif "default" in sub:
                out[prop] = _plain(sub["default"])
        return out

    def _fill(self, value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for prop, sub in schema.get("properties", {}).items():
            if prop in value:
                out[prop] = _plain(value[prop])
            elif "default" in sub:
                out[prop] = _plain(sub["default"])
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
        path: str,
        container: Any,
        key: str | int | None,
        what: str,
        out: Problems,
    ) -> None:
        schema = self.resolve(schema)
        if schema is True or not isinstance(schema, dict):
            return
        label = f"{path} " if path else ""
        suffix = f" (in {what})"
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
                out.append(
                    Problem(
                        "E013",
                        f"{label}must be {names}, not {_TYPE_NAMES[kind_of(value)]}{suffix}".lstrip(),
                        container,
                        key,
                    )
                )
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
        if isinstance(expected, str) and not _type_ok(value, expected):
            out.append(
                Problem(
                    "E013",
                    f"{label}must be {_TYPE_NAMES[expected]}, not {_TYPE_NAMES[kind_of(value)]}{suffix}".lstrip(),
                    container,
                    key,
                )
            )
            return
        if "const" in schema and value != schema["const"]:
            out.append(
                Problem(
                    "E014",
                    f"{label}must be {json.dumps(schema['const'])}{suffix}".lstrip(),
                    container,
                    key,
                )
            )
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(str(v) for v in schema["enum"])
            out.append(Problem("E014", f"{label}must be one of: {allowed}, not {value!r}{suffix}".lstrip(), container, key,
                               hint=did_you_mean(str(value), [str(v) for v in schema["enum"]])))  # fmt: skip
        if isinstance(value, str):
            if "pattern" in schema and not _regex(schema["pattern"]).search(value):
                out.append(
                    Problem(
                        "E014",
                        f"{label}{value!r} does not match {schema['pattern']}{suffix}".lstrip(),
                        container,
                        key,
                    )
                )
            if "minLength" in schema and len(value) < schema["minLength"]:
                out.append(
                    Problem("E014", f"{label}must not be empty{suffix}".lstrip(), container, key)
                )
        if kind_of(value) in ("integer", "number"):
            for keyword, test, words in _BOUNDS:
                if keyword in schema and not test(value, schema[keyword]):
                    out.append(
                        Problem(
                            "E014",
                            f"{label}must be {words} {schema[keyword]}, not {value}{suffix}".lstrip(),
                            container,
                            key,
                        )
                    )
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                out.append(
                    Problem(
                        "E014",
                        f"{label}needs at least {schema['minItems']} item(s){suffix}".lstrip(),
                        container,
                        key,
                    )
                )
            if "items" in schema:
                for i, item in enumerate(value):
                    self._check(item, schema["items"], f"{path}[{i}]", value, i, what, out)
        if isinstance(value, dict):
            self._object(value, schema, path, container, key, what, out)

    def _object(
        self,
        value: dict[str, Any],
        schema: dict[str, Any],
        path: str,
        container: Any,
        key: str | int | None,
        what: str,
        out: Problems,
    ) -> None:
        props: dict[str, Any] = schema.get("properties", {})
        where = f"{path} of {what}" if path else what
        for required in schema.get("required", []):
            if required not in value:
                out.append(
                    Problem("E012", f"missing required key {required!r} in {where}", value, None)
                )
        additional = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for name, item in value.items():
            sub_path = f"{path}.{name}" if path else name
            if name in props:
                self._check(item, props[name], sub_path, value, name, what, out)
                continue
            if additional is False:
                hint = did_you_mean(name, props) or (
                    f"allowed keys: {', '.join(props)}" if props else None
                )
                out.append(
                    Problem("E011", f"unknown key {name!r} in {where}", value, name, True, hint)
                )
                continue
            if names and "pattern" in names and not _regex(names["pattern"]).search(name):
                out.append(Problem("E020", f"invalid name {name!r} in {where}", value, name, True,
                                   "names start with an ASCII letter, then letters, digits or underscores"))  # fmt: skip
            if isinstance(additional, dict):
                self._check(item, additional, sub_path, value, name, what, out)


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
