"""What a comparison finds: :class:`Change` values, each naming its rule, its subject (a
contract path such as ``Ticket.lines[].sku``) and where it is written in the spec.

Contract paths: ``Contract`` then one step per level: ``.name`` a property (``["a b"]`` when
the name is not an identifier), ``[]`` the items of an array, ``{}`` the values of a map
(``additionalProperties``), ``|N`` the N-th ``anyOf``/``oneOf`` variant and ``&N`` the N-th
``allOf`` part (from 1, as the generated variant types are numbered).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from aiwf._ir.types import Type

Side = Literal["old", "new"]
#: One step of a contract path: ("prop", name), ("items", ""), ("values", ""),
#: ("variant", n) or ("part", n).
Step = tuple[str, "str | int"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def path_text(root: str, steps: tuple[Step, ...]) -> str:
    """The display form of a contract path: ``Ticket.lines[].sku``."""
    out = [root]
    for kind, key in steps:
        if kind == "prop":
            name = str(key)
            out.append(f".{name}" if _IDENT.match(name) else f"[{json.dumps(name)}]")
        elif kind == "items":
            out.append("[]")
        elif kind == "values":
            out.append("{}")
        elif kind == "variant":
            out.append(f"|{key}")
        elif kind == "part":
            out.append(f"&{key}")
    return "".join(out)


@dataclass(frozen=True)
class Anchor:
    """Where a change is written: in a contract (``kind="contract"``: its name and the path
    into it, and a keyword such as ``maxLength``), or on an assistant or workflow (``name``
    and the field: ``model``, ``instructions``, ``steps`` ...)."""

    side: Side
    kind: Literal["contract", "assistant", "workflow"]
    name: str
    steps: tuple[Step, ...] = ()
    keyword: str | None = None


@dataclass(frozen=True)
class Symbol:
    """A generated item a change is about, looked up per language by
    :mod:`aiwf._breaking.names`: a contract's type, an object's field, a Go enum constant, an
    assistant's or workflow's function. ``owner`` is the type object the SDK builder
    walked (identity matters, not equality)."""

    kind: Literal["contract", "type", "field", "constant", "function"]
    side: Side
    contract: str = ""
    owner: Type | None = field(default=None, compare=False, hash=False)
    member: Any = None


@dataclass(frozen=True)
class Position:
    file: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Change:
    """One change between the old and the new spec, under one rule."""

    rule: str
    #: What it is about: a contract path (``Ticket.subject``), ``assistant NAME`` ...
    subject: str
    #: One sentence, naming the subject (and the assistants and workflows that use it).
    message: str
    anchor: Anchor
    #: What changed, without the subject (``required property is added``).
    detail: str = ""
    #: The old and new values the change is about (JSON data; part of the fingerprint).
    old: Any = None
    new: Any = None
    #: For a comparison across two contracts (an input replaced by another schema): which.
    context: str = ""
    #: The contracts and entities it concerns (new names; old ones for removals), for the
    #: changelog's grouping by assistant and workflow.
    contract: str | None = None
    entity: tuple[str, str] | None = None
    symbols: tuple[Symbol, ...] = field(default=(), compare=False, hash=False)
    position: Position | None = field(default=None, compare=False, hash=False)

    @property
    def fingerprint(self) -> str:
        """A stable hash of the rule, the subject and the old/new values (never of the
        position or the message): the same change has the same fingerprint on every machine
        and in every run, so it can be accepted once in the project config."""
        data = [self.rule, self.subject, self.old, self.new, self.context]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def value_text(value: Any) -> str:
    """A JSON value as it is shown in messages."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


__all__ = ["Anchor", "Change", "Position", "Side", "Step", "Symbol", "path_text", "value_text"]
