"""The bounded memo every cache of aiwf's uses (of schemas, plans, request heads, ...)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(cache: dict[K, V], key: K, value: V, limit: int) -> V:
    """``cache[key] = value``, first dropping the oldest entry when ``cache`` holds
    ``limit`` of them (a cache keyed by values a process makes without end stays bounded,
    and the entries in use come back at once); returns ``value``."""
    if len(cache) >= limit:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value
