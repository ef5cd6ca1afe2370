"""The router: aliases, fallbacks, and which failures fall back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from runtime_canned import anthropic_message, openai_stream
from runtime_support import FakeClock, Reply, ScriptedServer

from aiwf._ir.routes import Retry, Route
from aiwf.runtime import AuthError, Completed, RouteError, Router, StreamReset
from aiwf.runtime._client import Runtime

SCHEMA = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def models(server: ScriptedServer) -> dict[str, Route]:
    return {
        "fast": Route(
            provider="openai",
            model="gpt-5.4-mini",
            base_url=f"{server.url}/v1",
            retry=Retry(max_attempts=2),
            fallback=["careful"],
        ),
        "careful": Route(
            provider="anthropic", model="claude-sonnet-5-5", base_url=server.url, fallback=["fast"]
        ),
    }


async def test_exhausted_route_falls_back(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    router = Router(models(server), runtime)
    server.script(
        Reply(529, {"error": {"message": "overloaded"}}),
        Reply(529, {"error": {"message": "overloaded"}}),
        Reply(body=anthropic_message(tool_input={"ok": True}, tool_name="output")),
    )
    response = await router.client("fast").complete(
        router.request("fast", input={"q": 1}, output_schema=SCHEMA)
    )
    assert response.output == {"ok": True}
    assert response.provider == "anthropic"
    assert response.alias == "careful"
    assert (response.fallbacks, response.fallback_attempts, response.attempts) == (1, 2, 1)
    assert [r.path for r in server.requests] == ["/v1/responses"] * 2 + ["/v1/messages"]
    assert clock.sleeps == [0.5]


async def test_auth_error_does_not_fall_back(server: ScriptedServer, runtime: Runtime) -> None:
    router = Router(models(server), runtime)
    server.script(Reply(401, {"error": {"message": "bad key"}}))
    with pytest.raises(AuthError):
        await router.client("fast").complete(router.request("fast", input=1))
    assert len(server.requests) == 1


async def test_every_route_exhausted_raises_the_last_error(
    server: ScriptedServer, runtime: Runtime
) -> None:
    router = Router(models(server), runtime)
    server.script(*[Reply(500, {"error": {"message": "down"}})] * 5)
    with pytest.raises(Exception, match="anthropic claude-sonnet-5-5: down"):
        await router.client("fast").complete(router.request("fast", input=1))
    assert len(server.requests) == 5  # 2 for fast, 3 for careful; the cycle back is cut


async def test_stream_fallback_emits_a_reset(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(
        Reply(503, {"error": {"message": "x"}}),
        Reply(503, {"error": {"message": "x"}}),
        Reply(sse=openai_stream([json.dumps({"ok": True})])),
    )
    # The fallback of "careful" is "fast": start from "careful" with a broken anthropic.
    server_models = models(server)
    server_models["careful"] = replace(server_models["careful"], retry=Retry(max_attempts=2))
    router = Router(server_models, runtime)
    events = [
        e
        async for e in router.client("careful").stream(
            router.request("careful", input=1, output_schema=SCHEMA)
        )
    ]
    assert isinstance(events[0], StreamReset)
    assert isinstance(events[-1], Completed)
    assert events[-1].response.provider == "openai"


def test_unknown_alias_is_a_route_error(server: ScriptedServer, runtime: Runtime) -> None:
    router = Router(models(server), runtime)
    with pytest.raises(RouteError, match='unknown model alias "nope"'):
        router.chain("nope")
    assert [name for name, _ in router.chain("careful")] == ["careful", "fast"]


def test_the_routed_copy_of_a_request_is_what_dataclasses_replace_makes() -> None:
    import dataclasses

    from aiwf.runtime._router import _replaced
    from aiwf.runtime._types import CallMetadata, ModelRequest

    for cls in (ModelRequest, CallMetadata):  # what _replaced relies on
        assert not hasattr(cls, "__post_init__"), cls
        assert all(f.init for f in dataclasses.fields(cls)), cls
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    route = Route(provider="openai", model="m")
    other = Route(provider="anthropic", model="n")
    request = ModelRequest(
        route=route, instructions="x", input={"a": 1}, metadata=CallMetadata(step="s")
    )
    made = _replaced(request, route=other, metadata=_replaced(request.metadata, alias="fast"))
    expected = dataclasses.replace(
        request, route=other, metadata=dataclasses.replace(request.metadata, alias="fast")
    )
    assert made == expected
    assert type(made) is ModelRequest
    assert request.route is route  # the original is untouched
    assert request.metadata.alias is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.route = route  # type: ignore[misc]


def test_values_made_without_init_are_the_init_ones() -> None:
    """The runtime makes its per-call values with ``made`` (no frozen ``__init__``): the
    same values, as frozen, for every class it makes that way."""
    import dataclasses

    from aiwf.runtime._providers.base import Exchange
    from aiwf.runtime._types import (
        AttemptRecord,
        ModelRequest,
        ModelResponse,
        Usage,
        made,
        maker,
    )

    route = Route(provider="openai", model="m")
    request = ModelRequest(route=route)
    cases: list[tuple[type, dict[str, Any]]] = [
        (
            ModelResponse,
            {"output": {"a": 1}, "text": "t", "usage": Usage(1, 2), "request_id": "r", "model": "m",
                 "provider": "openai", "attempts": 2, "latency": 0.5, "stop_reason": "stop", "alias": "fast",
                 "attempt_log": (), "checked": True},
        ),
        (
            Exchange,
            {"request": request, "route": route, "turns": (("user", "{}"),), "instructions": "x",
                 "mode": None, "wire": None, "api_key": None, "max_tokens": 3, "temperature": None},
        ),
        (AttemptRecord, {"alias": None, "provider": "openai", "model": "m", "outcome": "ok", "kind": "call"}),
    ]  # fmt: skip
    for cls, fields in cases:
        assert not hasattr(cls, "__post_init__"), cls
        assert all(f.init for f in dataclasses.fields(cls)), cls
        for value in (made(cls, **fields), maker(cls)(**fields)):
            assert value == cls(**fields)
            assert type(value) is cls
            assert list(vars(value).items()) == list(vars(cls(**fields)).items())  # in order
            with pytest.raises(dataclasses.FrozenInstanceError):
                value.kind = "x"
        with pytest.raises(TypeError):
            maker(cls)(**fields, unknown=1)
        required = next(f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING)
        with pytest.raises(TypeError):
            maker(cls)(**{k: v for k, v in fields.items() if k != required})


def test_usage_made_without_init_is_the_init_one() -> None:
    import dataclasses

    from aiwf.runtime._types import Usage, usage_of

    value = usage_of(11, 7)
    assert value == Usage(11, 7)
    assert type(value) is Usage
    assert hash(value) == hash(Usage(11, 7))
    assert value + usage_of(1, 2) == Usage(12, 9)
    assert vars(value) == vars(Usage(11, 7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.input_tokens = 3  # type: ignore[misc]
