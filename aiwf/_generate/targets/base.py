"""What an SDK target is: a small protocol that each language module implements."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from aiwf._ir.model import Program

#: The project config's environments as an SDK embeds them, so that one is picked at run time:
#: environment name -> model alias -> the route's fields with that environment's overrides
#: merged in (only the aliases the environment overrides).
Environments = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class RuntimeCopy:
    """A runtime source tree (``runtimes/<source>``, built and tested where it lives) that
    every SDK of a target carries a byte-for-byte copy of, in ``dest``, each file behind the
    generated-code ``header`` (so ``aiwf check`` catches an edited copy like any generated
    file)."""

    source: str
    dest: str
    #: Files to copy: glob patterns relative to the source tree (``*.go``, ``src/*.ts``).
    include: tuple[str, ...]
    #: File name patterns left out (``*_test.go``).
    exclude: tuple[str, ...] = ()
    header: str = ""
    #: A directory prefix of the source tree dropped in the copy (``src/`` -> ``dest/``).
    strip: str = ""

    def files(self, root: Path) -> dict[str, str]:
        """The files to copy: path in the SDK -> path relative to ``root`` (the source)."""
        found: dict[str, str] = {}
        for pattern in self.include:
            for path in sorted(root.glob(pattern)):
                if not path.is_file():
                    continue
                if any(fnmatch.fnmatch(path.name, ex) for ex in self.exclude):
                    continue
                rel = path.relative_to(root).as_posix()
                found[f"{self.dest}/{rel.removeprefix(self.strip)}"] = rel
        return dict(sorted(found.items()))


class Target(Protocol):
    """One SDK language. The templates in ``copier-templates/<name>/generated`` render with
    the :meth:`context`; :meth:`format` runs the language's formatter over the result."""

    #: The key in :data:`aiwf._generate.targets.TARGETS` and the ``lang`` copier answer.
    name: str
    #: Human name, for messages.
    language: str
    #: The scaffold's extension file (the consumer's code), as messages name it.
    extensions: str
    #: The runtime source tree the SDK carries a copy of (None: the templates are all).
    runtime: RuntimeCopy | None

    def check_package(self, package: str) -> str | None:
        """Why ``package`` is not a valid package name for this language (None when it is)."""
        ...

    def default_package(self, program: Program) -> str:
        """The package name used when none is configured."""
        ...

    def context(
        self, program: Program, package: str, environments: Environments | None = None
    ) -> dict[str, Any]:
        """The values the generated-layer templates see. ``environments`` are the project's
        environments (see :data:`Environments`), for a run-time choice between them."""
        ...

    def format(self, files: dict[str, str]) -> dict[str, str]:
        """The files as the language's formatter leaves them."""
        ...


def contract_names(
    program: Program, claim: Callable[[str], str], base: Callable[[str], str]
) -> dict[str, str]:
    """The generated type name of each contract of ``program``: ``claim(base(name))`` (a
    namespace's claim), in name order so that one spec always gives the same names."""
    return {name: claim(base(name)) for name in sorted(program.contracts)}
