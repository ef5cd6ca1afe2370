"""Attempt time limits and cancellation: the per-loop time limits of aiwf.runtime._limits
against asyncio's own semantics, and the runtime's first-attempt path (the attempt runs in
the call's coroutine, retries only after a retryable failure) against a real server."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import pytest
from runtime_canned import openai_response
from runtime_support import FakeClock, Reply, ScriptedServer
from test_openai_provider import GOOD, request

from aiwf._ir.routes import Retry
from aiwf.runtime import Timeout
from aiwf.runtime._client import Runtime
from aiwf.runtime._limits import _KEEPERS, _SWEEP_AFTER, TimeLimit

needs_uncancel = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the runtime uses asyncio.wait_for on Python 3.10"
)


async def limited(seconds: float, work: Any) -> Any:
    """``await work`` under a :class:`TimeLimit`, as the runtime writes it."""
    limit = TimeLimit(seconds)
    try:
        return await work
    except asyncio.CancelledError as exc:
        if limit.fired():
            raise TimeoutError from exc
        raise
    finally:
        limit.end()


@needs_uncancel
async def test_a_limit_fires_at_its_time_not_before() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await limited(0.05, asyncio.sleep(10))
    assert time.monotonic() - started >= 0.05 - 0.005
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


@needs_uncancel
@pytest.mark.parametrize("offset", [-1000.0, 1000.0])
def test_a_limit_keeps_the_loops_own_clock_when_it_was_replaced_on_the_loop(
    offset: float,
) -> None:
    # A test's virtual clock replaces ``time`` on the loop itself: the limits' deadlines
    # are in that clock, as the loop's timers are.
    loop = asyncio.new_event_loop()
    loop.time = lambda: time.monotonic() + offset  # type: ignore[method-assign]
    try:
        with pytest.raises(TimeoutError):
            loop.run_until_complete(limited(0.05, asyncio.sleep(10)))
    finally:
        loop.close()


@needs_uncancel
async def test_an_ended_limit_never_cancels_later_awaits() -> None:
    assert await limited(0.05, asyncio.sleep(0, "done")) == "done"
    await asyncio.sleep(0.1)  # past the limit: nothing is cancelled
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


@needs_uncancel
async def test_limits_of_different_lengths_each_fire_at_their_own_time() -> None:
    """A long limit set first, then shorter ones: the loop timer is re-set for the
    earliest, and each fires in its turn."""
    fired: dict[float, float] = {}
    started = time.monotonic()

    async def one(seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await limited(seconds, asyncio.sleep(10))
        fired[seconds] = time.monotonic() - started

    long = asyncio.ensure_future(limited(30, asyncio.sleep(0.3, "long")))
    await asyncio.gather(one(0.2), one(0.05), one(0.1))
    assert sorted(fired, key=fired.__getitem__) == [0.05, 0.1, 0.2]
    for seconds, at in fired.items():
        assert at >= seconds - 0.005
    assert await long == "long"


@needs_uncancel
async def test_an_outer_cancellation_wins_over_a_limit() -> None:
    async def caller() -> None:
        await limited(5, asyncio.sleep(10))

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@needs_uncancel
async def test_an_outer_cancellation_at_the_limits_time_still_wins() -> None:
    """The limit fires and the caller is cancelled before the task runs again: the
    caller's cancellation is raised, not a TimeoutError."""
    outcome: list[str] = []

    async def caller() -> None:
        try:
            await limited(0.05, asyncio.sleep(10))
        except TimeoutError:
            outcome.append("timeout")
            raise

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    loop.call_at(_KEEPERS[loop].due or 0.0, task.cancel)  # after the limit's own timer
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == []


@needs_uncancel
async def test_an_outer_asyncio_timeout_is_the_outers() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05) as outer:
            await limited(5, asyncio.sleep(10))
    assert outer.expired()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(5) as outer:
            await limited(0.05, asyncio.sleep(10))
    assert not outer.expired()


@needs_uncancel
async def test_disarmed_limits_do_not_pile_up() -> None:
    for _ in range(5_000):
        await limited(600, asyncio.sleep(0))
    keeper = _KEEPERS[asyncio.get_running_loop()]
    assert len(keeper.heap) <= 2 * _SWEEP_AFTER + 2
    armed = asyncio.ensure_future(limited(600, asyncio.sleep(0.05, "kept")))
    for _ in range(1_000):
        await limited(600, asyncio.sleep(0))
    assert await armed == "kept"  # a sweep keeps the armed limits


# -- the runtime over a real server --------------------------------------------------------


async def test_an_attempt_limit_fires_mid_body_and_the_retry_answers(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    body = openai_response(json.dumps(GOOD))
    server.script(Reply(body=body, cut=30), Reply(body=body))
    response = await runtime.complete(request(server, timeout=0.2, retry=Retry(deadline=20)))
    assert response.output == {"ticket_id": "T-1", "urgency": 3}  # strict: null dropped
    assert [r.outline for r in response.attempt_log] == ["openai timeout", "openai ok"]
    assert [r.kind for r in response.attempt_log] == ["call", "retry"]
    assert clock.sleeps == [0.5]


async def test_a_deadline_that_ends_mid_body_is_not_retried(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(body=openai_response(json.dumps(GOOD)), cut=30))
    with pytest.raises(Timeout) as info:
        await runtime.complete(request(server, retry=Retry(deadline=0.2)))
    assert "call deadline of 0.2s" in info.value.message
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_a_repair_answer_retried_after_429_keeps_the_attempt_kinds(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    """The first attempt of a repair also runs outside the retry machinery; a 429 there
    enters it with the server's Retry-After."""
    server.script(
        Reply(body=openai_response(json.dumps({"ticket_id": "T-1", "urgency": 9}))),
        Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "3"}),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    response = await runtime.complete(request(server))
    assert response.output == {"ticket_id": "T-1", "urgency": 3}  # strict: null dropped
    assert [(r.kind, r.outcome) for r in response.attempt_log] == [
        ("call", "invalid"),
        ("repair", "http 429"),
        ("retry", "ok"),
    ]
    assert response.attempts == 3
    assert clock.sleeps == [3.0]


async def test_cancelling_the_caller_cancels_the_request(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    """A caller's cancellation mid-request is raised as a cancellation (not a Timeout),
    nothing is retried, and the caller's own time limit is the caller's."""
    server.script(Reply(delay=30, body={}), Reply(delay=30, body={}))
    task = asyncio.ensure_future(runtime.complete(request(server, timeout=5)))
    for _ in range(200):
        if server.requests:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(asyncio.TimeoutError) as info:  # TimeoutError from Python 3.11 on
        await asyncio.wait_for(runtime.complete(request(server, timeout=5)), 0.2)
    assert not isinstance(info.value, Timeout)
    await asyncio.sleep(0.05)
    assert len(server.requests) == 2  # one per call: no retry after either cancellation
    assert clock.sleeps == []
    assert runtime.metrics.snapshot()["attempts"] == 0  # a cancelled attempt is no attempt
