"""The public API that generated Python SDKs run on: aiwf's own engine and runtime.

A generated SDK holds its spec's compiled program (the IR, as JSON) and typed wrappers; every
workflow runs on :class:`aiwf.engine._engine.Engine` and every model call goes through
:mod:`aiwf.runtime`, so there is one Python implementation of bindings, scatter, retries,
repair and traces, the one ``aiwf run`` uses (docs/wire.md). Generated code imports only the
names in ``__all__`` here (a test keeps it so).

.. code-block:: python

    from aiwf.sdk import Client

    client = Client(PROGRAM, environments=ENVIRONMENTS,
                    routes={"fast": {"base_url": "http://127.0.0.1:8080/v1"}})
    result = await client.run_workflow("triage", {"tickets": [...]})

Route overrides and environments apply at run time, without regenerating: ``environment``
(default ``$AIWF_ENV``) picks one of the project config's ``[environments.NAME]`` that the
SDK embeds, then ``routes`` replaces the fields it names (``base_url``, ``model``,
``api_key_env``, or any other route field) of each alias.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict

from aiwf._errors import AiwfError
from aiwf._ir._dc import dataclass
from aiwf.engine._errors import RunFailed, StepFailed
from aiwf.engine._trace import RunTrace
from aiwf.runtime._errors import ProviderError
from aiwf.runtime._types import Completed, ModelClient, StreamEvent, StreamReset, TextDelta

if TYPE_CHECKING:
    import pydantic

    from aiwf._ir.model import Program
    from aiwf.engine._engine import Engine
    from aiwf.runtime._router import Router

#: The IR version the SDKs of this aiwf embed (an SDK made for another is refused clearly).
from aiwf._ir.model import IR_VERSION, READ_IR_VERSIONS, read_versions


class RouteOverride(TypedDict, total=False):
    """Route fields to replace at run time (any field of a spec's model route)."""

    base_url: str
    model: str
    api_key_env: str
    timeout: float
    first_token_timeout: float


@dataclass
class Trace:
    """What a workflow run did, filled in when passed to a run: every step, item and HTTP
    attempt (:class:`aiwf.engine._trace.RunTrace`), and the outline docs/wire.md §9 defines."""

    run: RunTrace | None = None

    def outline(self) -> list[dict[str, Any]]:
        return self.run.outline() if self.run is not None else []

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.run.steps.values()) if self.run else 0

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.run.steps.values()) if self.run else 0


@dataclass
class Client:
    """The workflows and assistants of one compiled spec.

    Args:
        program: the IR, as JSON text (what ``aiwf compile`` writes) or as its JSON data (a
            generated SDK embeds it).
        environments: the project config's environments (name -> alias -> route fields).
        routes: per alias, route fields to replace (:class:`RouteOverride`).
        environment: which of ``environments`` to apply; default ``$AIWF_ENV`` when set and
            known.
        model_client: who answers model calls (default: :class:`aiwf.runtime.Runtime`; a
            ``DryRunClient`` or a test double also fits).
        max_concurrency: model calls in flight at once across a run.
    """

    program_source: str | Mapping[str, Any]
    environments: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    routes: Mapping[str, RouteOverride] = field(default_factory=dict)
    environment: str | None = None
    model_client: ModelClient | None = None
    max_concurrency: int = 128

    @cached_property
    def program(self) -> Program:
        """The compiled spec."""
        return load_program(self.program_source)

    @cached_property
    def route_fields(self) -> dict[str, dict[str, Any]]:
        """Every model route as it is called: the spec's, the environment's, the overrides'."""
        env = self.environment
        if env is None:
            named = os.environ.get("AIWF_ENV") or None
            env = named if named in self.environments else None
        if env is not None and env not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise AiwfError(
                f"unknown environment {env!r} (this SDK knows: {known})",
                code="C005",
                hint="environments come from the project config the SDK was generated with",
            )
        fields = {alias: route.to_dict() for alias, route in self.program.models.items()}
        for alias, route in (self.environments.get(env, {}) if env else {}).items():
            fields[alias] = dict(route)
        for alias, override in self.routes.items():
            if alias not in fields:
                known = ", ".join(sorted(fields))
                raise AiwfError(
                    f"route override for unknown model alias {alias!r} (known: {known})",
                    code="R008",
                )
            fields[alias] = {**fields[alias], **dict(override)}
        return fields

    @cached_property
    def router(self) -> Router:
        from aiwf._ir.routes import route_from
        from aiwf.runtime._client import Runtime
        from aiwf.runtime._router import Router

        spec = self.program.models
        table = {}
        for alias, fields in self.route_fields.items():
            if alias in spec and fields == spec[alias].to_dict():
                table[alias] = spec[alias]  # the IR's own route: typed already
                continue
            try:
                table[alias] = route_from(fields)
            except ValueError as exc:
                raise AiwfError(f"invalid route override: {exc}", code="R008") from None
        return Router(table, self.model_client or Runtime())

    @cached_property
    def engine(self) -> Engine:
        from aiwf.engine._clients import RouterClient
        from aiwf.engine._engine import Engine

        return Engine(self.program, RouterClient(self.router), max_concurrency=self.max_concurrency)

    async def run_workflow(self, name: str, input: Any, *, trace: Trace | None = None) -> Any:
        """Run the workflow ``name`` on ``input`` (JSON data, or a pydantic model) and return
        its result as JSON data.

        Raises:
            RunFailed: a step failed (``.step``, ``.index``, ``.code``), or the result is
                invalid.
            AiwfError: the workflow does not exist, or the input is not valid (``E502``).
        """
        try:
            result = await self.engine.run(name, dump(input))
        except RunFailed as exc:
            if trace is not None:
                trace.run = exc.trace
            raise
        if trace is not None:
            trace.run = result.trace
        return result.output

    async def call_assistant(self, name: str, input: Any) -> Any:
        """Call the assistant ``name`` once (its route and fallbacks) and return its output
        as JSON data, valid for its output contract.

        Raises:
            ProviderError: the call failed (``R001``-``R008``).
            AiwfError: no such assistant, or the input is not valid (``E502``).
        """
        response = await self.engine.call_assistant(name, dump(input))
        return response.output

    async def stream_assistant(self, name: str, input: Any) -> AsyncIterator[StreamEvent]:
        """Call the assistant ``name`` streaming: text deltas as they arrive, a reset when a
        retry or repair voids them, then one ``Completed`` with the checked output. A route's
        ``first_token_timeout`` bounds each attempt's wait for its first token."""
        async for event in self.engine.stream_assistant(name, dump(input)):
            yield event


