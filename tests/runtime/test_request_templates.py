"""A call's request is its route's prepared request with the user text spliced in: the
bytes, URL and headers the runtime sends are exactly those of building the request whole
(``provider.build`` and canonical JSON), for every provider, mode, stream flag and input,
and they follow the environment the providers read."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwf._ir.routes import Retry, Route
from aiwf.runtime import ModelRequest, ProviderError
from aiwf.runtime._canonical import dumps
from aiwf.runtime._client import _MARK, Runtime
from aiwf.runtime._providers import PROVIDERS
from aiwf.runtime._providers.base import Exchange, user_text

SCHEMA = {
    "type": "object",
    "required": ["label"],
    "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
}
INPUT_SCHEMA = {"type": "object", "properties": {"b": {"type": "string"}, "a": {}}}
ONE_TRY = Retry(max_attempts=1, repair_attempts=0)

#: (provider, structured_output) pairs: every mode each provider sends differently.
ROUTES = [
    ("openai", "auto"),
    ("openai", "json_object"),
    ("openai", "prompt"),
    ("anthropic", "tool"),
    ("anthropic", "native"),
    ("anthropic", "prompt"),
    ("openai-compatible", "json_schema"),
    ("openai-compatible", "json_object"),
    ("openai-compatible", "prompt"),
]

texts = st.text(max_size=12) | st.sampled_from(["\u2028", "\ud800", "\x00", _MARK, '"\\'])
inputs = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)


def expected(
    request: ModelRequest, key: str | None, stream: bool
) -> tuple[str, dict[str, str], bytes]:
    """The request as building it whole gives it."""
    route = request.route
    provider = PROVIDERS[route.provider]()
    mode = provider.resolve_mode(route) if request.output_schema is not None else None
    wire = (
        provider.prepare_schema(mode, request.output_schema)
        if mode and request.output_schema
        else None
    )
    exchange = Exchange(
        request=request,
        route=route,
        turns=(("user", user_text(request.input, request.input_schema)),),
        instructions=request.instructions,
        mode=mode,
        wire=wire,
        api_key=key,
        max_tokens=request.max_tokens or route.max_tokens,
        temperature=request.temperature if request.temperature is not None else route.temperature,
    )
    call = provider.build(exchange, stream=stream)
    return call.url, {**call.headers, **route.headers}, dumps(call.json).encode()


class Capture:
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(401, json={"error": {"message": "no", "type": "auth"}})


async def call(runtime: Runtime, request: ModelRequest, stream: bool) -> None:
    if stream:
        async for _ in runtime.stream(request):
            pass
    else:
        await runtime.complete(request)


async def sent(
    runtime: Runtime, capture: Capture, request: ModelRequest, stream: bool
) -> httpx.Request:
    capture.seen.clear()
    with pytest.raises(ProviderError):
        await call(runtime, request, stream)
    assert len(capture.seen) == 1
    return capture.seen[0]


def check(request: httpx.Request, want: tuple[str, dict[str, str], bytes]) -> None:
    url, headers, body = want
    assert request.content == body
    assert str(request.url) == url
    for name, value in headers.items():
        assert request.headers[name] == value


def route_of(provider: str, mode: str, **fields: Any) -> Route:
    base = {"openai-compatible": "http://127.0.0.1:9/v1"}.get(provider)
    return Route(
        provider=provider,  # type: ignore[arg-type]
        model="m-1",
        base_url=fields.pop("base_url", base),
        structured_output=mode,  # type: ignore[arg-type]
        api_key_env="LOCAL_KEY" if provider == "openai-compatible" else None,
        **fields,
    )


KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai-compatible": "LOCAL_KEY",
}


@pytest.mark.parametrize(("provider", "mode"), ROUTES)
def test_spliced_requests_are_the_built_ones(provider: str, mode: str) -> None:
    import os

    capture = Capture()
    runtime = Runtime(transport=httpx.MockTransport(capture))
    routes = [
        route_of(provider, mode),
        route_of(provider, mode, temperature=0.5, max_tokens=77, headers={"X-Team": "t"}),
    ]
    instructions = ["", "Classify.", f"Odd {_MARK} instructions"]
    loop = asyncio.new_event_loop()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        value=inputs,
        route=st.sampled_from(routes),
        prompt=st.sampled_from(instructions),
        typed=st.booleans(),
        schema=st.sampled_from([SCHEMA, None]),
        stream=st.booleans(),
    )
    def one(value: Any, route: Route, prompt: str, typed: bool, schema: Any, stream: bool) -> None:
        request = ModelRequest(
            route=route,
            instructions=prompt,
            input=value,
            input_schema=INPUT_SCHEMA if typed else None,
            output_schema=schema,
            schema_name="Answer kind",
            retry=ONE_TRY,
        )
        got = loop.run_until_complete(sent(runtime, capture, request, stream))
        check(got, expected(request, os.environ[KEYS[provider]], stream))

    try:
        one()
    finally:
        loop.run_until_complete(runtime.aclose())
        loop.close()


async def test_prepared_requests_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable a provider reads when it builds a request (a base URL, an organisation,
    the key) changes the next call's request as it would have without preparation."""
    import os

    capture = Capture()
    runtime = Runtime(transport=httpx.MockTransport(capture))
    for provider, variables in (
        (
            "openai",
            {
                "OPENAI_BASE_URL": "http://127.0.0.1:8/v2",
                "OPENAI_ORG_ID": "org-1",
                "OPENAI_PROJECT_ID": "p-1",
                "OPENAI_API_KEY": "sk-other-key-000000",
            },
        ),
        (
            "anthropic",
            {
                "ANTHROPIC_BASE_URL": "http://127.0.0.1:8",
                "ANTHROPIC_API_KEY": "sk-ant-other-key-0000",
            },
        ),
    ):
        route = route_of(provider, "auto")
        request = ModelRequest(route=route, input={"a": 1}, output_schema=SCHEMA, retry=ONE_TRY)
        check(
            await sent(runtime, capture, request, False),
            expected(request, os.environ[KEYS[provider]], False),
        )
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
            got = await sent(runtime, capture, request, False)
            check(got, expected(request, os.environ[KEYS[provider]], False))
    await runtime.aclose()
