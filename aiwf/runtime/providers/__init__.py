"""Providers: one module per wire format, registered in :data:`PROVIDERS`.

Adding a provider is one new module implementing :class:`~aiwf.runtime.providers.base.Provider`
and one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from aiwf.runtime.providers.anthropic import AnthropicProvider
from aiwf.runtime.providers.base import Provider
from aiwf.runtime.providers.openai import OpenAIProvider
from aiwf.runtime.providers.openai_compatible import OpenAICompatibleProvider

#: Provider name (as written in a route's ``provider:``) -> provider factory.
PROVIDERS: dict[str, Callable[[], Provider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "openai-compatible": OpenAICompatibleProvider,
}

__all__ = ["PROVIDERS", "Provider"]
