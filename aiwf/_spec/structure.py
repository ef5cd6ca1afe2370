"""Checking the structure of spec entries against the format's JSON Schema, with positions.

The format's JSON Schema is generated from the pydantic models in :mod:`aiwf._spec.models`
and shipped in the package; checking against it with :mod:`aiwf._structure` keeps pydantic
off the ``aiwf validate`` path (it runs on every commit) while the models stay the one
definition of the format. This module turns the checker's problems into the spec's
diagnostics: a code, a message that says where, what was found and what was expected, and
a hint in YAML's terms.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any, NamedTuple

from aiwf import _codes as codes
from aiwf._spec.format_schema import read_schema_text
from aiwf._spec.names import NAME_PATTERN
from aiwf._structure import Checker, Problem, kind_of, render_path
from aiwf._suggest import did_you_mean

_CODES = {
    "unknown": codes.E011,
    "missing": codes.E012,
    "name": codes.E020,
    "kind": codes.E013,
    "value": codes.E014,
}
_NAME_RULE = "names start with an ASCII letter, then letters, digits or underscores (at most 64)"
#: Strings that YAML 1.1 read as booleans; YAML 1.2 (and aiwf) reads them as strings.
_YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


@cache
def format_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the spec format."""
    data: dict[str, Any] = json.loads(read_schema_text())
    return data


class SpecProblem(NamedTuple):
    """A structural problem of a spec entry: its code, message and hint, and where it is
    (the container holding the offending value, the key or index in it, and whether the key
    itself is meant)."""

    code: codes.Code
    message: str
    container: Any
    key: str | int | None
    of_key: bool = False
    hint: str | None = None


