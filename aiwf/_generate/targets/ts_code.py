"""TypeScript source text from spec data: string literals, JSON literals, comments and
identifiers.

Every string from a spec reaches the generated code only through :func:`ts_str` (or
:func:`ts_doc` for documentation), so any text yields code that compiles and carries exactly
that text. Identifiers are made deterministically by :class:`~aiwf._generate.targets.pycode.Namespace`
from fixed tables, never from the running toolchain.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aiwf._generate.targets.literals import quoted
from aiwf._ir.names import camel_case, pascal_case, words

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def ts_str(text: str) -> str:
    """A double-quoted TypeScript string literal whose value is exactly ``text``.

    Printable characters (emoji included) are kept; quotes, backslashes and every
    non-printable character (controls, U+2028/U+2029, lone surrogates) are escaped, so the
    literal is one line and safe in any position (``${`` and backticks mean nothing here).
    """
    return quoted(text, _ts_escape)


def _ts_escape(code: int) -> str:
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\u{{{code:x}}}"


def ts_number(value: int | float) -> str:
    """A number literal (JSON's spelling; not-finite values spelled as expressions)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "Number.NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value)


def ts_key(name: str) -> str:
    """An object key: bare when it is an identifier, a string literal otherwise, and a
    computed key for ``__proto__`` (which would set the prototype in an object literal)."""
    if name == "__proto__":
        return f"[{ts_str(name)}]"
    return name if _IDENTIFIER.match(name) else ts_str(name)


def ts_scalar(value: object) -> str | None:
    """The TypeScript literal of a JSON scalar (``null``, a boolean, number or string), or
    None for an array, an object or anything else."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return ts_number(value)
    if isinstance(value, str):
        return ts_str(value)
    return None


def ts_literal(
    value: Any, indent: int | None = None, level: int = 0, *, sort_keys: bool = True
) -> str:
    """TypeScript source for a JSON value; keys sorted (any key order gives one text) unless
    ``sort_keys`` is false (data whose order is its own, such as the IR's). With ``indent``,
    objects and arrays are laid out one member per line."""
    scalar = ts_scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = [ts_literal(v, indent, level + 1, sort_keys=sort_keys) for v in value]
        if indent is None:
            return "[" + ", ".join(parts) + "]"
        inner = " " * (indent * (level + 1))
        return "[\n" + "".join(f"{inner}{p},\n" for p in parts) + " " * (indent * level) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = sorted(value.items(), key=lambda kv: str(kv[0])) if sort_keys else value.items()
        parts = [
            f"{ts_key(str(k))}: {ts_literal(v, indent, level + 1, sort_keys=sort_keys)}"
            for k, v in items
        ]
        if indent is None:
            return "{ " + ", ".join(parts) + " }"
        inner = " " * (indent * (level + 1))
        return "{\n" + "".join(f"{inner}{p},\n" for p in parts) + " " * (indent * level) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def ts_comment_text(text: str) -> str:
    """``text`` made safe inside a block comment: ``*/`` broken, line terminators and other
    non-printable characters written as escapes (documentation only)."""
    out: list[str] = []
    for ch in text.replace("*/", "*\\/"):
        if ch == "\n" or ch.isprintable():
            out.append(ch)
        elif ch == "\t":
            out.append("    ")
        else:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\u{{{code:x}}}")
    return "".join(out)


def ts_doc(text: str | None, indent: str = "") -> list[str]:
    """A JSDoc block for ``text`` (no lines when there is none)."""
    if not text or not text.strip():
        return []
    body = [line.rstrip() for line in ts_comment_text(text.strip()).split("\n")]
    if len(body) == 1:
        return [f"{indent}/** {body[0]} */"]
    return [
        f"{indent}/**",
        *(f"{indent} *{' ' + line if line else ''}" for line in body),
        f"{indent} */",
    ]


def ts_line_comment(text: str) -> str:
    """``text`` made safe for a ``//`` comment (one line; no line terminators)."""
    return ts_str(text)[1:-1]


#: Words no generated identifier may be: reserved and contextual keywords, the global
#: values and types a module sees, and the module-level names the generated code uses.
#: A fixed list, so every machine gives the same code.
TS_RESERVED = frozenset(
    {
        # reserved words and strict-mode / contextual keywords
        "break", "case", "catch", "class", "const", "continue", "debugger", "default",
        "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for",
        "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
        "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with",
        "as", "implements", "interface", "let", "package", "private", "protected", "public",
        "static", "yield", "any", "boolean", "constructor", "declare", "get", "module",
        "require", "number", "set", "string", "symbol", "type", "from", "of", "async",
        "await", "namespace", "keyof", "readonly", "infer", "unique", "unknown", "never",
        "object", "is", "asserts", "abstract", "accessor", "bigint", "global", "out",
        "override", "satisfies", "using", "undefined", "arguments", "eval", "NaN",
        "Infinity", "globalThis", "process", "console", "exports",
        # global types and values a generated name would shadow
        "Array", "ArrayBuffer", "AbortController", "AbortSignal", "BigInt", "Boolean",
        "DataView", "Date", "Error", "EvalError", "Function", "Intl", "Iterable", "Iterator",
        "JSON", "Map", "Math", "Number", "Object", "Partial", "Pick", "Omit", "Promise",
        "PromiseLike", "Proxy", "RangeError", "Readonly", "ReadonlyArray", "Record",
        "ReferenceError", "Reflect", "RegExp", "Required", "Set", "String", "Symbol",
        "SyntaxError", "TypeError", "URIError", "URL", "WeakMap", "WeakSet", "Exclude",
        "Extract", "NonNullable", "ReturnType", "Parameters", "Awaited", "Uint8Array",
        "Headers", "Request", "Response", "TextDecoder", "TextEncoder", "Buffer",
        # names of the SDK's own modules and exports
        "rt", "contracts", "assistants", "workflows", "extensions", "runtime", "schemas",
        "SCHEMAS", "MODELS", "ASSISTANTS", "WORKFLOWS", "SPEC_NAME", "IR_DIGEST", "Trace",
        "TraceEntry", "Runtime", "FakeClient", "ReplayClient", "ModelClient",
        "ValidationError", "StepFailed", "RunOptions", "CallOptions", "JsonValue",
        "defaultClient", "setDefaultClient", "SPEC", "TYPES", "ENVIRONMENTS", "SCHEMA_FORMS",
        "Client", "createClient", "ClientOptions", "SdkClient", "RunFailed", "WorkflowRun",
        "RouteOverride", "runWorkflow", "sdk",
    }
)  # fmt: skip


def camel_identifier(name: str) -> str:
    """``name`` as a camelCase identifier base (not yet checked against reserved names)."""
    base = camel_case(name)
    if not base:
        return "value"
    return "_" + base if base[0].isdigit() else base


def pascal_identifier(name: str) -> str:
    """``name`` as a PascalCase identifier base."""
    base = pascal_case(name)
    if not base:
        return "Model"
    return "T" + base if base[0].isdigit() else base


def upper_identifier(name: str) -> str:
    """``name`` as an UPPER_SNAKE identifier base."""
    base = "_".join(w.upper() for w in words(name)) or "VALUE"
    return "_" + base if base[0].isdigit() else base