def load_program(source: str | Mapping[str, Any]) -> Program:
    """The program an SDK embeds (IR JSON text or data); a clear error when it was compiled
    for an IR version this aiwf does not read. SDKs generated by earlier releases embed an
    earlier IR version and keep working (:data:`aiwf._ir.model.READ_IR_VERSIONS`)."""
    from aiwf._ir.model import load_ir

    data: Any = source
    if isinstance(source, str):
        try:
            data = json.loads(source)
        except ValueError:
            data = None
    version = data.get("ir_version") if isinstance(data, Mapping) else None
    if type(version) is not int or version not in READ_IR_VERSIONS:
        raise AiwfError(
            f"this SDK holds IR version {version!r}; the installed aiwf reads {read_versions()}",
            code="G070",
            hint="regenerate the SDK with this aiwf (aiwf sdk), or install the aiwf release "
            "that generated it",
        )
    return load_ir(source if isinstance(source, str) else json.dumps(source))


class Contracts:
    """The contracts of a program, for the generated models' validators: the same checks and
    problems (docs/wire.md §6) as the engine's."""

    def __init__(self, program: str | Mapping[str, Any]) -> None:
        self._source = program

    @cached_property
    def _validator(self) -> Any:
        from aiwf._ir.validate import Validator

        return Validator(load_program(self._source).contract_type)

    def check(self, contract: str, value: Any) -> None:
        """Raise ``ValueError`` with the problems when ``value`` does not fit ``contract``."""
        from aiwf._ir.types import RefType
        from aiwf._ir.validate import summary

        problems = self._validator.problems(value, RefType(name=contract))
        if problems:
            raise ValueError(summary(problems))


def dump(value: Any) -> Any:
    """JSON data for ``value``: a pydantic model as it goes on the wire (by alias, unset
    optional fields left out), anything else as it is."""
    dumper = getattr(value, "model_dump", None)
    if callable(dumper):
        return dumper(mode="json", by_alias=True, exclude_unset=True)
    return value


def parse(model: type[pydantic.BaseModel], data: Any) -> Any:
    """``data`` (a run's or a call's JSON result) as the generated ``model``."""
    return model.model_validate(data)


def dry_run_client(seed: int = 0) -> ModelClient:
    """A model client that answers every call with schema-valid made-up data (no key, no
    network): what SDK smoke tests run on."""
    from aiwf.engine._dryrun import DryRunClient

    return DryRunClient(seed=seed)


def sample(program: str | Mapping[str, Any], contract: str, seed: int = 0) -> Any:
    """A made-up value valid for ``contract`` of the program (for smoke tests)."""
    from aiwf.engine._dryrun import make_value

    return make_value(load_program(program).json_schema(contract), seed=seed)


__all__ = [
    "IR_VERSION",
    "Client",
    "Completed",
    "Contracts",
    "ModelClient",
    "ProviderError",
    "RouteOverride",
    "RunFailed",
    "StepFailed",
    "StreamEvent",
    "StreamReset",
    "TextDelta",
    "Trace",
    "dry_run_client",
    "dump",
    "load_program",
    "parse",
    "sample",
]
