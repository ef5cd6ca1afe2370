"""The runtime's :class:`ModelClient`: HTTP, retries, structured-output checks and repair,
streaming and tracing, once for every provider.

One call goes like this: resolve the provider and the structured-output mode, send an
attempt, and retry retryable failures (:mod:`aiwf.runtime._retry`) within the call's deadline.
An answer is parsed and validated against the output schema; an invalid or truncated one is
re-asked ``repair_attempts`` times with the validation error as a follow-up message, then
the call fails with :class:`~aiwf.runtime._errors.OutputInvalid`. Every attempt and the call
itself are recorded as spans.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import os
import random
import sys
import time
import types
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf._ir.routes import Retry, Route
from aiwf._ir.validate import Problem
from aiwf._memo import remember
from aiwf.runtime._canonical import dumps, number, quote
from aiwf.runtime._clock import Clock, SystemClock
from aiwf.runtime._errors import (
    BadRequest,
    OutputInvalid,
    ProviderError,
    RouteError,
    Timeout,
)
from aiwf.runtime._http import new_client, shared
from aiwf.runtime._limits import TimeLimit
from aiwf.runtime._log import log
from aiwf.runtime._providers import PROVIDERS, Provider
from aiwf.runtime._providers.base import (
    Completion,
    Exchange,
    HttpProvider,
    WireSchema,
    user_text,
)
from aiwf.runtime._redact import redact
from aiwf.runtime._retry import DEFAULT_RETRY, RetryPolicy, call_with_retries, is_retryable
from aiwf.runtime._sse import parse_sse
from aiwf.runtime._structured import (
    TRUNCATED,
    WRAP_KEY,
    OutputProblem,
    extract_json,
    loads,
    null_stripper,
    parse_json,
    problems_of,
    repair_message,
    validate,
)
from aiwf.runtime._tracing import AttemptSpan, CallSpan, Metrics, TraceHub, Tracer
from aiwf.runtime._types import (
    AttemptRecord,
    Completed,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    StreamReset,
    TextDelta,
    Usage,
    maker,
)

if TYPE_CHECKING:
    import httpx

# The values every call makes, without their frozen __init__ (aiwf.runtime._types.maker).
_make_response = maker(ModelResponse)
_make_exchange = maker(Exchange)
_make_attempt_record = maker(AttemptRecord)

#: Seconds per attempt when neither the request nor the route sets ``timeout``.
DEFAULT_TIMEOUT = 600.0


class _Template:
    """One route's request as prepared for a first answer: method, URL, headers (the
    route's own merged in) and the body's canonical JSON around the user text's literal
    (``tail`` None: the body cannot be split, so every call builds its own)."""

    __slots__ = ("head", "headers", "method", "tail", "url")

    def __init__(
        self, method: str, url: str, headers: dict[str, str], head: str, tail: str | None
    ) -> None:
        self.method, self.url, self.headers, self.head, self.tail = method, url, headers, head, tail


class _Plan:
    """What every call of one route, output contract and prompt shares, made on its first
    call (:meth:`Runtime._plan`): the provider, the retry policy, the wire schema of each
    structured-output mode, and the prepared requests (:class:`_Template`), one per mode,
    stream flag, key and value of the provider's :meth:`~HttpProvider.build_env`."""

    __slots__ = ("counter", "policy", "provider", "route", "schema", "spec", "templates", "wires")

    def __init__(
        self,
        route: Route,
        schema: Mapping[str, Any] | None,
        spec: Retry,
        provider: Provider,
        policy: RetryPolicy,
    ) -> None:
        self.route, self.schema, self.spec = route, schema, spec
        self.provider, self.policy = provider, policy
        self.wires: dict[str, WireSchema] = {}
        self.templates: dict[tuple[Any, ...], _Template] = {}
        #: The key of this route's token counters (:class:`Metrics`).
        self.counter = f"{route.provider}:{route.model}"


