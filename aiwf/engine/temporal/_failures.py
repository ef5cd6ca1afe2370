"""Failures across the activity boundary, both ways.

An activity turns what went wrong into an ``ApplicationError`` whose type is the runtime's
error class (``RateLimited``, ``BadRequest`` ...), whose details hold the error whole (its
exact message, and the attempt log of every request the call made, over every activity
attempt) and whose retry flags carry the runtime's own decision: the delay before the next
attempt is the one the runtime would sleep (a provider's ``retry-after``, else its backoff
with jitter), and an error the runtime would not retry (4xx other than 408/409/429, a
refused key, output still invalid after repair, ``x-should-retry: false``, a
``retry-after`` longer than it honours, a retry that would end past the call's deadline, the
spec's attempts used up) is non-retryable. The workflow turns it back into the same
exception, so the router's fallbacks and the trace see what a local run sees.

Between attempts, :class:`CallProgress` travels in the activity's heartbeat details: the
requests made so far and their attempt log, so the trace lists every request of the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType

from aiwf._ir.routes import Retry, Route
from aiwf.engine._errors import StepError, describe_cause
from aiwf.runtime import _errors as runtime_errors
from aiwf.runtime._canonical import number
from aiwf.runtime._errors import ProviderError, error_from_data, error_to_data
from aiwf.runtime._types import AttemptRecord, ModelResponse

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


@dataclass(frozen=True)
class CallProgress:
    """What the attempts of a call activity so far did, as the last one heartbeated it
    (Temporal hands it to the next attempt, and to the workflow with a timeout): the
    requests they made, how many ended with a provider's error (the attempts of the spec's
    ``retry:`` used up), and their attempt log (docs/wire.md §9)."""

    requests: int = 0
    failures: int = 0
    log: tuple[AttemptRecord, ...] = ()

    @classmethod
    def of(cls, details: Sequence[Any]) -> CallProgress:
        """Read back heartbeat details (a plain number of requests: an earlier aiwf)."""
        found = details[0] if details else None
        if isinstance(found, int):
            return cls(requests=found)
        if not isinstance(found, dict):
            return cls()
        return cls(
            requests=int(found.get("requests", 0)),
            failures=int(found.get("failures", 0)),
            log=tuple(AttemptRecord(**a) for a in found.get("log") or ()),
        )

    def details(self) -> dict[str, Any]:
        """The heartbeat details of this progress."""
        return {
            "requests": self.requests,
            "failures": self.failures,
            "log": [asdict(a) for a in self.log],
        }

    def then(self, log: Sequence[AttemptRecord], *, requests: int, failed: bool) -> CallProgress:
        """This progress after one more activity attempt that made ``requests`` requests,
        logged as ``log`` by the runtime, which starts each activity attempt as a new call:
        its first request is a ``retry`` when requests were made before it."""
        mine = list(log)
        if mine and self.log and mine[0].kind == "call":
            mine[0] = replace(mine[0], kind="retry")
        return CallProgress(
            requests=self.requests + requests,
            failures=self.failures + int(failed),
            log=(*self.log, *mine),
        )


def provider_failure(exc: ProviderError, delay: float | None) -> ApplicationError:
    """The ``ApplicationError`` of a failed model call: retried by Temporal after ``delay``
    seconds (the runtime's own choice: the provider's ``retry-after``, else its backoff),
    not retried when ``delay`` is None. Its details hold the error as the runtime writes it
    down (:func:`~aiwf.runtime._errors.error_to_data`: class, exact message, the requests made
    and their attempt log, earlier attempts' included)."""
    return ApplicationError(
        exc.message,
        {"code": exc.code, "attempts": exc.attempts, "hint": exc.hint, "error": error_to_data(exc)},
        type=type(exc).__name__,
        non_retryable=delay is None,
        next_retry_delay=None if delay is None else timedelta(seconds=delay),
    )


def deadline_exceeded(
    route: Route, spec: Retry, cause: ProviderError | None = None
) -> runtime_errors.Timeout:
    """The runtime's error for a call past its ``retry.deadline`` (word for word), with the
    attempts of ``cause`` (the attempt that the deadline cut short)."""
    exc = runtime_errors.Timeout(
        f"no complete answer within the call deadline of {number(spec.deadline or 0)}s",
        provider=route.provider,
        model=route.model,
        retryable=False,
    )
    if cause is not None:
        exc.attempts, exc.attempt_log = cause.attempts, cause.attempt_log
    return exc


def is_attempt_timeout(exc: ProviderError) -> bool:
    """Whether ``exc`` is the runtime's own attempt timeout (not a 408)."""
    log = exc.attempt_log
    return (
        isinstance(exc, runtime_errors.Timeout)
        and exc.status is None
        and bool(log)
        and log[-1].outcome == "timeout"
    )


def check_failure(exc: StepError, call: dict[str, Any] | None) -> ApplicationError:
    """The ``ApplicationError`` of a failed check (never retried)."""
    return ApplicationError(exc.text, {"call": call}, type=CHECK_FAILED, non_retryable=True)


def internal_failure(exc: BaseException) -> ApplicationError:
    """The ``ApplicationError`` of an unexpected exception (never retried, as locally)."""
    return ApplicationError(describe_cause(exc), type=INTERNAL, non_retryable=True)


@dataclass(frozen=True)
class CallLimits:
    """The route of a call activity and the timeouts the workflow gave it, to name them
    when Temporal times it out."""

    route: Route
    deadline: float | None
    attempt_timeout: float
    heartbeat_timeout: float


def from_activity_error(
    error: ActivityError, step: str, index: int | None, limits: CallLimits
) -> BaseException:
    """The exception a local run would have seen for a call activity that failed."""
    from aiwf.engine._steps import response_from_record

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
        # Temporal's own timeouts: the activity ends a call at its deadline and its attempt
        # timeout itself, so these are a lost worker, or a worker that could not say so.
        if cause.type == TimeoutType.HEARTBEAT:
            what = f"its worker stopped answering (no heartbeat for {limits.heartbeat_timeout:g}s)"
        elif cause.type == TimeoutType.SCHEDULE_TO_CLOSE:
            what = f"no complete answer within the call deadline of {number(limits.deadline or 0)}s"
        else:
            what = f"no complete answer within the attempt timeout of {number(limits.attempt_timeout)}s"
        route = limits.route
        timeout = runtime_errors.Timeout(
            what, provider=route.provider, model=route.model, retryable=False
        )
        progress = CallProgress.of(cause.last_heartbeat_details)
        timeout.attempts, timeout.attempt_log = progress.requests, progress.log
        return timeout
    return StepError(step, index, describe_cause(cause or error))


def _provider_error(cls: type[ProviderError], message: str, details: dict[str, Any]) -> Exception:
    data = details.get("error")
    if isinstance(data, dict):  # the error as the activity's runtime saw it
        return error_from_data(data)
    code = details.get("code")  # a failure recorded before the error travelled whole
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
