"""The runtime's data types: what a caller asks (:class:`ModelRequest`), what comes back
(:class:`ModelResponse`, stream events) and the :class:`ModelClient` protocol."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from aiwf._ir.routes import Retry, Route

if TYPE_CHECKING:
    from aiwf._ir.validate import Problem

#: Checks an output against its contract: the problems (docs/wire.md §6), none when valid.
OutputCheck = Callable[[Any], Sequence["Problem"]]


@dataclass(frozen=True)
class CallMetadata:
    """Who is calling, for traces and logs: never sent to the provider."""

    assistant: str | None = None
    workflow: str | None = None
    step: str | None = None
    #: The model alias the route was resolved from (set by the router).
    alias: str | None = None
    #: Free-form extra attributes copied into every span.
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRequest:
    """One logical model call.

    Values left ``None`` fall back to the route (``route.temperature`` ...), then to the
    provider's defaults. ``input`` is sent as the user message, JSON-encoded.
    """

    route: Route
    instructions: str = ""
    input: Any = None
    #: JSON Schema the output must match; ``None`` means free text (``output`` is the text).
    output_schema: Mapping[str, Any] | None = None
    #: Name of the schema on the wire (``text.format.name``, tool name ...).
    schema_name: str = "output"
    #: JSON Schema of the input: its members go on the wire in contract order (docs/wire.md
    #: §2). ``None``: untyped, every object's members sorted.
    input_schema: Mapping[str, Any] | None = None
    #: The output's contract check (the engine passes the IR's validator); ``None``: the
    #: output is checked against ``output_schema`` with jsonschema.
    check: OutputCheck | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    #: Seconds per attempt (else ``route.timeout``, else 600).
    timeout: float | None = None
    #: Seconds to the first streamed token (else ``route.first_token_timeout``).
    first_token_timeout: float | None = None
    #: Retry settings of the assistant; wins over ``route.retry``.
    retry: Retry | None = None
    metadata: CallMetadata = field(default_factory=CallMetadata)


@dataclass(frozen=True)
class Usage:
    """Token counts. On a :class:`ModelResponse` they are summed over every attempt that
    reported usage (what the call cost, repairs included)."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class AttemptRecord:
    """One HTTP attempt of a call, as traces keep it (docs/wire.md §9): the route alias,
    provider and model; the outcome (``ok``, ``invalid``, ``truncated``, ``refused``,
    ``http NNN``, ``error``, ``reset``, ``timeout``, ``malformed``); why it was made
    (``call``, ``retry``, ``repair``, ``downgrade``, ``fallback``); the tokens the server
    reported for it."""

    alias: str | None
    provider: str
    model: str
    outcome: str
    kind: str = "call"
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def outline(self) -> str:
        """``ALIAS OUTCOME``, as the conformance vectors write it."""
        return f"{self.alias or self.provider} {self.outcome}"


@dataclass(frozen=True)
class ModelResponse:
    """The outcome of a successful call."""

    #: The parsed output: a JSON value valid against the output schema, or the text.
    output: Any
    #: The raw text of the answer (for a forced tool, the tool input as JSON).
    text: str
    usage: Usage
    #: The provider's request id (``x-request-id`` / ``request-id``), else the response id.
    request_id: str | None
    #: The model that answered, as the provider reported it.
    model: str
    provider: str
    #: HTTP attempts made, retries and repairs included.
    attempts: int
    #: Seconds from the call's start to its end, sleeps included.
    latency: float
    stop_reason: str | None = None
    alias: str | None = None
    #: Routes given up before the one that answered (a router's fallbacks), and the HTTP
    #: attempts they made (not counted in ``attempts``).
    fallbacks: int = 0
    fallback_attempts: int = 0
    #: Every attempt of the call, fallbacks' included, in order.
    attempt_log: tuple[AttemptRecord, ...] = ()
    #: Whether ``output`` was checked with the request's ``check`` (the engine then does not
    #: check it again).
    checked: bool = False


