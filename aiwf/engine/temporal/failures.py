"""Failures across the activity boundary, both ways.

An activity turns what went wrong into an ``ApplicationError`` whose type is the runtime's
error class (``RateLimited``, ``BadRequest`` ...) and whose retry flags carry the runtime's
retry rules: a provider's ``retry-after`` becomes the next retry delay, an error the
runtime would not retry (4xx other than 408/409/429, a refused key, output still invalid
after repair, ``x-should-retry: false``) is non-retryable, and a ``retry-after`` longer than
the runtime honours ends the retries at once. The workflow turns it back into the same
exception class, so the router's fallbacks and the trace see what a local run sees.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType

from aiwf.engine.errors import StepError, describe_cause
from aiwf.runtime import errors as runtime_errors
from aiwf.runtime.errors import ProviderError
from aiwf.runtime.retry import MAX_RETRY_AFTER
from aiwf.runtime.types import ModelResponse

#: The ``ApplicationError`` type of a failed check of the activity's own (input, output).
CHECK_FAILED = "StepCheckFailed"
#: The ``ApplicationError`` type of anything else that went wrong in an activity.
INTERNAL = "StepInternalError"
#: The runtime's error classes, by name.
_PROVIDER_ERRORS: dict[str, type[ProviderError]] = {
    cls.__name__: cls
    for cls in (
        runtime_errors.ProviderError,
        runtime_errors.AuthError,
        runtime_errors.RateLimited,
        runtime_errors.BadRequest,
        runtime_errors.ServerError,
        runtime_errors.Timeout,
        runtime_errors.OutputInvalid,
        runtime_errors.RouteError,
    )
}


class CheckFailed(StepError):
    """The activity's check of a step input or of a model output failed; ``response`` is
    the call that answered (its tokens count) when it was the output."""

    def __init__(
        self, step: str, index: int | None, text: str, response: ModelResponse | None = None
    ) -> None:
        super().__init__(step, index, text)
        self.response = response


def provider_failure(exc: ProviderError, *, attempts: int, final: bool) -> ApplicationError:
    """The ``ApplicationError`` of a failed model call; ``final`` when the spec's attempts
    are used up (the error is then non-retryable whatever it is)."""
    non_retryable = final or not exc.retryable
    delay = None
    retry_after = exc.retry_after
    if not non_retryable and retry_after is not None and retry_after > 0:
        if retry_after > MAX_RETRY_AFTER:
            non_retryable = True  # a longer ask ends the retries (the router may fall back)
        else:
            delay = timedelta(seconds=retry_after)
    return ApplicationError(
        exc.message,
        {"code": exc.code, "attempts": attempts, "hint": exc.hint},
        type=type(exc).__name__,
        non_retryable=non_retryable,
        next_retry_delay=delay,
    )


def check_failure(exc: StepError, call: dict[str, Any] | None) -> ApplicationError:
    """The ``ApplicationError`` of a failed check (never retried)."""
    return ApplicationError(exc.text, {"call": call}, type=CHECK_FAILED, non_retryable=True)


def internal_failure(exc: BaseException) -> ApplicationError:
    """The ``ApplicationError`` of an unexpected exception (never retried, as locally)."""
    return ApplicationError(describe_cause(exc), type=INTERNAL, non_retryable=True)


def from_activity_error(
    error: ActivityError, step: str, index: int | None, heartbeat_timeout: float
) -> BaseException:
    """The exception a local run would have seen for a call activity that failed."""
    from aiwf.engine.steps import response_from_record

    cause = error.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        if cause.type == CHECK_FAILED:
            call = details.get("call")
            response = response_from_record(call, None) if isinstance(call, dict) else None
            return CheckFailed(step, index, cause.message, response)
        cls = _PROVIDER_ERRORS.get(cause.type or "")
        if cls is not None:
            return _provider_error(cls, cause.message, details)
        return StepError(step, index, cause.message)
    if isinstance(cause, TimeoutError):
        if cause.type == TimeoutType.HEARTBEAT:
            what = f"its worker stopped answering (no heartbeat for {heartbeat_timeout:g}s)"
        elif cause.type == TimeoutType.SCHEDULE_TO_CLOSE:
            what = "no complete answer within the call deadline"
        else:
            what = "no complete answer within the attempt timeout"
        timeout = runtime_errors.Timeout(what, retryable=False)
        timeout.attempts = 1
        return timeout
    return StepError(step, index, describe_cause(cause or error))


def _provider_error(cls: type[ProviderError], message: str, details: dict[str, Any]) -> Exception:
    code = details.get("code")
    if cls is runtime_errors.OutputInvalid:
        exc: ProviderError = runtime_errors.OutputInvalid(message)
    else:
        exc = cls(message, code=code if isinstance(code, str) else None, retryable=False)
        hint = details.get("hint")
        if isinstance(hint, str):
            exc.hint = hint
    attempts = details.get("attempts")
    exc.attempts = attempts if isinstance(attempts, int) else 1
    return exc
