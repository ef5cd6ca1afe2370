"""SDK targets, one module per language, registered in :data:`TARGETS`.

Adding a language touches one new module (shaped by :class:`~aiwf._generate.targets.base.Target`),
one line here and one directory ``copier-templates/<lang>/``.
"""

from __future__ import annotations

from aiwf._errors import UsageError
from aiwf._generate.targets.base import Target
from aiwf._lazy import load
from aiwf._suggest import did_you_mean

#: Target name -> "module:attribute" of its :class:`Target` (imported on first use).
TARGETS: dict[str, str] = {
    "python": "aiwf._generate.targets.python:TARGET",
    "go": "aiwf._generate.targets.go:TARGET",
    "typescript": "aiwf._generate.targets.typescript:TARGET",
}


def get_target(name: str) -> Target:
    """The target called ``name``; a usage error naming the known ones otherwise."""
    spec = TARGETS.get(name)
    if spec is None:
        raise UsageError(
            f"unknown SDK language {name!r}",
            hint=did_you_mean(name, TARGETS) or f"known: {', '.join(sorted(TARGETS))}",
        )
    target: Target = load(spec)
    return target


__all__ = ["TARGETS", "Target", "get_target"]
