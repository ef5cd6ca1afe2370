"""The ``${...}`` expression language of step inputs, scatters and workflow outputs.

Grammar (whitespace allowed around the inner expression)::

    expr  := "input" path
           | "steps" "." STEP "." "output" path
           | "prev" "." "output" path
           | "item" path
           | "index"
    path  := ( "." IDENT | "[" INTEGER "]" | "[" STRING "]" )*

``IDENT`` is ``[A-Za-z_][A-Za-z0-9_]*``; any other property name is written in brackets
with single or double quotes (``input["first name"]``). In a string, ``$${`` is a literal
``${``. A string that is exactly one expression takes that expression's value and type; a
string mixing text and expressions is a string (interpolation).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Literal

from aiwf._ir._dc import dataclass

Root = Literal["input", "steps", "prev", "item", "index"]
PathPart = str | int


class ExpressionError(ValueError):
    """A malformed expression; ``offset`` is the character offset inside the source string."""

    def __init__(self, message: str, offset: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed expression: a root, the step it names (``steps.ID`` only) and a path."""

    root: Root
    step: str | None
    path: tuple[PathPart, ...]
    text: str

    def describe(self) -> str:
        return "${" + self.text + "}"


@dataclass(frozen=True, slots=True)
class Interpolation:
    """A string mixing literal text and expressions: the parts in order."""

    parts: tuple[str | Expr, ...]


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"[0-9]+")
_ROOTS = ("input", "steps", "prev", "item", "index")


def _parse_path(text: str, i: int, base: int) -> tuple[tuple[PathPart, ...], int]:
    parts: list[PathPart] = []
    n = len(text)
    while i < n:
        c = text[i]
        if c == ".":
            m = _IDENT.match(text, i + 1)
            if not m:
                raise ExpressionError(
                    "expected a property name after '.'",
                    base + i + 1,
                    'write other property names in brackets: ["name"]',
                )
            parts.append(m.group())
            i = m.end()
        elif c == "[":
            j = i + 1
            if j < n and text[j] in "\"'":
                key, i = _quoted(text, j, base)
                parts.append(key)
            else:
                m = _INT.match(text, j)
                if not m:
                    raise ExpressionError(
                        "expected an index or a quoted name in brackets", base + j
                    )
                if len(m.group()) > 18:
                    raise ExpressionError("index out of range", base + j)
                parts.append(int(m.group()))
                i = m.end()
            if i >= n or text[i] != "]":
                raise ExpressionError("expected ']'", base + i)
            i += 1
        else:
            raise ExpressionError(f"unexpected {c!r}", base + i)
    return tuple(parts), i


_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


def _quoted(text: str, j: int, base: int) -> tuple[str, int]:
    """Decode the quoted name starting at ``text[j]`` (JSON escapes, plus ``\\'``); return
    it and the index after the closing quote."""
    quote = text[j]
    out: list[str] = []
    k = j + 1
    n = len(text)
    while k < n and text[k] != quote:
        c = text[k]
        if c != "\\":
            out.append(c)
            k += 1
            continue
        if k + 1 >= n:
            break
        e = text[k + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            k += 2
        elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[k + 2 : k + 6]):
            out.append(chr(int(text[k + 2 : k + 6], 16)))
            k += 6
        else:
            raise ExpressionError(f"invalid escape '\\{e}' in a quoted name", base + k)
    if k >= n:
        raise ExpressionError("unterminated string in brackets", base + j)
    return "".join(out), k + 1


_STEP = re.compile(r"\.([A-Za-z][A-Za-z0-9_]*)")


def parse_expression(inner: str, base: int = 0) -> Expr:
    """Parse the text between ``${`` and ``}``; ``base`` offsets error positions."""
    stripped = inner.strip()
    base += len(inner) - len(inner.lstrip())
    m = _IDENT.match(stripped)
    if not m:
        raise ExpressionError(
            "empty expression" if not stripped else f"unexpected {stripped[0]!r}",
            base,
            "expressions start with input, steps.ID.output, prev.output, item or index",
        )
    root = m.group()
    i = m.end()
    if root not in _ROOTS:
        from aiwf._suggest import did_you_mean

        raise ExpressionError(
            f"unknown expression root {root!r}",
            base,
            did_you_mean(root, _ROOTS)
            or "expressions start with input, steps.ID.output, prev.output, item or index",
        )
    step: str | None = None
    if root == "steps":
        m2 = _STEP.match(stripped, i)
        if not m2:
            raise ExpressionError(
                "expected a step id after 'steps.'", base + i, "write steps.ID.output"
            )
        step = m2.group(1)
        i = m2.end()
    if root in ("steps", "prev"):
        if not stripped.startswith(".output", i) or (
            len(stripped) > i + 7 and (stripped[i + 7].isalnum() or stripped[i + 7] == "_")
        ):
            where = f"steps.{step}" if root == "steps" else "prev"
            raise ExpressionError(
                f"expected '.output' after '{where}'", base + i, f"write {where}.output"
            )
        i += len(".output")
    path, i = _parse_path(stripped, i, base)
    if root == "index" and path:
        raise ExpressionError("index is a number and has no properties", base + len("index"))
    return Expr(root, step, path, stripped)  # type: ignore[arg-type]


@lru_cache(maxsize=4096)
def split_template(text: str) -> str | Expr | Interpolation:
    """Classify a string from the spec: plain text (``$${`` unescaped), exactly one
    expression, or an interpolation."""
    if "${" not in text:
        return text
    parts: list[str | Expr] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("$${", i):
            buf.append("${")
            i += 3
            continue
        if text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise ExpressionError("unterminated '${': expected '}'", i, "close it with '}'")
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(parse_expression(text[i + 2 : end], i + 2))
            i = end + 1
            continue
        buf.append(text[i])
        i += 1
    if buf:
        parts.append("".join(buf))
    if len(parts) == 1 and isinstance(parts[0], Expr):
        return parts[0]
    if all(isinstance(p, str) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    return Interpolation(tuple(parts))


def _closing_brace(text: str, i: int) -> int:
    quote: str | None = None
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "}":
            return i
        i += 1
    return -1


def format_path(path: tuple[PathPart, ...]) -> str:
    """A path as written in an expression: ``.tickets[0]["first name"]``."""
    out = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENT.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)
