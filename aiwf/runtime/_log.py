"""Structured logging through loguru, redacted.

The runtime logs under the ``aiwf.runtime`` name and is disabled by default, as a library
should be; an application turns it on with ``loguru.logger.enable("aiwf.runtime")``.
Every message and every field passes :func:`aiwf.runtime._redact.redact` first.
"""

from __future__ import annotations

from typing import Any

from loguru import logger

from aiwf.runtime._redact import redact, redact_value

# A library stays quiet until the application opts in.
logger.disable("aiwf.runtime")


def log(level: str, message: str, **fields: Any) -> None:
    """Log ``message`` at ``level`` with ``fields`` bound as structured extras."""
    logger.bind(**redact_value(fields)).log(level, redact(message))
