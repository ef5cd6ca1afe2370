"""Identifier conversions shared by the compiler's collision check and the SDK targets.

A name such as ``user_profile``, ``UserProfile`` or ``userProfile`` is split into words on
underscores and case changes; each target then joins the words in its own convention. Two
names that give the same identifier in some convention cannot both exist in one namespace.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


@lru_cache(maxsize=8192)
def words(name: str) -> tuple[str, ...]:
    """Lower-case words of a name: ``HTTPServer_v2`` -> ``('http', 'server', 'v2')``."""
    return tuple(w.lower() for w in _WORDS.findall(name))


def snake_case(name: str) -> str:
    """``UserProfile`` -> ``user_profile`` (Python functions, Go/TS file names)."""
    return "_".join(words(name))


def pascal_case(name: str) -> str:
    """``user_profile`` -> ``UserProfile`` (type names everywhere, Go exported names)."""
    return "".join(w[:1].upper() + w[1:] for w in words(name))


def camel_case(name: str) -> str:
    """``user_profile`` -> ``userProfile`` (TypeScript functions and variables)."""
    pascal = pascal_case(name)
    return pascal[:1].lower() + pascal[1:]


#: Conventions checked for collisions, with the places each one is used.
CONVENTIONS = {
    "snake_case": (snake_case, "Python"),
    "PascalCase": (pascal_case, "Go and Python types"),
    "camelCase": (camel_case, "TypeScript"),
}
