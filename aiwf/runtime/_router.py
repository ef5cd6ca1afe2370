"""The model router: aliases from a spec's ``models:`` resolved to routes, with fallbacks.

``router.client("fast")`` is a :class:`~aiwf.runtime._types.ModelClient` that sends each
request to the ``fast`` route and, when that route is exhausted, to its ``fallback:``
aliases in order (a fallback's own fallbacks follow it, depth first, each alias once).

A route is *exhausted*, and the next one is tried, when its call failed with an error that
another provider or model may not have: rate limiting (:class:`RateLimited`), server
errors and overload (:class:`ServerError`), timeouts (:class:`Timeout`), connection
failures and malformed answers (plain :class:`ProviderError`), and output that stayed
invalid after repair (:class:`OutputInvalid`). It is *not* exhausted by errors about our
own request or configuration — :class:`BadRequest` (400/404/413/422), :class:`AuthError`
(401/403) and :class:`RouteError` — because a fallback would hide a mistake the user
must fix, and would usually fail the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from aiwf._ir.routes import Route
from aiwf.runtime._canonical import quote
from aiwf.runtime._errors import AuthError, BadRequest, ProviderError, RouteError
from aiwf.runtime._types import (
    AttemptRecord,
    CallMetadata,
    Completed,
    ModelClient,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    StreamReset,
    made,
)

_NO_FALLBACK = (BadRequest, AuthError, RouteError)


def falls_back(error: ProviderError) -> bool:
    """Whether ``error`` exhausts a route so that its fallbacks are tried."""
    return not isinstance(error, _NO_FALLBACK)


class Router:
    """Resolves model aliases to routes and gives a fallback-aware client per alias.

    Args:
        models: the spec's ``models:`` section, alias -> :class:`Route`.
        client: the client that makes the calls (usually a :class:`~aiwf.runtime.Runtime`).
    """

    def __init__(self, models: Mapping[str, Route], client: ModelClient) -> None:
        self.models = dict(models)
        self.backend = client

    def route(self, alias: str) -> Route:
        """The route of ``alias``; :class:`RouteError` when there is none."""
        try:
            return self.models[alias]
        except KeyError:
            raise RouteError(
                f"unknown model alias {quote(alias)}",
                hint=f"define it under models: (known: {', '.join(sorted(self.models)) or 'none'})",
            ) from None

    def chain(self, alias: str) -> list[tuple[str, Route]]:
        """``alias`` and its fallbacks, in the order they are tried, each alias once."""
        order: list[tuple[str, Route]] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            route = self.route(name)
            order.append((name, route))
            for other in route.fallback:
                visit(other)

        visit(alias)
        return order

    def client(self, alias: str) -> RoutedClient:
        """A client that calls ``alias`` with its fallbacks."""
        return RoutedClient(self, alias)

    def request(self, alias: str, **fields: object) -> ModelRequest:
        """A :class:`ModelRequest` for ``alias`` (its route filled in); ``fields`` are the
        other request fields."""
        meta = fields.pop("metadata", None)
        metadata = meta if isinstance(meta, CallMetadata) else CallMetadata()
        return ModelRequest(
            route=self.route(alias),
            metadata=replace(metadata, alias=alias),
            **fields,  # type: ignore[arg-type]
        )


_D = TypeVar("_D", ModelRequest, CallMetadata)


def _replaced(value: _D, **changes: Any) -> _D:
    """``dataclasses.replace(value, **changes)`` for the request types, without its
    per-call field introspection (every call of a workflow goes through here): a copy of the
    fields with the changes (:func:`aiwf.runtime._types.made`)."""
    return made(type(value), **{**value.__dict__, **changes})


def _as_fallback(log: tuple[AttemptRecord, ...], routes_before: int) -> list[AttemptRecord]:
    """``log`` of a route tried after ``routes_before`` others: its first attempt is a
    fallback."""
    if not routes_before or not log:
        return list(log)
    return [dataclasses.replace(log[0], kind="fallback"), *log[1:]]


class RoutedClient:
    """A :class:`ModelClient` bound to an alias; the request's ``route`` is replaced by
    each route of the alias' chain in turn."""

    def __init__(self, router: Router, alias: str) -> None:
        self.router = router
        self.alias = alias

    def _requests(self, request: ModelRequest) -> Iterator[ModelRequest]:
        """The request for each route of the chain, made as the route's turn comes (most
        calls never fall back); the request itself when it already names the route."""
        for name, route in self.router.chain(self.alias):
            metadata = request.metadata
            if metadata.alias != name:
                metadata = _replaced(metadata, alias=name)
            if request.route is route and metadata is request.metadata:
                yield request
            else:
                yield _replaced(request, route=route, metadata=metadata)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Call the alias' route, then its fallbacks while routes are exhausted. The attempt
        log of the response (or of the error) holds every route's attempts, each fallback's
        first one of kind ``fallback``."""
        last: ProviderError | None = None
        failed = failed_attempts = 0
        log: list[AttemptRecord] = []
        for attempt in self._requests(request):
            try:
                response = await self.router.backend.complete(attempt)
            except ProviderError as exc:
                log += _as_fallback(exc.attempt_log, failed)
                exc.attempt_log = tuple(log)
                if not falls_back(exc):
                    raise
                last = exc
                failed += 1
                failed_attempts += max(exc.attempts, 1)
                continue
            if failed:
                response = dataclasses.replace(
                    response,
                    fallbacks=failed,
                    fallback_attempts=failed_attempts,
                    attempt_log=(*log, *_as_fallback(response.attempt_log, failed)),
                )
            return response
        assert last is not None
        raise last

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream from the alias' route; on exhaustion, a :class:`StreamReset` and the next."""
        last: ProviderError | None = None
        for index, attempt in enumerate(self._requests(request)):
            if index:
                yield StreamReset(0, f"fallback to {attempt.metadata.alias}")
            try:
                async for event in self.router.backend.stream(attempt):
                    yield event
                    if isinstance(event, Completed):
                        return
            except ProviderError as exc:
                if not falls_back(exc):
                    raise
                last = exc
        assert last is not None
        raise last
