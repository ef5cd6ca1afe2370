"""Runtime validators for the contracts, generated from each contract's JSON Schema.

Every contract gets a check function ``check<Type>(v: unknown, p: string): string | null``
(null when valid, else ``"PATH: problem"``); every sub-schema a private
``check<Type>$<n>`` (``$`` cannot occur in the names :class:`Namespace` hands out, so these
never collide). Keywords apply with JSON Schema's meaning: ``minLength`` only to strings,
``properties`` only to objects, and so on; ``type`` is what restricts the kind of value.
"""

from __future__ import annotations

import json
from typing import Any

from aiwf.generate.targets.ts_code import ts_literal, ts_number, ts_str
from aiwf.ir.model import Program

_TYPE_TESTS = {
    "null": "v === null",
    "boolean": 'typeof v === "boolean"',
    "integer": '(typeof v === "number" && Number.isInteger(v))',
    "number": 'typeof v === "number"',
    "string": 'typeof v === "string"',
    "array": "Array.isArray(v)",
    "object": "rt.isObject(v)",
}
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly",
     "$comment", "$schema", "$defs"}
)  # fmt: skip
_NUMBER_CHECKS = (
    ("minimum", "v < {m}", " is less than the minimum {t}"),
    ("maximum", "v > {m}", " is more than the maximum {t}"),
    ("exclusiveMinimum", "v <= {m}", " is not more than the exclusive minimum {t}"),
    ("exclusiveMaximum", "v >= {m}", " is not less than the exclusive maximum {t}"),
    ("multipleOf", "!rt.isMultipleOf(v, {m})", " is not a multiple of {t}"),
)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _fail(*parts: str) -> str:
    """``return p + ": " + parts...;``"""
    return "return " + " + ".join(['p + ": "', *parts]) + ";"