class StructureChecker:
    """Checks spec values against a definition of the format schema (``#/$defs/NAME``, or
    ``SpecFile`` for a whole file)."""

    def __init__(self) -> None:
        self.checker = _checker()
        self.schema = self.checker.document

    def definition(self, name: str) -> dict[str, Any]:
        return self.checker.definition(None if name == "SpecFile" else name)

    def check(
        self,
        value: Any,
        name: str,
        what: str,
        *,
        shallow: tuple[str, ...] = (),
        own: tuple[str, ...] = (),
    ) -> list[SpecProblem]:
        """The problems of ``value`` against the definition ``name``. The contents of the
        top-level properties named in ``shallow`` are not checked (only their kind), so the
        caller can check their entries one by one; the values of those named in ``own`` are
        checked only for their kind, the caller checks the rest (with a better message)."""
        schema = self._schema(name, shallow, own) if shallow or own else self.definition(name)
        problems = self.checker.check(value, schema)
        return [self._diagnose(p, what) for p in problems] if problems else []

    @lru_cache(maxsize=32)  # noqa: B019 - one checker per process, and few variants
    def _schema(self, name: str, shallow: tuple[str, ...], own: tuple[str, ...]) -> dict[str, Any]:
        schema = self.definition(name)
        props = dict(schema.get("properties", {}))
        for prop in (*shallow, *own):
            if prop in props:
                props[prop] = _shallow(self.checker.resolve(props[prop]), own=prop in own)
        return {**schema, "properties": props}

    def _diagnose(self, problem: Problem, what: str) -> SpecProblem:
        code = _CODES[problem.kind]
        label = render_path(problem.parent if problem.key is None else problem.path)
        if problem.kind in ("unknown", "missing", "name"):
            owner = render_path(problem.parent)
            where = f"{owner} of {what}" if owner else what
            message = f"{problem.text} in {where}"
            of_key = problem.kind != "missing"
            container, key = problem.container, (problem.key if of_key else None)
        else:
            message = (
                f"{label} {problem.text} (in {what})" if label else f"{problem.text} (in {what})"
            )
            of_key = False
            container, key = problem.container, problem.key
        hint = None
        if problem.kind == "unknown":
            allowed = problem.allowed
            hint = did_you_mean(str(problem.key), allowed) or (
                f"allowed keys: {', '.join(allowed)}" if allowed else None
            )
        elif problem.kind == "missing":
            hint = f"add {problem.key}: ... (docs/spec.md describes the keys)"
        elif problem.kind == "name":
            hint = _NAME_RULE
        elif problem.kind == "kind":
            hint = yaml_hint(problem)
        elif problem.keyword == "enum":
            hint = did_you_mean(str(problem.value), problem.allowed)
        elif problem.keyword == "pattern" and problem.allowed == (NAME_PATTERN,):
            code, hint = codes.E020, _NAME_RULE
            message = (
                f"{label} must be a name, not {problem.value!r} (in {what})"
                if label
                else f"must be a name, not {problem.value!r} (in {what})"
            )
        return SpecProblem(code, message, container, key, of_key, hint)

    def with_defaults(self, value: dict[str, Any], name: str) -> dict[str, Any]:
        """A copy of a checked map with every absent property's default filled in (one
        level down too, for maps such as ``retry`` whose properties have defaults), and
        integral floats made integers where the schema wants an integer (``8.0`` is an
        integer in JSON Schema, and stays ``8`` in the IR)."""
        return self._fill(value, self.definition(name), depth=1)

    def _fill(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop, sub in schema.get("properties", _EMPTY).items():
            if prop in value:
                item = value[prop]
                if (depth and isinstance(item, dict)) or item.__class__ is float:
                    target = self._branch(self.checker.resolve(sub), item)
                    if target is not None and (
                        not isinstance(item, dict) or "properties" in target
                    ):
                        item = (
                            self._fill(item, target, depth - 1)
                            if isinstance(item, dict)
                            else _integer(item, target)
                        )
                out[prop] = item
            elif "default" in sub:
                out[prop] = sub["default"]
        return out

    def _branch(self, schema: Any, value: Any) -> dict[str, Any] | None:
        """The branch of ``schema`` (itself, or one of its ``anyOf``) of ``value``'s kind."""
        if not isinstance(schema, dict):
            return None
        kind = kind_of(value)
        for branch in schema.get("anyOf", [schema]):
            branch = self.checker.resolve(branch)
            if isinstance(branch, dict) and branch.get("type") == kind:
                return branch
        return None


@cache
def _checker() -> Checker:
    return Checker(format_schema())


def _integer(value: float, schema: dict[str, Any]) -> Any:
    return int(value) if schema.get("type") == "integer" and value.is_integer() else value


def yaml_hint(problem: Problem) -> str:
    """How to write a value of the expected kind in YAML, given what was found."""
    expected = {k for k in problem.expected if k != "null"} or set(problem.expected)
    value = problem.value
    found = kind_of(value)
    name = problem.key if isinstance(problem.key, str) else "the key"
    if found == "null":
        return f"the value is empty: write it after '{name}:' on the same line, or indented below"
    if expected & {"integer", "number"} and found in ("string", "boolean"):
        if found == "string" and _looks_numeric(value):
            return f"write the number without quotes: {name}: {value.strip()}"
        number = "a whole number" if "number" not in expected else "a number"
        if problem.allowed:
            number += f" from {problem.allowed[0]} to {problem.allowed[1]}"
        return f"{name} takes {number}, written without quotes"
    if "boolean" in expected and found == "string":
        if value.lower() in _YAML11_BOOLEANS:
            return f"YAML 1.2 reads {value} as a string: write true or false"
        return "write true or false"
    if expected == {"string"}:
        if found in ("integer", "number", "boolean"):
            return f'quote it to make it a string: {name}: "{json.dumps(value)}"'
        return "quote text that starts with [ or { or contains ': ', or write it on the next lines after |"
    if "object" in expected:
        return f"a map is `key: value` lines indented below '{name}:', or {{key: value}}"
    if "array" in expected:
        return f"a list is `- item` lines below '{name}:', or [a, b]"
    return codes.E013.hint or ""


def _looks_numeric(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _shallow(schema: Any, *, own: bool = False) -> Any:
    """``schema`` without what checks inside a map or list (items, properties ...); with
    ``own``, without what checks a string's value either."""
    if not isinstance(schema, dict):
        return schema
    dropped = _INSIDE | _STRING if own else _INSIDE
    out = {k: v for k, v in schema.items() if k not in dropped}
    if "anyOf" in out:
        out["anyOf"] = [_shallow(b, own=own) for b in out["anyOf"]]
    return out


_INSIDE = frozenset({"items", "properties", "additionalProperties", "propertyNames", "required"})
_STRING = frozenset({"pattern", "minLength", "maxLength", "format"})
_EMPTY: dict[str, Any] = {}
