"""Go source text from spec data: string literals, comments, identifiers.

Every string from a spec reaches generated Go code only through :func:`go_str` (or
:func:`go_comment` for documentation), so any text yields code that compiles and carries
exactly that text. Identifiers come from :class:`GoNamespace`, deterministically.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiwf._generate.targets.literals import quoted
from aiwf._ir.names import camel_case, pascal_case

#: Go keywords and predeclared identifiers (fixed, so the output never depends on a
#: toolchain), plus the package names generated files import.
GO_RESERVED = frozenset(
    {
        "break", "case", "chan", "const", "continue", "default", "defer", "else",
        "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map",
        "package", "range", "return", "select", "struct", "switch", "type", "var",
        "any", "append", "bool", "byte", "cap", "clear", "close", "comparable", "complex",
        "complex64", "complex128", "copy", "delete", "error", "false", "float32", "float64",
        "imag", "int", "int8", "int16", "int32", "int64", "iota", "len", "make", "max", "min",
        "new", "nil", "panic", "print", "println", "real", "recover", "rune", "string", "true",
        "uint", "uint8", "uint16", "uint32", "uint64", "uintptr",
        "aiwfrt", "context", "json", "sync", "errors", "fmt", "testing",
    }
)  # fmt: skip


def go_str(text: str) -> str:
    """A double-quoted Go string literal whose value is exactly ``text`` (UTF-8)."""
    return quoted(text, _go_escape)


def _go_escape(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate has no UTF-8 form
        code = 0xFFFD
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def go_comment(text: str, indent: str = "") -> list[str]:
    """``text`` as ``//`` comment lines (non-printable characters shown escaped)."""
    lines: list[str] = []
    for raw in text.strip().split("\n"):
        shown = "".join(ch if ch.isprintable() else go_str(ch)[1:-1] for ch in raw.rstrip())
        lines.append(f"{indent}// {shown}".rstrip())
    return lines


def json_text(value: Any, *, sort_keys: bool = False) -> str:
    """JSON text of a spec value, as Python's ``json.dumps(ensure_ascii=False)`` writes it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, allow_nan=True)


def exported(name: str, fallback: str = "Value") -> str:
    """``name`` as an exported Go identifier base: PascalCase, a leading letter."""
    base = pascal_case(name)
    if not base:
        return fallback
    if not base[0].isalpha() or not base[0].isascii():
        return "X" + base
    return base


def unexported(name: str, fallback: str = "value") -> str:
    """``name`` as an unexported Go identifier base (camelCase)."""
    base = camel_case(name)
    if not base:
        return fallback
    if not base[0].isalpha():
        return "x" + base
    return base


class GoNamespace:
    """Unique identifiers in one Go scope: a reserved or taken name gets ``2``, ``3``... in
    the order names are claimed (so one spec always gives the same identifiers)."""

    def __init__(self, reserved: frozenset[str] | set[str] = frozenset()) -> None:
        self.reserved = set(reserved)
        self.taken: set[str] = set()

    def claim(self, base: str) -> str:
        unique, n = base, 2
        while unique in self.taken or unique in self.reserved:
            unique = f"{base}{n}"
            n += 1
        self.taken.add(unique)
        return unique


_TAG_OK = re.compile(r"^[A-Za-z0-9!#$%&()*+\-./:;<=>?@\[\]^_{|}~ ]+$")


def json_tag(key: str, optional: bool) -> str:
    """The struct tag for a property, or "" when encoding/json cannot spell the key (the
    generated MarshalJSON/UnmarshalJSON use the exact key either way)."""
    if not _TAG_OK.match(key) or "," in key:
        return ""
    return f'`json:"{key}{",omitempty" if optional else ""}"`'


_PACKAGE_SAFE = re.compile(r"[^a-z0-9]")
_MODULE = re.compile(r"^[a-z0-9][a-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$")
_MAJOR = re.compile(r"^v[0-9]+$")


def go_package_name(module: str) -> str:
    """The Go package name of a module path: its last element, lower-cased, letters and
    digits only (``github.com/acme/support-ai`` -> ``supportai``)."""
    return _PACKAGE_SAFE.sub("", module.rsplit("/", 1)[-1].lower())


def check_module(module: str) -> str | None:
    """Why ``module`` cannot be the module path of a generated SDK (None when it can)."""
    if not _MODULE.match(module) or ".." in module or module.endswith("."):
        return "must be a Go module path such as github.com/acme/support-ai"
    last = module.rsplit("/", 1)[-1]
    if _MAJOR.match(last):
        return "a major-version suffix (/v2) is not supported yet; use a path without it"
    name = go_package_name(module)
    if not name or name[0].isdigit() or name in GO_RESERVED:
        return (
            "its last element must give a Go package name (letters first, not a keyword): "
            f"{last!r} gives {name!r}"
        )
    return None
