"""Retries: exponential backoff with jitter that respects the provider's signals.

The rules follow the official OpenAI and Anthropic SDKs, with a total deadline on top:

- retry connection errors, timeouts, 408, 409, 429, 5xx and 529; never 400/401/403/404/422;
  an ``x-should-retry: true|false`` response header overrides the status rule;
- sleep ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date) when the provider
  sends a positive value of at most :data:`MAX_RETRY_AFTER` seconds; a longer ask ends the
  retries at once (a router can then fall back instead of stalling);
- otherwise sleep ``min(initial_delay * 2**n, max_delay)`` minus up to 25 % jitter;
- stop after ``max_attempts`` attempts, or when the next sleep would end past the deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aiwf._ir.routes import Retry
from aiwf.runtime._clock import Clock
from aiwf.runtime._errors import ProviderError

if TYPE_CHECKING:
    from tenacity import RetryCallState

T = TypeVar("T")

#: The longest provider-requested wait (seconds) that is honoured; longer asks stop retrying.
MAX_RETRY_AFTER = 60.0
#: Fraction of the backoff removed at random, at most (the SDKs' 25 %).
JITTER = 0.25
#: Retry settings when neither the assistant nor the route sets any.
DEFAULT_RETRY = Retry()


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the provider asks us to wait: ``retry-after-ms``, then ``retry-after`` as
    seconds or as an HTTP date. ``None`` when absent or unparseable."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    import email.utils  # only an HTTP date needs it

    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    wall = time.time() if now is None else now
    return float(email.utils.mktime_tz(parsed)) - wall


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """The ``x-should-retry`` header as a bool, ``None`` when absent or not true/false."""
    for name, value in headers.items():
        if name.lower() == "x-should-retry":
            if value.strip().lower() == "true":
                return True
            if value.strip().lower() == "false":
                return False
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """A :class:`~aiwf._ir.routes.Retry` made executable with a clock and a random
    source (both injectable for tests)."""

    spec: Retry
    clock: Clock
    random: Callable[[], float] = random.random
    max_retry_after: float = MAX_RETRY_AFTER

    def backoff(self, retry_number: int) -> float:
        """The sleep before retry ``retry_number`` (0 for the first retry), jitter included."""
        base = min(self.spec.initial_delay * 2.0 ** min(retry_number, 1000), self.spec.max_delay)
        return base * (1.0 - JITTER * self.random())

    def delay_for(self, error: BaseException, retry_number: int) -> float | None:
        """The sleep before the next attempt after ``error``; ``None`` means do not retry."""
        if not is_retryable(error):
            return None
        retry_after = error.retry_after if isinstance(error, ProviderError) else None
        if retry_after is not None and retry_after > 0:
            if retry_after > self.max_retry_after:
                return None
            return retry_after
        return self.backoff(retry_number)


def is_retryable(error: BaseException) -> bool:
    """Whether another attempt may succeed after ``error``."""
    return isinstance(error, ProviderError) and error.retryable


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    deadline_at: float | None,
    before_sleep: Callable[[BaseException, float], None] | None = None,
    first: BaseException | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or the policy gives up; re-raise the last error.

    ``deadline_at`` is a :meth:`Clock.now` value after which no sleep may end. ``first``:
    the retryable failure of a first attempt the caller already made (it then counts as
    this call's first attempt).

    The first attempt runs on its own: most calls succeed at once, and tenacity's setup
    costs more CPU than the rest of a call's bookkeeping. Only a retryable failure enters
    tenacity, which is handed that failure as its first attempt's outcome (the same waits,
    stops and announcements as if it had run the attempt itself).
    """
    failures: list[BaseException] = []
    if first is not None:
        failures.append(first)
    else:
        try:
            return await attempt()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            failures.append(exc)
    # Imported here, by the first failure: a run whose calls all succeed never loads it.
    from tenacity import AsyncRetrying, retry_if_exception

    planned: dict[int, float | None] = {}

    # tenacity runs wait before stop: wait plans the delay (it needs the error's
    # retry-after), stop reads the plan and checks attempts and the deadline.
    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        delay = policy.delay_for(error, state.attempt_number - 1) if error else None
        planned[state.attempt_number] = delay
        return delay if delay is not None else 0.0

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.spec.max_attempts:
            return True
        delay = planned.get(state.attempt_number)
        if delay is None:
            return True
        return deadline_at is not None and policy.clock.now() + delay >= deadline_at

    async def announce(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if before_sleep is not None and error is not None:
            before_sleep(error, state.upcoming_sleep)

    retrying = AsyncRetrying(
        sleep=policy.clock.sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(is_retryable),
        before_sleep=announce,
        reraise=True,
    )

    async def run() -> T:
        # tenacity awaits only what it recognises as a coroutine function.
        if failures:
            raise failures.pop()
        return await attempt()

    return await retrying(run)
