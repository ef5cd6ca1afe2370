"""What every command receives: the shared options and the project config, read lazily.

Its own module, without click, so that ``aiwf validate`` (:mod:`aiwf._entry`) can run without
importing the command-line framework; :mod:`aiwf._cli` re-exports it.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from aiwf._config import ProjectConfig


@dataclass
class AppContext:
    """What every subcommand receives: the shared options and the project config, lazily."""

    config_path: Path | None = None
    env: str | None = None
    verbosity: int = 0
    _config: ProjectConfig | None = field(default=None, repr=False)

    @property
    def config(self) -> ProjectConfig:
        """The project config (``--config``, else ``aiwf.toml`` / ``pyproject.toml`` found
        upwards from the working directory, else an empty config)."""
        if self._config is None:
            from aiwf._config import load_config

            self._config = load_config(self.config_path, env=self.env)
        return self._config

    def merge_shared(self, name: str, value: Any) -> None:
        """Apply one shared option (``verbose``, ``quiet``, ``config``, ``env``) given on the
        group or on a subcommand; the later one wins. A value of None, 0 or False is an
        option not given."""
        if name == "verbose" and value:
            self.verbosity = max(self.verbosity, 0) + int(value)
        elif name == "quiet" and value:
            self.verbosity = -1
        elif name == "config" and value is not None:
            self.config_path = Path(value)
        elif name == "env" and value is not None:
            self.env = value
