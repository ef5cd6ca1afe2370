"""What the commands that run or look at runs share: the artifact store they open and the
Temporal settings they connect with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from aiwf._cli import AppContext
from aiwf._commands._options import TEMPORAL_META
from aiwf.stores import DEFAULT_STORE_URL, ArtifactStore, open_store

if TYPE_CHECKING:
    from aiwf.engine.temporal._settings import TemporalSettings


def open_run_store(app: AppContext, url: str | None) -> ArtifactStore:
    """``--artifacts URL``, else the config's store (relative to the project root), else
    the default store."""
    if url is not None:
        return open_store(url)
    config = app.config
    return open_store(config.store or DEFAULT_STORE_URL, base=config.root)


def engine_kind(app: AppContext, given: str | None) -> str:
    """``--engine``, else the config's ``[engine] kind``, else ``local``."""
    return given or str(app.config.engine.get("kind") or "local")


def temporal_settings(app: AppContext, **given: Any) -> TemporalSettings:
    """The Temporal settings from the command line, the environment and the config."""
    from aiwf.engine.temporal import require
    from aiwf.engine.temporal._settings import TemporalSettings

    require()
    options = dict(click.get_current_context().find_root().meta.get(TEMPORAL_META, {}))
    options.update({k: v for k, v in given.items() if v is not None})
    config = app.config
    return TemporalSettings.resolve(options, config.engine, root=config.root)
