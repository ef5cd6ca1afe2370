"""The runtime's :class:`ModelClient`: HTTP, retries, structured-output checks and repair,
streaming and tracing, once for every provider.

One call goes like this: resolve the provider and the structured-output mode, send an
attempt, and retry retryable failures (:mod:`aiwf.runtime.retry`) within the call's deadline.
An answer is parsed and validated against the output schema; an invalid or truncated one is
re-asked ``repair_attempts`` times with the validation error as a follow-up message, then
the call fails with :class:`~aiwf.runtime.errors.OutputInvalid`. Every attempt and the call
itself are recorded as spans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from aiwf.errors import AiwfError
from aiwf.ir.routes import Retry
from aiwf.ir.validate import Problem
from aiwf.runtime.canonical import dumps, number
from aiwf.runtime.clock import Clock, SystemClock
from aiwf.runtime.errors import (
    BadRequest,
    OutputInvalid,
    ProviderError,
    RouteError,
    Timeout,
)
from aiwf.runtime.http import CONNECT_TIMEOUT, new_client, shared, shared_client
from aiwf.runtime.log import log
from aiwf.runtime.providers import PROVIDERS, Provider
from aiwf.runtime.providers.base import Completion, Exchange, HttpCall, user_text
from aiwf.runtime.redact import redact
from aiwf.runtime.retry import DEFAULT_RETRY, RetryPolicy, call_with_retries
from aiwf.runtime.sse import parse_sse
from aiwf.runtime.structured import (
    TRUNCATED,
    WRAP_KEY,
    OutputProblem,
    extract_json,
    parse_json,
    problems_of,
    repair_message,
    strip_optional_nulls,
    validate,
    wrap_root,
)
from aiwf.runtime.tracing import AttemptSpan, CallSpan, Metrics, TraceHub, Tracer
from aiwf.runtime.types import (
    AttemptRecord,
    Completed,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    StreamReset,
    TextDelta,
    Usage,
)

#: Seconds per attempt when neither the request nor the route sets ``timeout``.
DEFAULT_TIMEOUT = 600.0


@dataclass
class _CallState:
    call_id: str
    request: ModelRequest
    provider: Provider
    policy: RetryPolicy
    started: float
    deadline_at: float | None
    api_key: str | None
    emit: Callable[[StreamEvent], None] | None
    turns: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    kind: str = "call"
    emitted: bool = False
    last_request_id: str | None = None
    #: The attempts so far (docs/wire.md §9).
    log: list[AttemptRecord] = field(default_factory=list)


@dataclass
class _Outcome:
    completion: Completion
    exchange: Exchange
    value: Any
    problem: OutputProblem | None
    request_id: str | None


_T = TypeVar("_T")


class Runtime:
    """A :class:`~aiwf.runtime.types.ModelClient` for every provider in the registry.

    Args:
        http: the ``httpx.AsyncClient`` to use (default: the shared one of the running loop).
        transport: build a private client over this transport (e.g. ``httpx.MockTransport``).
        clock: time source and sleep (default: the system clock).
        random: uniform [0, 1) source for backoff jitter.
        tracers: tracers subscribed from the start (more via ``runtime.traces.subscribe``).
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        random: Callable[[], float] = random.random,
        tracers: tuple[Tracer, ...] = (),
    ) -> None:
        self._own_http = http is None and transport is not None
        self._http = new_client(transport) if self._own_http else http
        self.clock: Clock = clock or SystemClock()
        self._random = random
        self._providers: dict[str, Provider] = {}
        self.traces = TraceHub()
        self.metrics = Metrics()
        self.traces.subscribe(self.metrics)
        for tracer in tracers:
            self.traces.subscribe(tracer)

    async def aclose(self) -> None:
        """Close the HTTP client if this runtime created it."""
        if self._own_http and self._http is not None:
            await self._http.aclose()

    def provider(self, name: str) -> Provider:
        """The provider instance for ``name`` (one per runtime, so per-route state such as
        structured-output downgrades is shared by every call of this runtime)."""
        found = self._providers.get(name)
        if found is None:
            factory = PROVIDERS.get(name)
            if factory is None:
                raise RouteError(
                    f"unknown provider {name!r}",
                    hint=f"use one of: {', '.join(sorted(PROVIDERS))}",
                )
            found = self._providers[name] = factory()
        return found

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Make the call and return the validated response (see the module docstring)."""
        return await self._run(request, None)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Make the call streaming: :class:`TextDelta` events as text arrives,
        :class:`StreamReset` when a retry or repair voids the text so far, then one
        :class:`Completed`. Errors are raised from the iterator."""
        queue: asyncio.Queue[StreamEvent | BaseException] = asyncio.Queue()
        task = asyncio.ensure_future(self._run(request, queue.put_nowait))
        task.add_done_callback(
            lambda t: queue.put_nowait(
                t.exception() or Completed(t.result())
                if not t.cancelled()
                else asyncio.CancelledError()
            )
        )
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Completed):
                    return
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    # -- one call ------------------------------------------------------------------------

    async def _run(
        self, request: ModelRequest, emit: Callable[[StreamEvent], None] | None
    ) -> ModelResponse:
        route = request.route
        spec: Retry = request.retry or route.retry or DEFAULT_RETRY
        started = self.clock.now()
        wall = time.time()
        call_id = os.urandom(8).hex()  # 16 hex digits, as uuid4().hex[:16] gave (cheaper)
        state: _CallState | None = None
        try:
            provider = self.provider(route.provider)
            state = _CallState(
                call_id=call_id,
                request=request,
                provider=provider,
                policy=RetryPolicy(spec, self.clock, self._random),
                started=started,
                deadline_at=started + spec.deadline if spec.deadline else None,
                api_key=provider.api_key(route),
                emit=emit,
                turns=[("user", user_text(request.input, request.input_schema))],
            )
            response = await self._call(state, spec.repair_attempts)
        except AiwfError as exc:
            if isinstance(exc, ProviderError) and state is not None:
                exc.attempts = state.attempts  # what the call cost, for a fallback's account
                exc.attempt_log = tuple(state.log)
            self._record_call(request, call_id, started, wall, state, exc, None, emit is not None)
            log(
                "WARNING",
                f"model call failed: {exc.message}",
                call_id=call_id,
                code=exc.code,
                provider=route.provider,
                model=route.model,
            )
            raise
        self._record_call(request, call_id, started, wall, state, None, response, emit is not None)
        return response

    async def _call(self, state: _CallState, repair_attempts: int) -> ModelResponse:
        request = state.request
        outcome: _Outcome | None = None
        for repair in range(repair_attempts + 1):
            state.kind = "repair" if repair else "call"

            def before_sleep(error: BaseException, delay: float) -> None:
                state.kind = "retry"
                log(
                    "INFO",
                    f"retrying after {type(error).__name__} in {delay:.2f}s",
                    call_id=state.call_id,
                    attempt=state.attempts,
                    error=str(error),
                )

            outcome = await call_with_retries(
                lambda: self._attempt(state),
                state.policy,
                deadline_at=state.deadline_at,
                before_sleep=before_sleep,
            )
            if outcome.problem is None:
                return ModelResponse(
                    output=outcome.value,
                    text=outcome.completion.text,
                    usage=state.usage,
                    request_id=outcome.request_id,
                    model=outcome.completion.model or request.route.model,
                    provider=request.route.provider,
                    attempts=state.attempts,
                    latency=self.clock.now() - state.started,
                    stop_reason=outcome.completion.stop_reason,
                    alias=request.metadata.alias,
                    attempt_log=tuple(state.log),
                    checked=request.check is not None,
                )
            state.turns.append(("assistant", outcome.completion.text))
            state.turns.append(("user", repair_message(outcome.problem)))
        assert outcome is not None
        assert outcome.problem is not None
        problem = outcome.problem
        raise OutputInvalid(
            f"output invalid after {repair_attempts + 1} answer(s): {problem.render()}",
            path=problem.path,
            text=outcome.completion.text,
            provider=request.route.provider,
            model=request.route.model,
            request_id=outcome.request_id,
        )

    async def _attempt(self, state: _CallState) -> _Outcome:
        """One attempt; an immediate re-send when a provider downgrades its mode."""
        while True:
            exchange = self._exchange(state)
            try:
                return await self._send(state, exchange)
            except BadRequest as exc:
                if not state.provider.downgrade(exchange, exc):
                    raise
                state.kind = "downgrade"
                log(
                    "INFO",
                    f"{exchange.route.provider} {exchange.route.model} refused "
                    f"structured output mode {exchange.mode}; trying "
                    f"{state.provider.resolve_mode(exchange.route)}",
                )

    def _exchange(self, state: _CallState) -> Exchange:
        request, route, provider = state.request, state.request.route, state.provider
        schema = request.output_schema
        mode = provider.resolve_mode(route) if schema is not None else None
        return Exchange(
            request=request,
            route=route,
            turns=tuple(state.turns),
            instructions=request.instructions,
            mode=mode,
            wire=provider.prepare_schema(mode, schema) if schema is not None and mode else None,
            api_key=state.api_key,
            max_tokens=request.max_tokens or route.max_tokens,
            temperature=request.temperature
            if request.temperature is not None
            else route.temperature,
        )

    async def _send(self, state: _CallState, exchange: Exchange) -> _Outcome:
        request, route, provider = state.request, exchange.route, state.provider
        state.attempts += 1
        attempt = state.attempts
        kind = state.kind
        state.kind = "retry"  # a later attempt without another reason is a retry
        stream = state.emit is not None
        if stream and state.emitted and state.emit is not None:
            state.emit(StreamReset(attempt, kind))
            state.emitted = False
        per_attempt = request.timeout or route.timeout or DEFAULT_TIMEOUT
        now = self.clock.now()
        remaining = state.deadline_at - now if state.deadline_at is not None else None
        budget = per_attempt if remaining is None else min(per_attempt, remaining)
        deadline_bound = remaining is not None and remaining <= per_attempt
        wall = time.time()
        first_token: list[float] = []
        http_status: int | None = None
        response_headers: Mapping[str, str] = {}
        try:
            if budget <= 0:
                raise Timeout(
                    "call deadline exceeded",
                    provider=route.provider,
                    model=route.model,
                    retryable=False,
                )
            call = provider.build(exchange, stream=stream)
            call = HttpCall(call.method, call.url, {**call.headers, **route.headers}, call.json)
            try:
                if stream:
                    ttft = request.first_token_timeout or route.first_token_timeout
                    completion, http_status, response_headers = await self._stream_once(
                        state, exchange, call, budget, ttft, now, first_token, attempt
                    )
                else:
                    completion, http_status, response_headers = await _within(
                        budget, self._post_once(state, exchange, call, budget)
                    )
            except (asyncio.TimeoutError, httpx.TimeoutException):
                what = (
                    f"call deadline of {number(state.policy.spec.deadline or 0)}s"
                    if deadline_bound
                    else (f"attempt timeout of {number(per_attempt)}s")
                )
                raise Timeout(
                    f"no complete answer within the {what}",
                    provider=route.provider,
                    model=route.model,
                    retryable=not deadline_bound,
                ) from None
            except httpx.TransportError as exc:
                log(
                    "DEBUG",
                    f"connection failed: {type(exc).__name__}: {exc or 'no detail'}",
                    call_id=state.call_id,
                )
                failed = ProviderError(
                    "connection failed", provider=route.provider, model=route.model
                )
                failed.outcome = "reset"
                raise failed from None
        except ProviderError as exc:
            self._record_attempt(
                state,
                exchange,
                attempt,
                kind,
                now,
                wall,
                first_token,
                None,
                exc,
                exc.status,
                exc.request_id,
                stream,
            )
            raise
        request_id = (
            provider.request_id(response_headers) or redact(completion.response_id or "") or None
        )
        state.usage = state.usage + completion.usage
        value, problem = self._check(exchange, completion)
        self._record_attempt(
            state,
            exchange,
            attempt,
            kind,
            now,
            wall,
            first_token,
            completion,
            None if problem is None else problem,
            http_status,
            request_id,
            stream,
        )
        return _Outcome(completion, exchange, value, problem, request_id)

    async def _post_once(
        self, state: _CallState, exchange: Exchange, call: HttpCall, budget: float
    ) -> tuple[Completion, int, Mapping[str, str]]:
        content = dumps(call.json).encode()
        status: int
        headers: Mapping[str, str]
        if self._http is None:  # the shared client: straight on aiohttp
            status, headers, raw = await shared().send(
                call.method, call.url, call.headers, content, budget
            )
        else:
            response = await self._http.request(
                call.method,
                _url(call.url),
                headers=call.headers,
                content=content,
                timeout=_timeout(budget),
            )
            status, headers, raw = response.status_code, response.headers, response.content
        if status >= 400:
            raise state.provider.error(exchange, status, headers, raw)
        try:
            body = _loads(raw)
        except ValueError:
            malformed = ProviderError(
                "malformed response: not JSON",
                provider=exchange.route.provider,
                model=exchange.route.model,
                request_id=state.provider.request_id(headers),
            )
            malformed.outcome = "malformed"
            raise malformed from None
        return state.provider.parse(exchange, body), status, headers

    async def _stream_once(
        self,
        state: _CallState,
        exchange: Exchange,
        call: HttpCall,
        budget: float,
        ttft: float | None,
        started: float,
        first_token: list[float],
        attempt: int,
    ) -> tuple[Completion, int, Mapping[str, str]]:
        got_token = asyncio.Event()
        emit = state.emit
        assert emit is not None

        def on_text(text: str) -> None:
            if not first_token:
                first_token.append(self.clock.now() - started)
                got_token.set()
            state.emitted = True
            emit(TextDelta(text, attempt))

        async def run() -> tuple[Completion, int, Mapping[str, str]]:
            http = self._http or shared_client()
            async with http.stream(
                call.method,
                _url(call.url),
                headers=call.headers,
                content=dumps(call.json).encode(),
                timeout=_timeout(budget),
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise state.provider.error(
                        exchange, response.status_code, response.headers, response.content
                    )
                completion = await state.provider.parse_stream(
                    exchange, parse_sse(response.aiter_lines()), on_text
                )
                got_token.set()
                return completion, response.status_code, response.headers

        task = asyncio.ensure_future(run())
        try:
            if ttft is not None and ttft < budget:
                waiter = asyncio.ensure_future(got_token.wait())
                done, _ = await asyncio.wait(
                    {task, waiter}, timeout=ttft, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if not done:
                    raise Timeout(
                        f"no token within the first-token timeout of {ttft:g}s",
                        provider=exchange.route.provider,
                        model=exchange.route.model,
                    )
            remaining = budget - (self.clock.now() - started)
            return await asyncio.wait_for(task, max(remaining, 0.0))
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    # -- output checks -------------------------------------------------------------------

    def _check(
        self, exchange: Exchange, completion: Completion
    ) -> tuple[Any, OutputProblem | None]:
        schema = exchange.request.output_schema
        if schema is None or exchange.wire is None:
            return completion.text, None
        if completion.has_value:
            value, problem = completion.value, None
        elif exchange.mode == "prompt":
            value, problem = extract_json(completion.text)
        else:
            value, problem = parse_json(completion.text)
        if problem is not None:
            return None, TRUNCATED if completion.truncated else problem
        wire = exchange.wire
        if wire.strict:
            original = wrap_root(schema)[0] if wire.wrapped else schema
            value = strip_optional_nulls(value, original)
        if wire.wrapped:
            if not isinstance(value, dict) or WRAP_KEY not in value:
                return None, _NOT_WRAPPED
            value = value[WRAP_KEY]
        check = exchange.request.check
        return value, problems_of(check(value)) if check is not None else validate(value, schema)

    # -- traces --------------------------------------------------------------------------

    def _record_attempt(
        self,
        state: _CallState,
        exchange: Exchange,
        attempt: int,
        kind: str,
        started: float,
        wall: float,
        first_token: list[float],
        completion: Completion | None,
        failure: ProviderError | OutputProblem | None,
        http_status: int | None,
        request_id: str | None,
        stream: bool,
    ) -> None:
        meta = state.request.metadata
        state.log.append(
            AttemptRecord(
                alias=meta.alias,
                provider=exchange.route.provider,
                model=exchange.route.model,
                outcome=_outcome(failure, completion),
                kind=kind,
                input_tokens=completion.usage.input_tokens if completion else 0,
                output_tokens=completion.usage.output_tokens if completion else 0,
            )
        )
        if isinstance(failure, ProviderError):
            status, error_class, code, message = (
                "error",
                type(failure).__name__,
                failure.code,
                failure.message,
            )
        elif isinstance(failure, OutputProblem):
            status, error_class, code, message = (
                "invalid_output",
                "OutputInvalid",
                "R006",
                failure.render(),
            )
        else:
            status, error_class, code, message = "ok", None, None, None
        self.traces.record(
            AttemptSpan(
                call_id=state.call_id,
                attempt=attempt,
                provider=exchange.route.provider,
                model=exchange.route.model,
                status=status,
                latency=self.clock.now() - started,
                time_to_first_token=first_token[0] if first_token else None,
                input_tokens=completion.usage.input_tokens if completion else 0,
                output_tokens=completion.usage.output_tokens if completion else 0,
                kind=kind,
                error_class=error_class,
                error_code=code,
                error_message=message,
                http_status=http_status,
                request_id=request_id,
                response_model=completion.model if completion else None,
                assistant=meta.assistant,
                workflow=meta.workflow,
                step=meta.step,
                alias=meta.alias,
                mode=exchange.mode,
                stream=stream,
                started_at=wall,
                extra=dict(meta.extra),
            )
        )

    def _record_call(
        self,
        request: ModelRequest,
        call_id: str,
        started: float,
        wall: float,
        state: _CallState | None,
        error: AiwfError | None,
        response: ModelResponse | None,
        stream: bool,
    ) -> None:
        meta = request.metadata
        usage = state.usage if state else Usage()
        self.traces.record(
            CallSpan(
                call_id=call_id,
                provider=request.route.provider,
                model=request.route.model,
                status="ok" if error is None else "error",
                attempts=state.attempts if state else 0,
                latency=self.clock.now() - started,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                error_class=type(error).__name__ if error else None,
                error_code=error.code if error else None,
                error_message=error.message if error else None,
                request_id=response.request_id if response else getattr(error, "request_id", None),
                assistant=meta.assistant,
                workflow=meta.workflow,
                step=meta.step,
                alias=meta.alias,
                stream=stream,
                started_at=wall,
                extra=dict(meta.extra),
            )
        )


def _outcome(failure: ProviderError | OutputProblem | None, completion: Completion | None) -> str:
    """An attempt's outcome as traces name it (docs/wire.md §9)."""
    if failure is None:
        return "ok"
    if isinstance(failure, OutputProblem):
        return "truncated" if failure.kind == "truncated" else "invalid"
    if failure.outcome:
        return failure.outcome
    if failure.status is not None:
        return f"http {failure.status}"
    return "timeout" if isinstance(failure, Timeout) else "error"


#: A wrapped answer without its ``value`` member.
_NOT_WRAPPED = OutputProblem(
    "schema",
    (Problem((), "required", f'property "{WRAP_KEY}"', "nothing", f"missing {WRAP_KEY!r}"),),
)


def _loads(raw: bytes) -> Any:
    """``json.loads(raw)``: a body that starts with ``{`` followed by a non-zero byte is
    UTF-8 by the same rule ``json.loads`` applies to bytes (RFC 8259 §8.1; no BOM, no zero
    bytes of UTF-16 or UTF-32), and is decoded without that detection."""
    if raw[:1] == b"{" and raw[1:2] not in (b"", b"\x00"):
        return json.loads(raw.decode("utf-8", "surrogatepass"))
    return json.loads(raw)


def _timeout(budget: float) -> httpx.Timeout:
    """The transport timeouts of an attempt with ``budget`` seconds (made once per budget:
    a route's attempts mostly share one)."""
    found = _TIMEOUTS.get(budget)
    if found is None:
        found = httpx.Timeout(budget, connect=min(budget, CONNECT_TIMEOUT))
        if len(_TIMEOUTS) >= 64:
            _TIMEOUTS.pop(next(iter(_TIMEOUTS)))
        _TIMEOUTS[budget] = found
    return found


def _url(url: str) -> httpx.URL:
    """``url`` parsed once (a route's calls all go to one URL)."""
    found = _URLS.get(url)
    if found is None:
        found = httpx.URL(url)
        if len(_URLS) >= 256:
            _URLS.pop(next(iter(_URLS)))
        _URLS[url] = found
    return found


_TIMEOUTS: dict[float, httpx.Timeout] = {}
_URLS: dict[str, httpx.URL] = {}


async def _within(seconds: float, work: Coroutine[Any, Any, _T]) -> _T:
    """``await work`` with a time limit, raising ``asyncio.TimeoutError`` (``TimeoutError``
    on 3.11+). ``asyncio.timeout`` (3.11+) runs the coroutine in the caller's task, which
    saves a task per call under wide scatters; ``wait_for`` is the 3.10 fallback."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)  # pragma: no cover - Python 3.10
