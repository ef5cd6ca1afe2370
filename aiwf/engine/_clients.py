"""Model clients the engine is given: the real providers through the runtime's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiwf.runtime._types import ModelClient, ModelRequest, ModelResponse, StreamEvent

if TYPE_CHECKING:
    from aiwf._ir.model import Program
    from aiwf.runtime._router import Router


class RouterClient:
    """A :class:`ModelClient` that sends each request to the route of its model alias
    (``request.metadata.alias``), with the alias' fallbacks, through a runtime ``Router``."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def _client(self, request: ModelRequest) -> ModelClient:
        alias = request.metadata.alias
        if alias is None:
            return self.router.backend
        return self.router.client(alias)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        return await self._client(request).complete(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        async for event in self._client(request).stream(request):
            yield event


def check_api_keys(program: Program, workflow: str) -> None:
    """Fail before a run starts when a model route of ``workflow`` has no API key (rather
    than after the first steps, with a run to resume that cannot succeed either)."""
    from aiwf.runtime._providers import PROVIDERS

    table = program.models
    seen: set[str] = set()
    for step in program.workflows[workflow].steps:
        alias = program.assistants[step.assistant].model
        if alias in seen:
            continue
        seen.add(alias)
        route = table[alias]
        PROVIDERS[route.provider]().api_key(route)  # raises RouteError (R008) without one
