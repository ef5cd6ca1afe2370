"""What an SDK target is: a small protocol that each language module implements."""

from __future__ import annotations

from typing import Any, Protocol

from aiwf.ir.model import Program


class Target(Protocol):
    """One SDK language. The templates in ``copier-templates/<name>/generated`` render with
    the :meth:`context`; :meth:`format` runs the language's formatter over the result."""

    #: The key in :data:`aiwf.generate.targets.TARGETS` and the ``lang`` copier answer.
    name: str
    #: Human name, for messages.
    language: str
    #: The scaffold's extension file (the consumer's code), as messages name it.
    extensions: str

    def check_package(self, package: str) -> str | None:
        """Why ``package`` is not a valid package name for this language (None when it is)."""
        ...

    def default_package(self, program: Program) -> str:
        """The package name used when none is configured."""
        ...

    def context(self, program: Program, package: str) -> dict[str, Any]:
        """The values the generated-layer templates see."""
        ...

    def format(self, files: dict[str, str]) -> dict[str, str]:
        """The files as the language's formatter leaves them."""
        ...
