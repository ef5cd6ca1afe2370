"""What every engine does for one step, whatever runs it: the step's plan (assistant, route,
contracts), the model request it sends, and the checks of its input and of the model's
output.

The local engine calls these in-process; the Temporal engine calls the same functions in
its workflow (plans, requests) and in its activities (the same requests and checks, next to
the call), so that a request and its checks are made by one piece of code on every engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from aiwf._errors import AiwfError
from aiwf._ir.model import Assistant, Program, Step, Workflow
from aiwf._ir.routes import Retry, Route
from aiwf._ir.types import RefType
from aiwf._ir.validate import Problem, Validator, summary
from aiwf.engine._errors import INPUT_INVALID, StepError
from aiwf.runtime._types import (
    AttemptRecord,
    CallMetadata,
    ModelRequest,
    ModelResponse,
    OutputCheck,
    Usage,
    maker,
)

# Made for every call, without their frozen __init__ (aiwf.runtime._types.maker).
_make_request = maker(ModelRequest)
_make_metadata = maker(CallMetadata)


@dataclass(frozen=True)
class CallPlan:
    """What a call of an assistant needs at run time, prepared once per assistant."""

    assistant: Assistant
    route: Route
    retry: Retry | None
    output_schema: Mapping[str, Any]
    input_schema: Mapping[str, Any]
    input_type: RefType
    output_type: RefType
    #: The output's contract check, handed to the client with every request.
    check: OutputCheck

    def request(
        self, value: Any, *, workflow: str | None, step: str | None, extra: dict[str, str]
    ) -> ModelRequest:
        """The model request of one call on ``value``."""
        assistant = self.assistant
        return _make_request(
            route=self.route,
            instructions=assistant.instructions,
            input=value,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            schema_name=assistant.output,
            check=self.check,
            temperature=assistant.temperature,
            max_tokens=assistant.max_tokens,
            retry=self.retry,
            metadata=_make_metadata(
                assistant=assistant.name,
                workflow=workflow,
                step=step,
                alias=assistant.model,
                extra=extra,
            ),
        )

    def output_problems(self, response: ModelResponse) -> list[Problem]:
        """The problems of the model's output (none when the client checked it already)."""
        return [] if response.checked else list(self.check(response.output))


@dataclass(frozen=True)
class StepPlan:
    """What a step needs at run time, prepared once."""

    step: Step
    call: CallPlan

    @property
    def assistant(self) -> Assistant:
        return self.call.assistant

    def check_input(self, validator: Validator, value: Any, index: int | None) -> None:
        """Raise :class:`StepError` when ``value`` is not valid for the assistant's input.

        An input the compiler found already checked (:attr:`Step.input_checked`) is not
        checked again."""
        problems = (
            [] if self.step.input_checked else validator.problems(value, self.call.input_type)
        )
        if problems:
            raise StepError(
                self.step.id,
                index,
                f"its input is not valid for {self.assistant.input}: {summary(problems)}",
            )

    def request(self, value: Any, *, run_id: str, workflow: str, index: int | None) -> ModelRequest:
        """The model request of one call of this step (one scatter item when ``index``)."""
        extra = {"run_id": run_id}
        if index is not None:
            extra["index"] = str(index)
        return self.call.request(value, workflow=workflow, step=self.step.id, extra=extra)

    def check_output(self, response: ModelResponse, index: int | None) -> None:
        """Raise :class:`StepError` when the model's output is not valid for the
        assistant's output contract."""
        problems = self.call.output_problems(response)
        if problems:
            raise StepError(
                self.step.id,
                index,
                f"the model's output is not valid for {self.assistant.output}: {summary(problems)}",
            )


class Planner:
    """Makes (and keeps) the :class:`StepPlan` of every step of a program's workflows, and
    the :class:`CallPlan` of every assistant."""

    def __init__(self, program: Program, validator: Validator | None = None) -> None:
        self.program = program
        self.validator = validator or Validator(program.contract_type)
        self._schemas: dict[str, Mapping[str, Any]] = {}
        self._plans: dict[str, dict[str, StepPlan]] = {}
        self._calls: dict[str, CallPlan] = {}

    def plans(self, wf: Workflow) -> dict[str, StepPlan]:
        """The plans of the steps of ``wf``, by step id."""
        found = self._plans.get(wf.name)
        if found is not None:
            return found
        plans = {step.id: StepPlan(step=step, call=self.call(step.assistant)) for step in wf.steps}
        self._plans[wf.name] = plans
        return plans

    def call(self, name: str) -> CallPlan:
        """The plan of a call of the assistant ``name``."""
        found = self._calls.get(name)
        if found is None:
            assistant = self.program.assistants[name]
            output_type = RefType(name=assistant.output)
            found = self._calls[name] = CallPlan(
                assistant=assistant,
                route=self.route(assistant.model),
                retry=assistant.retry,
                output_schema=self.schema(assistant.output),
                input_schema=self.schema(assistant.input),
                input_type=RefType(name=assistant.input),
                output_type=output_type,
                check=self._check(output_type),
            )
        return found

    def _check(self, typ: RefType) -> OutputCheck:
        validator = self.validator

        def check(value: Any) -> list[Problem]:
            return validator.problems(value, typ)

        return check

    def route(self, alias: str) -> Route:
        """The route of the model alias ``alias``."""
        route = self.program.models.get(alias)
        if route is None:
            raise AiwfError(f"the IR has no model route {alias!r}", code="E090")
        return route

    def schema(self, contract: str) -> Mapping[str, Any]:
        """The self-contained JSON Schema of ``contract``."""
        schema = self._schemas.get(contract)
        if schema is None:
            schema = self._schemas[contract] = self.program.json_schema(contract)
        return schema


def check_run_input(validator: Validator, workflow: Workflow, value: Any) -> None:
    """Raise :class:`AiwfError` (``E502``) when ``value`` is not a valid workflow input."""
    problems = validator.problems(value, RefType(name=workflow.input))
    if problems:
        raise AiwfError(
            f"the input is not valid for workflow {workflow.name} "
            f"({workflow.input}): {summary(problems)}",
            code=INPUT_INVALID,
            hint="aiwf dry-run without --input prints a valid sample input",
        )


def call_record(response: ModelResponse) -> dict[str, Any]:
    """What the trace keeps of an answered call, as JSON data (without the output)."""
    return {
        "attempts": response.attempts,
        "fallbacks": response.fallbacks,
        "fallback_attempts": response.fallback_attempts,
        "input_tokens": response.usage.input_tokens,
        "output_tokens": response.usage.output_tokens,
        "request_id": response.request_id,
        "model": response.model,
        "provider": response.provider,
        "latency": response.latency,
        "alias": response.alias,
        "attempt_log": [asdict(a) for a in response.attempt_log],
    }


def response_from_record(record: Mapping[str, Any], output: Any) -> ModelResponse:
    """The :class:`ModelResponse` a :func:`call_record` was made from (its text left out)."""
    return ModelResponse(
        output=output,
        text="",
        usage=Usage(int(record.get("input_tokens", 0)), int(record.get("output_tokens", 0))),
        request_id=record.get("request_id"),
        model=str(record.get("model", "")),
        provider=str(record.get("provider", "")),
        attempts=int(record.get("attempts", 1)),
        latency=float(record.get("latency", 0.0)),
        alias=record.get("alias"),
        fallbacks=int(record.get("fallbacks", 0)),
        fallback_attempts=int(record.get("fallback_attempts", 0)),
        attempt_log=tuple(AttemptRecord(**a) for a in record.get("attempt_log") or ()),
        checked=True,
    )
