"""Errors of the runtime: one small hierarchy under :class:`aiwf._errors.AiwfError`.

Every error carries the provider's own message and request id, is redacted (no key can leak
through an error text) and renders as one line at the CLI boundary.

=====  ==================  ==========================================================
Code   Class               Meaning
=====  ==================  ==========================================================
R001   AuthError           401/403: the key is missing, wrong or lacks permission.
R002   RateLimited         429 (after retries), or a retry-after longer than the cap.
R003   BadRequest          400/404/413/422: the request was refused as sent.
R004   ServerError         5xx / 529 overloaded (after retries), or a stream ``error``.
R005   Timeout             attempt timeout, time to first token, or the call deadline.
R006   OutputInvalid       the output is not valid JSON for the schema (after repair).
R007   ProviderError       connection failures, malformed responses, anything else.
R008   RouteError          configuration: unknown alias, missing key or base URL.
=====  ==================  ==========================================================
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf.runtime._redact import redact

if TYPE_CHECKING:
    from aiwf.runtime._types import AttemptRecord


class ProviderError(AiwfError):
    """A model call failed. The base class of every runtime failure (code R007 when used
    directly: connection failures, malformed responses).

    Attributes:
        provider: the provider name (``openai``, ``anthropic``, ``openai-compatible``).
        status: the HTTP status, when there was a response.
        request_id: the provider's request id, when it sent one.
        retryable: whether another attempt may succeed.
        retry_after: seconds the provider asked us to wait, when it said.
        model: the model id of the route that failed.
    """

    default_code = "R007"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        request_id = redact(request_id) if request_id else request_id  # echoed by the server
        prefix = f"{provider}" + (f" {model}" if model else "") if provider else ""
        details = []
        if status is not None:
            details.append(f"HTTP {status}")
        if request_id:
            details.append(f"request id {request_id}")
        text = redact(message)
        if prefix:
            text = f"{prefix}: {text}"
        if details:
            text = f"{text} ({', '.join(details)})"
        super().__init__(text, code=code or self.default_code, hint=redact(hint) if hint else None)
        self.provider_message = redact(message)
        self.provider = provider
        self.model = model
        self.status = status
        self.request_id = request_id
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        #: HTTP attempts the failed call made (set by the runtime when it gives up).
        self.attempts = 0
        #: Those attempts, in order, fallbacks' included (docs/wire.md §9).
        self.attempt_log: tuple[AttemptRecord, ...] = ()
        #: What a trace calls this failure when it is neither an HTTP status nor a timeout
        #: (``reset``, ``malformed``, ``refused``); empty: derived from the status.
        self.outcome = ""


class AuthError(ProviderError):
    """R001: the provider refused the credentials (401/403) or none were found."""

    default_code = "R001"
    default_retryable = False


class RateLimited(ProviderError):
    """R002: the provider is rate limiting us (429)."""

    default_code = "R002"


class BadRequest(ProviderError):
    """R003: the provider refused the request as sent (400/404/413/422)."""

    default_code = "R003"
    default_retryable = False


class ServerError(ProviderError):
    """R004: the provider failed (5xx, 529 overloaded, an ``error`` event mid-stream)."""

    default_code = "R004"


class Timeout(ProviderError):
    """R005: an attempt, the first token, or the whole call took too long."""

    default_code = "R005"


class OutputInvalid(ProviderError):
    """R006: the model's output is not JSON valid against the output schema.

    Attributes:
        path: JSON Pointer of the first failing value (``/items/2/urgency``), ``(root)`` for
            the whole value.
        text: the raw output text of the last attempt (truncated).
    """

    default_code = "R006"
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        path: str = "(root)",
        text: str = "",
        provider: str | None = None,
        model: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            model=model,
            request_id=request_id,
            hint="the model did not follow the output schema; see the path and text above",
        )
        self.path = path
        self.text = redact(text[:500])


class RouteError(ProviderError):
    """R008: the route cannot be called as configured (unknown alias, missing API key,
    missing base URL, unknown provider)."""

    default_code = "R008"
    default_retryable = False


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    model: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> ProviderError:
    """The error class for an HTTP error status, following the official SDKs' retry rules:
    408, 409, 429 and >= 500 are retryable; ``x-should-retry`` (``should_retry``) wins."""
    cls: type[ProviderError]
    retryable: bool
    if status in (401, 403):
        cls, retryable = AuthError, False
    elif status == 429:
        cls, retryable = RateLimited, True
    elif status == 408:
        cls, retryable = Timeout, True
    elif status == 409:
        cls, retryable = ProviderError, True
    elif status >= 500:
        cls, retryable = ServerError, True
    else:
        cls, retryable = BadRequest, False
    if should_retry is not None:
        retryable = should_retry
    hint = None
    if cls is AuthError:
        hint = "check the API key variable of this model route"
    return cls(
        message,
        provider=provider,
        model=model,
        status=status,
        request_id=request_id,
        retryable=retryable,
        retry_after=retry_after,
        hint=hint,
    )


_BY_CODE: dict[str, type[ProviderError]] = {
    cls.default_code: cls
    for cls in (AuthError, RateLimited, BadRequest, ServerError, Timeout, OutputInvalid,
                ProviderError, RouteError)
}  # fmt: skip


def error_to_data(error: ProviderError) -> dict[str, Any]:
    """A runtime error as JSON data (a replay file keeps failed exchanges this way)."""
    return {
        "code": error.code,
        "message": error.message,
        "hint": error.hint,
        "provider": error.provider,
        "model": error.model,
        "status": error.status,
        "request_id": error.request_id,
        "retryable": error.retryable,
        "attempts": error.attempts,
        "attempt_log": [asdict(a) for a in error.attempt_log],
        "outcome": error.outcome,
    }


def error_from_data(data: dict[str, Any]) -> ProviderError:
    """The error :func:`error_to_data` wrote, with its class, code and exact message."""
    from aiwf.runtime._types import AttemptRecord

    code = str(data.get("code") or "R007")
    cls = _BY_CODE.get(code, ProviderError)
    error = cls.__new__(cls)
    AiwfError.__init__(error, str(data.get("message", "")), code=code, hint=data.get("hint"))
    error.provider_message = error.message
    error.provider = data.get("provider")
    error.model = data.get("model")
    error.status = data.get("status")
    error.request_id = data.get("request_id")
    error.retryable = bool(data.get("retryable", cls.default_retryable))
    error.retry_after = None
    error.attempts = int(data.get("attempts") or 0)
    error.attempt_log = tuple(AttemptRecord(**a) for a in data.get("attempt_log") or ())
    error.outcome = str(data.get("outcome") or "")
    if isinstance(error, OutputInvalid):
        error.path, error.text = "(root)", ""
    return error
