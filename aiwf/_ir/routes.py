"""Model routes and retry settings as the IR carries them: frozen, typed, every default
filled in. The engine, the runtime, the providers and the Python SDK take these; nothing
re-parses a route at run time.

The spec's pydantic models (:class:`aiwf._spec.models.ModelRoute` and
:class:`~aiwf._spec.models.RetrySpec`) stay the definition of the *format* (its JSON Schema,
and the check of what a user writes); :func:`route_from` turns checked route data (an
environment's override, a route given to the SDK) into a :class:`Route`.

In the IR's JSON a route keeps every field, ``null`` ones included (:data:`KEEP_NONE`), as it
did when routes were plain maps: the IR's bytes, and so its digests, did not change.

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any, ClassVar

from aiwf._ir._dc import dataclass, to_data
from aiwf._ir.providers import Provider, StructuredOutput

#: A JSON number field: an integer stays an integer (``deadline: 1`` is ``1`` in the IR, read
#: back as it was written, so a program's digest survives a round trip through its JSON).
Number = int | float


@dataclass(frozen=True, kw_only=True, slots=True)
class Retry:
    """How a model call is retried (the spec's ``retry:`` of an assistant or a route)."""

    #: ``None`` fields stay in the IR's JSON (:func:`aiwf._ir._dc.to_data`).
    keep_none: ClassVar[bool] = True

    #: Attempts in all, the first included.
    max_attempts: int = 3
    #: Seconds before the first retry; doubles after each.
    initial_delay: Number = 0.5
    #: Upper bound of one backoff sleep, in seconds.
    max_delay: Number = 8.0
    #: Seconds for the whole call, retries included (None: no deadline).
    deadline: Number | None = None
    #: Times an invalid structured output is re-asked with the validation error.
    repair_attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data (``None`` kept)."""
        return to_data(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    """A model alias' route: which provider and model answer, and how they are called."""

    keep_none: ClassVar[bool] = True

    provider: Provider
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    max_tokens: int | None = None
    temperature: Number | None = None
    #: Seconds per attempt.
    timeout: Number | None = None
    #: Seconds to wait for the first streamed token.
    first_token_timeout: Number | None = None
    structured_output: StructuredOutput = "auto"
    retry: Retry | None = None
    #: Model aliases tried in order when this route is exhausted.
    fallback: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    api_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data (``None`` kept), as the IR's JSON has it."""
        return to_data(self)  # type: ignore[no-any-return]


def route_from(data: Mapping[str, Any]) -> Route:
    """A :class:`Route` of route data, checked against the format's route model first (an
    unknown field or a wrong value raises ``ValueError`` naming it)."""
    from aiwf._spec.models import ModelRoute

    checked = ModelRoute.model_validate(dict(data)).model_dump()
    return typed_route(checked)


def typed_route(data: Mapping[str, Any]) -> Route:
    """A :class:`Route` of route data that is already checked, with defaults filled in (the
    compiler's)."""
    fields = dict(data)
    retry = fields.get("retry")
    if retry is not None and not isinstance(retry, Retry):
        fields["retry"] = Retry(**retry)
    fields["fallback"] = tuple(fields.get("fallback") or ())
    fields["headers"] = dict(fields.get("headers") or {})
    return Route(**fields)
