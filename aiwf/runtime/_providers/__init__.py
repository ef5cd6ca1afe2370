"""Providers: one module per wire format, registered in :data:`PROVIDERS`.

Adding a provider is a row in the provider table (:mod:`aiwf._ir.providers`: its name, its
structured-output modes, what ``auto`` means, its key variable), one new module implementing
:class:`~aiwf.runtime._providers.base.Provider`, and one line here; the Go and TypeScript
runtimes get theirs in ``runtimes/`` (``tests/test_providers_table.py`` checks all of them
against the table).
"""

from __future__ import annotations

from collections.abc import Callable

from aiwf.runtime._providers.anthropic import AnthropicProvider
from aiwf.runtime._providers.base import Provider
from aiwf.runtime._providers.openai import OpenAIProvider
from aiwf.runtime._providers.openai_compatible import OpenAICompatibleProvider

#: Provider name (as written in a route's ``provider:``) -> provider factory.
PROVIDERS: dict[str, Callable[[], Provider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "openai-compatible": OpenAICompatibleProvider,
}

__all__ = ["PROVIDERS", "Provider"]
