"""Helpers for the IR's dataclasses: a discriminator marker that pydantic understands when
it is imported (for ``aiwf compile`` and IR loading), and that costs nothing otherwise."""

from __future__ import annotations

import dataclasses
from typing import Any


class Discriminated:
    """``Annotated`` metadata naming the tag field of a union of dataclasses.

    When pydantic builds a schema for the IR it makes a tagged union of the members.
    """

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        choices: dict[Any, Any] = {}
        for member in source.__args__:
            tag = next(f.default for f in dataclasses.fields(member) if f.name == self.field)
            choices[tag] = handler.generate_schema(member)
        return core_schema.tagged_union_schema(choices, discriminator=self.field)


def to_data(value: Any) -> Any:
    """Plain JSON data of a dataclass tree: fields in declaration order, ``None`` dropped
    (kept for a class that says ``keep_none``), tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        keep = getattr(value, "keep_none", False)
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is None and not keep:
                continue
            out[f.name] = to_data(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    return value
