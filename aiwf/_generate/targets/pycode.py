"""Python source text from spec data: string literals, docstrings, literals and identifiers.

Every string that comes from a spec (instructions, descriptions, enum values, property names)
is untrusted: it reaches the generated code only through :func:`py_str` (or :func:`py_doc`
for documentation), so any text yields code that compiles and carries exactly that text.
Identifiers are made from names deterministically by :class:`Namespace`.
"""

from __future__ import annotations

import builtins
import keyword
import math
from typing import Any

from aiwf._generate.targets.literals import quoted
from aiwf._ir.names import pascal_case, snake_case


def py_str(text: str) -> str:
    """A double-quoted Python string literal whose value is exactly ``text``.

    Printable characters (emoji included) are kept as they are; quotes, backslashes and every
    non-printable character (controls, U+2028/U+2029, lone surrogates) are escaped.
    """
    return quoted(text, _py_escape)


def _py_escape(code: int) -> str:
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def py_doc(text: str, indent: str = "") -> str:
    """A docstring for ``text``: triple-quoted when the text allows it, else a plain literal.

    Documentation only: the formatter may normalise a docstring's whitespace.
    """
    stripped = text.strip()
    plain = (
        stripped
        and "\\" not in stripped
        and '"""' not in stripped
        and not stripped.endswith('"')
        and not stripped.startswith('"')
        and all(ch.isprintable() or ch == "\n" for ch in stripped)
    )
    if not plain:
        return py_str(stripped)
    lines = stripped.split("\n")
    if len(lines) == 1:
        return f'"""{stripped}"""'
    body = "\n".join((indent + line) if line.strip() else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{indent}"""'


def py_literal(value: Any, *, ordered: bool = False) -> str:
    """Python source for a JSON value: dict keys sorted, so any key order gives one text, or,
    ``ordered``, in their given order (where the order means something: a program's schemas
    go on the wire in it)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):  # not JSON; kept representable anyway
            return f'float("{value}")'
        return repr(value)
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v, ordered=ordered) for v in value) + "]"
    if isinstance(value, dict):
        items = list(value.items()) if ordered else sorted(value.items(), key=lambda kv: str(kv[0]))
        return (
            "{"
            + ", ".join(f"{py_str(str(k))}: {py_literal(v, ordered=ordered)}" for k, v in items)
            + "}"
        )
    raise TypeError(f"not a JSON value: {value!r}")


#: Names no generated identifier may take: keywords, soft keywords, builtins and the module
#: names the generated code imports. A fixed list (not read from the running Python), so the
#: output is the same on every interpreter version.
PY_RESERVED = frozenset(
    {
        *keyword.kwlist,
        "match", "case", "type", "_", "self", "cls",
        *(name for name in dir(builtins) if not name.startswith("_")),
        "asyncio", "typing", "pydantic", "aiwf", "json",
        "contracts", "assistants", "workflows", "extensions",
    }
)  # fmt: skip

#: Attributes of ``pydantic.BaseModel`` (v2) a field must not shadow, fixed for determinism.
PYDANTIC_RESERVED = frozenset(
    [
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    ]
)


def _identifier_base(base: str, empty: str, digit_prefix: str) -> str:
    """``base``, or ``empty`` when it is empty, prefixed when it starts with a digit."""
    if not base:
        return empty
    return digit_prefix + base if base[0].isdigit() else base


def snake_identifier(name: str) -> str:
    """``name`` as a snake_case identifier base (not yet checked against reserved names)."""
    return _identifier_base(snake_case(name), "field", "f_")


def pascal_identifier(name: str) -> str:
    """``name`` as a PascalCase identifier base."""
    return _identifier_base(pascal_case(name), "Model", "M")


class Namespace:
    """Hands out unique identifiers: a reserved name gets a trailing ``_``, a taken one
    ``_2``, ``_3``... in the order names are asked for (so the same spec always gives the
    same identifiers)."""

    def __init__(self, reserved: frozenset[str] | set[str] = frozenset()) -> None:
        self.reserved = set(reserved)
        self.taken: set[str] = set()

    def claim(self, base: str) -> str:
        candidate = base + "_" if base in self.reserved else base
        n = 2
        unique = candidate
        while unique in self.taken or unique in self.reserved:
            unique = f"{candidate}_{n}" if not candidate.endswith("_") else f"{candidate}{n}"
            n += 1
        self.taken.add(unique)
        return unique
