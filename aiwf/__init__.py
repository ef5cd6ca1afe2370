"""aiwf: describe LLM assistants and workflows once, in YAML, and get validation, a runner,
a dry-run and typed SDKs from the same spec.

The package root stays import-light on purpose: ``aiwf validate`` runs on every commit, so
heavy modules (httpx, copier, boto3) are imported only by the commands that need them.
"""

from __future__ import annotations

from aiwf._version import __version__
from aiwf.errors import AiwfError

__all__ = ["AiwfError", "__version__"]