@dataclass(frozen=True)
class TextDelta:
    """A piece of streamed text (for a forced tool: a piece of the tool input JSON)."""

    text: str
    attempt: int


@dataclass(frozen=True)
class StreamReset:
    """The text streamed so far is void: the runtime is retrying or repairing. Consumers
    drop what they accumulated since the previous reset."""

    attempt: int
    reason: str


@dataclass(frozen=True)
class Completed:
    """The last event of a stream: the validated response."""

    response: ModelResponse


StreamEvent = TextDelta | StreamReset | Completed


@runtime_checkable
class ModelClient(Protocol):
    """Anything that answers model requests: the runtime, the router, a scripted fake."""

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Make the call (with retries, validation and repair) and return the response."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Make the call streaming: text deltas, resets, then one :class:`Completed`."""
        ...


#: Model calls a caller expects to have in flight at once (the engine sets its
#: ``max_concurrency`` for the run); the shared HTTP client allows at least that many
#: connections (:mod:`aiwf.runtime._http`).
expected_concurrency: ContextVar[int] = ContextVar("aiwf_expected_concurrency", default=0)


_D = TypeVar("_D")


def made(cls: type[_D], **fields: Any) -> _D:
    """``cls(**fields)`` for the runtime's frozen dataclasses, without their ``__init__``
    (see :func:`maker`, whose function it calls)."""
    make: Callable[..., _D] | None = _MAKERS.get(cls)
    if make is None:
        make = maker(cls)
    return make(**fields)


def maker(cls: type[_D]) -> Callable[..., _D]:
    """A function making ``cls(**fields)`` from the fields as keyword arguments, without
    the frozen ``__init__`` (which sets each field with ``object.__setattr__``, several times
    the cost of the rest of making one; the runtime makes several per call): it stores the
    fields in the new value's ``__dict__`` in their order, a field left out taking its
    default. Written for ``cls`` once, as :mod:`dataclasses` writes ``__init__`` (a generic
    function would pack and unpack the fields as dicts, which cost as much again). ``cls``
    must be a dataclass with a ``__dict__``, no ``__post_init__`` and only ``__init__``
    fields, and one with a default factory must be given (tests/runtime/test_router.py
    checks these facts for every class it is used on)."""
    found: Callable[..., _D] | None = _MAKERS.get(cls)
    if found is not None:
        return found
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__} is not made field by field")
    # The function's own names start with _aiwf_, which no field name here does.
    if any(f.name.startswith("_aiwf_") for f in fields):
        raise TypeError(f"{cls.__name__} has a field named _aiwf_*")
    scope: dict[str, Any] = {"_aiwf_new": object.__new__, "_aiwf_cls": cls}
    params = []
    for f in fields:
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_aiwf_default_{f.name}"] = f.default
            params.append(f"{f.name}=_aiwf_default_{f.name}")
    stores = "".join(f"    _aiwf_fields[{f.name!r}] = {f.name}\n" for f in fields)
    source = (
        f"def make_{cls.__name__}(*, {', '.join(params)}):\n"
        "    _aiwf_value = _aiwf_new(_aiwf_cls)\n"
        "    _aiwf_fields = _aiwf_value.__dict__\n"
        f"{stores}"
        "    return _aiwf_value\n"
    )
    exec(source, scope)  # field names only (identifiers), as dataclasses does
    make: Callable[..., _D] = scope[f"make_{cls.__name__}"]
    make.__doc__ = f"``{cls.__name__}(**fields)`` without its ``__init__`` (:func:`maker`)."
    _MAKERS[cls] = make
    return make


def usage_of(input_tokens: int, output_tokens: int) -> Usage:
    """``Usage(input_tokens, output_tokens)`` without its frozen ``__init__`` (the same
    value, for half the CPU: every answer has one)."""
    value: Usage = object.__new__(Usage)
    fields = value.__dict__
    fields["input_tokens"] = input_tokens
    fields["output_tokens"] = output_tokens
    return value


_MAKERS: dict[type, Callable[..., Any]] = {}
