"""What every engine does for one step, whatever runs it: the step's plan (assistant, route,
contracts), the model request it sends, and the checks of its input and of the model's
output.

The local engine calls these in-process; the Temporal engine calls the same functions in
its workflow (plans, requests) and in its activities (the same requests and checks, next to
the call), so that a request and its checks are made by one piece of code on every engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiwf.engine.errors import INPUT_INVALID, StepError
from aiwf.errors import AiwfError
from aiwf.ir.model import Assistant, Program, RefBinding, Step, Workflow
from aiwf.ir.types import RefType
from aiwf.ir.validate import Validator
from aiwf.runtime.types import CallMetadata, ModelRequest, ModelResponse, Usage
from aiwf.spec.models import ModelRoute, RetrySpec

#: Validation problems shown in an error message.
SHOWN_ERRORS = 3


@dataclass(frozen=True)
class StepPlan:
    """What a step needs at run time, prepared once."""

    step: Step
    assistant: Assistant
    route: ModelRoute
    retry: RetrySpec | None
    output_schema: Mapping[str, Any]
    input_type: RefType
    output_type: RefType
    #: The input is a value already checked against the same contract (``${prev.output}``
    #: of a step with that output contract, or ``${input}`` of that input contract): the
    #: engine does not check it again.
    input_checked: bool = False

    def check_input(self, validator: Validator, value: Any, index: int | None) -> None:
        """Raise :class:`StepError` when ``value`` is not valid for the assistant's input."""
        problems = [] if self.input_checked else validator.errors(value, self.input_type)
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
        assistant = self.assistant
        return ModelRequest(
            route=self.route,
            instructions=assistant.instructions,
            input=value,
            output_schema=self.output_schema,
            schema_name=assistant.output,
            temperature=assistant.temperature,
            max_tokens=assistant.max_tokens,
            retry=self.retry,
            metadata=CallMetadata(
                assistant=assistant.name,
                workflow=workflow,
                step=self.step.id,
                alias=assistant.model,
                extra=extra,
            ),
        )

    def check_output(self, validator: Validator, output: Any, index: int | None) -> None:
        """Raise :class:`StepError` when the model's ``output`` is not valid for the
        assistant's output contract."""
        problems = validator.errors(output, self.output_type)
        if problems:
            raise StepError(
                self.step.id,
                index,
                f"the model's output is not valid for {self.assistant.output}: {summary(problems)}",
            )


class Planner:
    """Makes (and keeps) the :class:`StepPlan` of every step of a program's workflows."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._routes: dict[str, ModelRoute] = {}
        self._schemas: dict[str, Mapping[str, Any]] = {}
        self._plans: dict[str, dict[str, StepPlan]] = {}

    def plans(self, wf: Workflow) -> dict[str, StepPlan]:
        """The plans of the steps of ``wf``, by step id."""
        found = self._plans.get(wf.name)
        if found is not None:
            return found
        plans: dict[str, StepPlan] = {}
        for step in wf.steps:
            assistant = self.program.assistants[step.assistant]
            plans[step.id] = StepPlan(
                step=step,
                assistant=assistant,
                route=self.route(assistant.model),
                retry=RetrySpec.model_validate(assistant.retry) if assistant.retry else None,
                output_schema=self.schema(assistant.output),
                input_type=RefType(name=assistant.input),
                output_type=RefType(name=assistant.output),
                input_checked=_checked_already(wf, step, assistant.input, self.program),
            )
        self._plans[wf.name] = plans
        return plans

    def route(self, alias: str) -> ModelRoute:
        """The route of the model alias ``alias``."""
        route = self._routes.get(alias)
        if route is None:
            fields = self.program.models.get(alias)
            if fields is None:
                raise AiwfError(f"the IR has no model route {alias!r}", code="E090")
            route = self._routes[alias] = ModelRoute.model_validate(fields)
        return route

    def schema(self, contract: str) -> Mapping[str, Any]:
        """The self-contained JSON Schema of ``contract``."""
        schema = self._schemas.get(contract)
        if schema is None:
            schema = self._schemas[contract] = self.program.json_schema(contract)
        return schema


def check_run_input(validator: Validator, workflow: Workflow, value: Any) -> None:
    """Raise :class:`AiwfError` (``E502``) when ``value`` is not a valid workflow input."""
    problems = validator.errors(value, RefType(name=workflow.input))
    if problems:
        raise AiwfError(
            f"the input is not valid for workflow {workflow.name!r} "
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
    )


def _checked_already(wf: Workflow, step: Step, contract: str, program: Program) -> bool:
    """Whether ``step``'s input is, as a whole, a value the engine has already checked
    against ``contract``: the workflow input, or the output of an unscattered step."""
    binding = step.input
    if not isinstance(binding, RefBinding) or binding.path:
        return False
    if step.scatter is not None:
        return binding.root == "item" and _items_are(wf, step, contract, program)
    if binding.root == "input":
        return wf.input == contract
    if binding.root != "step" or binding.step is None:
        return False
    source = next((s for s in wf.steps if s.id == binding.step), None)
    return (
        source is not None
        and source.scatter is None
        and program.assistants[source.assistant].output == contract
    )


def _items_are(wf: Workflow, step: Step, contract: str, program: Program) -> bool:
    """Whether the items a step scatters over are, each, a value already checked against
    ``contract`` (elements of the checked workflow input, or of a checked step output)."""
    from aiwf.ir import types as t
    from aiwf.ir.typecheck import PathError, follow, resolve

    assert step.scatter is not None
    over = step.scatter.over
    base: t.Type
    if over.root == "input":
        base = RefType(name=wf.input)
    elif over.root == "step" and over.step is not None:
        source = next((s for s in wf.steps if s.id == over.step), None)
        if source is None:
            return False
        base = source.output_type
    else:
        return False
    try:
        typed = follow(base, tuple(over.path), program.contract_type, over.root)
    except PathError:
        return False
    array = resolve(typed.type, program.contract_type)
    items = array.items if isinstance(array, t.ArrayType) else None
    return isinstance(items, RefType) and items.name == contract and not items.nullable


def summary(problems: list[str]) -> str:
    """The first validation problems, and how many more there are."""
    shown = "; ".join(problems[:SHOWN_ERRORS])
    more = len(problems) - SHOWN_ERRORS
    return shown + (f" (and {more} more)" if more > 0 else "")


def kind(value: Any) -> str:
    """The JSON kind of ``value`` as messages name it."""
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object"}.get(
        type(value), type(value).__name__
    )