class _CallState:
    """One call in progress (a plain class: it is made for every call)."""

    __slots__ = (
        "api_key",
        "attempts",
        "call_id",
        "deadline_at",
        "emit",
        "emitted",
        "kind",
        "log",
        "plan",
        "policy",
        "provider",
        "request",
        "started",
        "turns",
        "usage",
    )

    def __init__(
        self,
        call_id: str,
        request: ModelRequest,
        plan: _Plan,
        started: float,
        deadline_at: float | None,
        api_key: str | None,
        emit: Callable[[StreamEvent], None] | None,
        turns: list[tuple[str, str]],
    ) -> None:
        self.call_id = call_id
        self.request = request
        self.plan = plan
        self.provider = plan.provider
        self.policy = plan.policy
        self.started = started
        self.deadline_at = deadline_at
        self.api_key = api_key
        self.emit = emit
        self.turns = turns
        self.attempts = 0
        self.usage = _NO_USAGE
        self.kind = "call"
        self.emitted = False
        #: The attempts so far (docs/wire.md §9).
        self.log: list[AttemptRecord] = []


@dataclass(slots=True)
class _Outcome:
    completion: Completion
    exchange: Exchange
    value: Any
    problem: OutputProblem | None
    request_id: str | None


class Runtime:
    """A :class:`~aiwf.runtime._types.ModelClient` for every provider in the registry.

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
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self.traces = TraceHub()
        self.metrics = Metrics()
        self.traces.subscribe(self.metrics)
        #: The tracers while only this runtime's own :class:`Metrics` listen: it is then
        #: fed its counts directly, and no span is made.
        self._alone = (self.metrics,)
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

    def _plan(self, request: ModelRequest, route: Route, spec: Retry) -> _Plan:
        """The plan of ``request``'s route, output contract and prompt (made once)."""
        schema = request.output_schema
        key = (
            id(route),
            id(schema),
            id(spec),
            request.schema_name,
            request.instructions,
            request.max_tokens,
            request.max_tokens.__class__,
            request.temperature,
            request.temperature.__class__,
        )
        plan = self._plans.get(key)
        if (
            plan is None
            or plan.route is not route
            or plan.schema is not schema
            or plan.spec is not spec
            or plan.policy.clock is not self.clock
            or plan.policy.random is not self._random
        ):
            plan = _Plan(
                route,
                schema,
                spec,
                self.provider(route.provider),
                RetryPolicy(spec, self.clock, self._random),
            )
            remember(self._plans, key, plan, _MAX_PLANS)
        return plan

    async def _run(
        self, request: ModelRequest, emit: Callable[[StreamEvent], None] | None
    ) -> ModelResponse:
        route = request.route
        spec: Retry = request.retry or route.retry or DEFAULT_RETRY
        started = self.clock.now()
        wall = time.time()
        call_id = _call_id()
        state: _CallState | None = None
        try:
            plan = self._plan(request, route, spec)
            state = _CallState(
                call_id,
                request,
                plan,
                started,
                started + spec.deadline if spec.deadline else None,
                plan.provider.api_key(route),
                emit,
                [("user", user_text(request.input, request.input_schema))],
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
        if self.traces.tracers == self._alone:
            self.metrics.count_call(True)
        else:
            self._record_call(
                request, call_id, started, wall, state, None, response, emit is not None
            )
        return response

    async def _call(self, state: _CallState, repair_attempts: int) -> ModelResponse:
        request = state.request
        outcome: _Outcome | None = None
        for repair in range(repair_attempts + 1):
            state.kind = "repair" if repair else "call"
            # The first attempt of each answer runs here, in this coroutine (most succeed);
            # only a retryable failure enters the retry machinery, handed that failure as
            # its first attempt's outcome (the same waits, stops and announcements).
            first: BaseException | None = None
            try:
                got = await self._attempt(state)
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                first = exc
            if first is not None:
                got = await call_with_retries(
                    lambda: self._attempt(state),
                    state.policy,
                    deadline_at=state.deadline_at,
                    before_sleep=functools.partial(_before_sleep, state),
                    first=first,
                )
            outcome = got
            if outcome.problem is None:
                completion = outcome.completion
                return _make_response(
                    output=outcome.value,
                    text=completion.text,
                    usage=state.usage,
                    request_id=outcome.request_id,
                    model=completion.model or request.route.model,
                    provider=request.route.provider,
                    attempts=state.attempts,
                    latency=self.clock.now() - state.started,
                    stop_reason=completion.stop_reason,
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

    def _exchange(self, state: _CallState) -> Exchange:
        request, route, provider = state.request, state.request.route, state.provider
        schema = request.output_schema
        mode = provider.resolve_mode(route) if schema is not None else None
        wire = None
        if schema is not None and mode:
            wire = state.plan.wires.get(mode)
            if wire is None:
                wire = state.plan.wires[mode] = provider.prepare_schema(mode, schema)
        return _make_exchange(
            request=request,
            route=route,
            turns=tuple(state.turns),
            instructions=request.instructions,
            mode=mode,
            wire=wire,
            api_key=state.api_key,
            max_tokens=request.max_tokens or route.max_tokens,
            temperature=request.temperature
            if request.temperature is not None
            else route.temperature,
        )

    def _http_request(
        self, state: _CallState, exchange: Exchange, stream: bool
    ) -> tuple[str, str, Mapping[str, str], bytes]:
        """``(method, URL, headers, body)`` of one attempt. A first answer's request is the
        route's prepared one with the user text spliced in (the same bytes as building and
        encoding it whole, which a repair, with its longer conversation, still does)."""
        provider = state.provider
        if len(exchange.turns) == 1 and isinstance(provider, HttpProvider):
            key = (exchange.mode, stream, exchange.api_key, provider.build_env(exchange.route))
            templates = state.plan.templates
            template = templates.get(key)
            if template is None:
                template = _template(provider, exchange, stream)
                remember(templates, key, template, _MAX_TEMPLATES)
            if template.tail is not None:
                literal = quote(exchange.turns[0][1])
                content = (template.head + literal + template.tail).encode()
                return template.method, template.url, template.headers, content
        call = provider.build(exchange, stream=stream)
        headers = {**call.headers, **exchange.route.headers}
        return call.method, call.url, headers, dumps(call.json).encode()

    async def _attempt(self, state: _CallState) -> _Outcome:
        """One attempt (an immediate re-send when a provider downgrades its mode), in one
        coroutine down to the HTTP send: a plain call's request, time limit, decoding,
        parsing, check and record are all here."""
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
        sent = _Sent(attempt, kind, now, time.time(), stream)
        http_status: int | None = None
        response_headers: Mapping[str, str] = _NO_HEADERS
        try:
            if budget <= 0:
                raise Timeout(
                    "call deadline exceeded",
                    provider=route.provider,
                    model=route.model,
                    retryable=False,
                )
            call = self._http_request(state, exchange, stream)
            try:
                if stream:
                    ttft = request.first_token_timeout or route.first_token_timeout
                    completion, http_status, response_headers = await self._stream_once(
                        state, exchange, call, budget, ttft, sent
                    )
                elif _PY310:  # pragma: no cover - Python 3.10: no uncancel
                    http_status, response_headers, raw = await asyncio.wait_for(
                        self._send_http(call, budget), budget
                    )
                else:
                    limit = TimeLimit(budget)
                    try:
                        if self._http is None:  # the shared client's pool
                            http_status, response_headers, raw = await shared().send(
                                call[0], call[1], call[2], call[3], budget
                            )
                        else:
                            http_status, response_headers, raw = await self._send_http(call, budget)
                    except asyncio.CancelledError as exc:
                        if limit.fired():
                            raise TimeoutError from exc
                        raise
                    finally:
                        limit.end()
            except _timeouts():
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
            except _transport_errors() as exc:
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
            if not stream:
                assert http_status is not None
                completion = self._answer(state, exchange, http_status, response_headers, raw)
        except ProviderError as exc:
            self._record_attempt(state, exchange, sent, None, exc, exc.status, exc.request_id)
            raise
        request_id = (
            provider.request_id(response_headers) or redact(completion.response_id or "") or None
        )
        # The first answer's usage is the call's so far (a sum only from the second on).
        state.usage = (
            completion.usage if state.usage is _NO_USAGE else state.usage + completion.usage
        )
        value, problem = self._check(exchange, completion)
        self._record_attempt(state, exchange, sent, completion, problem, http_status, request_id)
        return _Outcome(completion, exchange, value, problem, request_id)

    def _answer(
        self,
        state: _CallState,
        exchange: Exchange,
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
    ) -> Completion:
        """A plain answer's completion; a failed status or a body that is not JSON is the
        provider's error."""
        if status >= 400:
            raise state.provider.error(exchange, status, headers, raw)
        try:
            body = loads(raw)
        except ValueError:
            malformed = ProviderError(
                "malformed response: not JSON",
                provider=exchange.route.provider,
                model=exchange.route.model,
                request_id=state.provider.request_id(headers),
            )
            malformed.outcome = "malformed"
            raise malformed from None
        return state.provider.parse(exchange, body)

    async def _send_http(
        self, call: tuple[str, str, Mapping[str, str], bytes], budget: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One plain request over this runtime's httpx client, else the shared HTTP:
        ``(status, headers, body)``."""
        method, url, request_headers, content = call
        if self._http is None:
            return await shared().send(method, url, request_headers, content, budget)
        from aiwf.runtime import _httpx

        response = await self._http.request(
            method,
            _httpx.url(url),
            headers=request_headers,
            content=content,
            timeout=_httpx.timeout(budget),
        )
        return response.status_code, response.headers, response.content

    async def _stream_once(
        self,
        state: _CallState,
        exchange: Exchange,
        call: tuple[str, str, Mapping[str, str], bytes],
        budget: float,
        ttft: float | None,
        sent: _Sent,
    ) -> tuple[Completion, int, Mapping[str, str]]:
        got_token = asyncio.Event()
        emit = state.emit
        assert emit is not None
        method, url, request_headers, content = call
        started, first_token, attempt = sent.started, sent.first_token, sent.attempt

        def on_text(text: str) -> None:
            if not first_token:
                first_token.append(self.clock.now() - started)
                got_token.set()
            state.emitted = True
            emit(TextDelta(text, attempt))

        async def run() -> tuple[Completion, int, Mapping[str, str]]:
            answer: contextlib.AbstractAsyncContextManager[Any]
            if self._http is None:  # the shared client's pool
                answer = shared().stream(method, url, request_headers, content, budget)
            else:
                from aiwf.runtime import _httpx

                answer = self._http.stream(
                    method,
                    _httpx.url(url),
                    headers=request_headers,
                    content=content,
                    timeout=_httpx.timeout(budget),
                )
            async with answer as response:
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
        wire = exchange.wire
        if schema is None or wire is None:
            return completion.text, None
        if completion.has_value:
            value, problem = completion.value, None
        elif exchange.mode == "prompt":
            value, problem = extract_json(completion.text)
        else:
            value, problem = parse_json(completion.text)
        if problem is not None:
            return None, TRUNCATED if completion.truncated else problem
        if wire.strict:
            strip = null_stripper(schema, wire.wrapped)
            if strip is not None:
                value = strip(value)
        if wire.wrapped:
            if value.__class__ is not dict or WRAP_KEY not in value:
                return None, _NOT_WRAPPED
            value = value[WRAP_KEY]
        check = exchange.request.check
        return value, problems_of(check(value)) if check is not None else validate(value, schema)

    # -- traces --------------------------------------------------------------------------

    def _record_attempt(
        self,
        state: _CallState,
        exchange: Exchange,
        sent: _Sent,
        completion: Completion | None,
        failure: ProviderError | OutputProblem | None,
        http_status: int | None,
        request_id: str | None,
    ) -> None:
        meta = state.request.metadata
        route = exchange.route
        usage = completion.usage if completion is not None else _NO_USAGE
        state.log.append(
            _make_attempt_record(
                alias=meta.alias,
                provider=route.provider,
                model=route.model,
                outcome="ok" if failure is None else _outcome(failure, completion),
                kind=sent.kind,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
            )
        )
        if self.traces.tracers == self._alone:
            self.metrics.count_attempt(
                state.plan.counter
                if route is state.plan.route
                else f"{route.provider}:{route.model}",
                sent.attempt,
                None
                if failure is None
                else type(failure).__name__
                if isinstance(failure, ProviderError)
                else "OutputInvalid",
                usage.input_tokens,
                usage.output_tokens,
            )
            return
        if failure is None:
            status, error_class, code, message = "ok", None, None, None
        elif isinstance(failure, ProviderError):
            status, error_class, code, message = (
                "error",
                type(failure).__name__,
                failure.code,
                failure.message,
            )
        else:
            status, error_class, code, message = (
                "invalid_output",
                "OutputInvalid",
                "R006",
                failure.render(),
            )
        first_token = sent.first_token
        self.traces.record(
            AttemptSpan(
                call_id=state.call_id,
                attempt=sent.attempt,
                provider=route.provider,
                model=route.model,
                status=status,
                latency=self.clock.now() - sent.started,
                time_to_first_token=first_token[0] if first_token else None,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                kind=sent.kind,
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
                stream=sent.stream,
                started_at=sent.wall,
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
        if self.traces.tracers == self._alone:
            self.metrics.count_call(error is None)
            return
        meta = request.metadata
        usage = state.usage if state else _NO_USAGE
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


class _Sent:
    """One attempt as its records need it: its number, why it was made, when it started
    (clock and wall time), whether it streams, and the time of its first token."""

    __slots__ = ("attempt", "first_token", "kind", "started", "stream", "wall")

    def __init__(self, attempt: int, kind: str, started: float, wall: float, stream: bool) -> None:
        self.attempt, self.kind, self.started, self.wall = attempt, kind, started, wall
        self.stream = stream
        self.first_token: list[float] = []


#: Plans a runtime keeps (one per route, output contract and prompt in use).
_MAX_PLANS = 1024
#: Prepared requests a plan keeps (one per mode, stream flag, key and environment).
_MAX_TEMPLATES = 16
#: The user text of a template's request: no input's canonical JSON contains this string
#: (its NULs would be escaped), and a body that holds it anywhere else is not split.
_MARK = "\x00aiwf:user-text\x00"
_NO_USAGE = Usage()
_NO_HEADERS: Mapping[str, str] = types.MappingProxyType({})
_PY310 = sys.version_info < (3, 11)


def _template(provider: Provider, exchange: Exchange, stream: bool) -> _Template:
    """The request of ``exchange`` built with :data:`_MARK` as its user text, split where
    the mark's literal is (an exchange whose body holds it more than once is not split)."""
    marked = dataclasses.replace(exchange, turns=(("user", _MARK),))
    call = provider.build(marked, stream=stream)
    headers = {**call.headers, **exchange.route.headers}
    text = dumps(call.json)
    literal = quote(_MARK)
    if text.count(literal) != 1 or _MARK in headers.values() or _MARK in call.url:
        return _Template(call.method, call.url, headers, "", None)
    head, _, tail = text.partition(literal)
    return _Template(call.method, call.url, headers, head, tail)


def _call_id() -> str:
    """A new call id: 16 random hex digits (as ``uuid4().hex[:16]`` gave), from
    ``os.urandom`` read for 64 ids at a time (one system call, not one per call)."""
    try:
        return _IDS.popleft()  # atomic: threads never get the same id
    except IndexError:
        raw = os.urandom(8 * _IDS_AT_ONCE).hex()
        _IDS.extend([raw[i : i + 16] for i in range(16, len(raw), 16)])
        return raw[:16]


_IDS: collections.deque[str] = collections.deque()
_IDS_AT_ONCE = 64
if hasattr(os, "register_at_fork"):  # a forked child must not reuse its parent's ids
    os.register_at_fork(after_in_child=_IDS.clear)


def _before_sleep(state: _CallState, error: BaseException, delay: float) -> None:
    """A retry is about to wait ``delay`` seconds after ``error``: the next attempt is a
    retry, and the log says so."""
    state.kind = "retry"
    log(
        "INFO",
        f"retrying after {type(error).__name__} in {delay:.2f}s",
        call_id=state.call_id,
        attempt=state.attempts,
        error=str(error),
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


def _timeouts() -> tuple[type[BaseException], ...]:
    """What a transport timeout is: httpx's counts only once httpx is loaded (plain calls on
    the shared client never load it, and nothing raises its exceptions before it is)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:
        return (asyncio.TimeoutError,)
    return (asyncio.TimeoutError, httpx.TimeoutException)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a failed connection is (see :func:`_timeouts`)."""
    httpx = sys.modules.get("httpx")
    return () if httpx is None else (httpx.TransportError,)