class ValidatorBuilder:
    """Check functions for every contract of a program (``check`` names the root ones)."""

    def __init__(self, program: Program, check: dict[str, str]) -> None:
        self.program = program
        self.check = check
        self.functions: list[list[str]] = []
        self._count: dict[str, int] = {}

    def build(self) -> list[list[str]]:
        for name in sorted(self.program.contracts):
            fn = self.check[name]
            self._function(fn, self.program.contracts[name].json_schema, fn, public=True)
        return self.functions

    def _target(self, ref: Any) -> str | None:
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/") :]
            if name in self.check:
                return self.check[name]
        return None

    def _sub(self, schema: Any, owner: str) -> str:
        """The function that checks ``schema``: a shared one when it is only a reference or
        ``true``, else a new private function."""
        if schema is True or schema == {}:
            return "rt.checkAny"
        if isinstance(schema, dict) and set(schema) - _ANNOTATIONS == {"$ref"}:
            target = self._target(schema["$ref"])
            if target is not None:
                return target
        n = self._count.get(owner, 0) + 1
        self._count[owner] = n
        name = f"{owner}${n}"
        self._function(name, schema, owner)
        return name

    def _function(self, name: str, schema: Any, owner: str, *, public: bool = False) -> None:
        lines: list[str] = []
        self.functions.append(lines)  # reserve the place: sub-functions follow their parent
        export = "export " if public else ""
        lines.append(f"{export}function {name}(v: unknown, p: string): string | null {{")
        lines.extend("  " + line for line in self._body(schema, owner))
        lines.append("  return null;")
        lines.append("}")

    def _body(self, schema: Any, owner: str) -> list[str]:
        if schema is True:
            return []
        if schema is False or not isinstance(schema, dict):
            return [_fail('"no value is allowed here"')]
        out: list[str] = []
        types = schema.get("type")
        if types is not None:
            names = types if isinstance(types, list) else [types]
            tests = [_TYPE_TESTS[t] for t in names if t in _TYPE_TESTS]
            if tests:
                shown = " or ".join(names)
                out.append(
                    f"if (!({' || '.join(tests)})) {_fail(f'rt.typeError(v, {ts_str(shown)})')}"
                )
        if "enum" in schema and isinstance(schema["enum"], list):
            values = ts_literal(schema["enum"])
            out.append(
                f"if (!rt.oneOfValues(v, {values})) "
                + _fail("rt.show(v)", ts_str(" is not one of " + _text(schema["enum"])))
            )
        if "const" in schema:
            out.append(
                f"if (!rt.jsonEqual(v, {ts_literal(schema['const'])})) "
                + _fail("rt.show(v)", ts_str(" is not " + _text(schema["const"])))
            )
        out.extend(self._numbers(schema))
        out.extend(self._strings(schema))
        out.extend(self._arrays(schema, owner))
        out.extend(self._objects(schema, owner))
        if "$ref" in schema:
            target = self._target(schema["$ref"])
            if target is not None:
                out.append(f"{{ const e = {target}(v, p); if (e !== null) return e; }}")
        for sub in schema.get("allOf") or []:
            out.append(f"{{ const e = {self._sub(sub, owner)}(v, p); if (e !== null) return e; }}")
        for keyword in ("anyOf", "oneOf"):
            variants = schema.get(keyword)
            if not isinstance(variants, list) or not variants:
                continue
            fns = ", ".join(self._sub(sub, owner) for sub in variants)
            out.append("{")
            out.append(f"  const r = rt.matchVariants(v, p, [{fns}]);")
            none = _fail(
                "rt.show(v)",
                ts_str(f" matches none of the {len(variants)} alternatives; the first says: "),
                "r.first",
            )
            out.append(f"  if (r.matched === 0) {none}")
            if keyword == "oneOf":
                out.append(
                    "  if (r.matched > 1) "
                    + _fail(
                        'rt.show(v) + " matches " + r.matched + " of the alternatives, not exactly one"'
                    )
                )
            out.append("}")
        return out

    def _numbers(self, schema: dict[str, Any]) -> list[str]:
        checks: list[str] = []
        for keyword, test, message in _NUMBER_CHECKS:
            value = schema.get(keyword)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                m = ts_number(value)
                checks.append(
                    f"  if ({test.format(m=m)}) "
                    + _fail("rt.show(v)", ts_str(message.format(t=_text(value))))
                )
        return ['if (typeof v === "number") {', *checks, "}"] if checks else []

    def _strings(self, schema: dict[str, Any]) -> list[str]:
        checks: list[str] = []
        if isinstance(schema.get("minLength"), int):
            n = schema["minLength"]
            checks.append(
                f"  if (rt.codePoints(v) < {n}) "
                + _fail("rt.show(v)", ts_str(f" is shorter than {n} characters"))
            )
        if isinstance(schema.get("maxLength"), int):
            n = schema["maxLength"]
            checks.append(
                f"  if (rt.codePoints(v) > {n}) "
                + _fail("rt.show(v)", ts_str(f" is longer than {n} characters"))
            )
        if isinstance(schema.get("pattern"), str):
            source = schema["pattern"]
            checks.append(
                f"  if (!rt.pattern({ts_str(source)}).test(v)) "
                + _fail("rt.show(v)", ts_str(" does not match the pattern " + _text(source)))
            )
        if isinstance(schema.get("format"), str):
            fmt = schema["format"]
            checks.append(
                f"  if (!rt.checkFormat({ts_str(fmt)}, v)) "
                + _fail("rt.show(v)", ts_str(f" is not a valid {fmt}"))
            )
        return ['if (typeof v === "string") {', *checks, "}"] if checks else []

    def _arrays(self, schema: dict[str, Any], owner: str) -> list[str]:
        checks: list[str] = []
        if isinstance(schema.get("minItems"), int):
            n = schema["minItems"]
            checks.append(
                f"  if (v.length < {n}) "
                + _fail('"has " + v.length + " items, fewer than the minimum "', ts_str(str(n)))
            )
        if isinstance(schema.get("maxItems"), int):
            n = schema["maxItems"]
            checks.append(
                f"  if (v.length > {n}) "
                + _fail('"has " + v.length + " items, more than the maximum "', ts_str(str(n)))
            )
        if schema.get("uniqueItems") is True:
            checks.append("  {")
            checks.append("    const d = rt.firstDuplicate(v);")
            checks.append(
                "    if (d !== null) "
                + _fail('"items " + d[0] + " and " + d[1] + " are equal (uniqueItems)"')
            )
            checks.append("  }")
        if "items" in schema and schema["items"] is not True:
            fn = self._sub(schema["items"], owner)
            checks.append("  for (let i = 0; i < v.length; i++) {")
            checks.append(f'    const e = {fn}(v[i], p + "[" + i + "]");')
            checks.append("    if (e !== null) return e;")
            checks.append("  }")
        return ["if (Array.isArray(v)) {", *checks, "}"] if checks else []

    def _objects(self, schema: dict[str, Any], owner: str) -> list[str]:
        checks: list[str] = []
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        if isinstance(required, list) and required:
            checks.append("  {")
            checks.append(f"    const m = rt.missingKey(v, {ts_literal(required)});")
            checks.append(
                "    if (m !== null) " + _fail('"missing required property " + JSON.stringify(m)')
            )
            checks.append("  }")
        for key, sub in props.items():
            if sub is True or sub == {}:
                continue
            fn = self._sub(sub, owner)
            suffix = (
                f".{key}"
                if key.isascii() and key.replace("_", "a").isalnum() and not key[0].isdigit()
                else f"[{_text(key)}]"
            )
            checks.append(
                f"  if (rt.hasOwn(v, {ts_str(key)})) {{ const e = {fn}(v[{ts_str(key)}], "
                f"p + {ts_str(suffix)}); if (e !== null) return e; }}"
            )
        additional = schema.get("additionalProperties", True)
        known = ts_literal(list(props))
        if additional is False:
            checks.append("  {")
            checks.append(f"    const x = rt.otherKeys(v, {known});")
            checks.append(
                "    if (x.length > 0) " + _fail('"unexpected property " + JSON.stringify(x[0])')
            )
            checks.append("  }")
        elif additional is not True and additional != {}:
            fn = self._sub(additional, owner)
            checks.append(f"  for (const k of rt.otherKeys(v, {known})) {{")
            checks.append(f"    const e = {fn}(v[k], rt.member(p, k));")
            checks.append("    if (e !== null) return e;")
            checks.append("  }")
        return ["if (rt.isObject(v)) {", *checks, "}"] if checks else []


__all__ = ["ValidatorBuilder"]
