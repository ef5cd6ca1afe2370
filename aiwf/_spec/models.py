"""Pydantic models of the spec format, version 1: the one definition of its structure.

The format's JSON Schema (``aiwf schema``, shipped as ``aiwf/_spec/aiwf.schema.json``) is
generated from these models; the compiler checks structure against that schema (see
:mod:`aiwf._spec.structure`), entry by entry so that one broken assistant does not hide
problems in the others. Meaning (references, types of expressions, cycles) is checked by
:mod:`aiwf._ir.compiler`. Runtime code reads routes with :class:`ModelRoute`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from aiwf._ir.providers import Provider, StructuredOutput
from aiwf._spec.names import NAME_PATTERN

#: The format versions this aiwf reads.
SUPPORTED_VERSIONS = (1,)

Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)


class RetrySpec(_Strict):
    """How a model call is retried (``retry:`` on an assistant or a model route)."""

    max_attempts: int = Field(3, ge=1, le=20, description="Attempts in all, the first included.")
    initial_delay: float = Field(
        0.5, gt=0, le=60, description="Seconds before the first retry; doubles after each."
    )
    max_delay: float = Field(8.0, gt=0, le=300, description="Upper bound of one backoff sleep.")
    deadline: float | None = Field(
        None, gt=0, le=86_400, description="Seconds for the whole call, retries included."
    )
    repair_attempts: int = Field(
        1,
        ge=0,
        le=5,
        description="Times an invalid structured output is re-asked with the validation error.",
    )


class ModelRoute(_Strict):
    """A model alias: which provider and model answer, and how they are called."""

    provider: Provider = Field(description="Wire protocol of the server.")
    model: str = Field(min_length=1, description="The provider's model id.")
    base_url: str | None = Field(
        None,
        min_length=1,
        description="API base URL; required for openai-compatible (e.g. http://127.0.0.1:11434/v1).",
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY).",
    )
    max_tokens: int | None = Field(None, ge=1, le=100_000_000, description="Output token limit.")
    temperature: float | None = Field(None, ge=0, le=2)
    timeout: float | None = Field(None, gt=0, le=86_400, description="Seconds per attempt.")
    first_token_timeout: float | None = Field(
        None, gt=0, le=86_400, description="Seconds to wait for the first streamed token."
    )
    structured_output: StructuredOutput = Field(
        "auto",
        description=(
            "How the output schema is enforced: auto picks the provider's native way "
            "(openai: json_schema; anthropic: tool; openai-compatible: json_schema)."
        ),
    )
    retry: RetrySpec | None = None
    fallback: list[Name] = Field(
        default=[],
        description="Model aliases tried in order when this route is exhausted.",
    )
    headers: dict[str, str] = Field(
        default={}, description="Extra HTTP headers sent with every request."
    )
    api_version: str | None = Field(
        None, description="Provider API version header (anthropic-version for anthropic)."
    )


#: JSON Schema of a contract field (used only for the format's own JSON Schema; the compiler
#: checks contracts itself, with positions).
SCHEMA_OR_NAME: dict[str, Any] = {
    "description": "A JSON Schema (draft 2020-12 subset), or the name of a schema in `schemas:`.",
    "anyOf": [{"type": "string", "pattern": NAME_PATTERN}, {"type": "object"}, {"type": "boolean"}],
}
TEMPLATE: dict[str, Any] = {
    "description": "One ${...} expression, or an object/array template of expressions and literals."
}


def _schema_or_name(description: str | None = None) -> Any:
    extra = dict(SCHEMA_OR_NAME)
    if description:
        extra["description"] = description
    return Field(json_schema_extra=extra)


class AssistantSpec(_Strict):
    """An assistant: a model route, instructions and input/output contracts."""

    model: Name = Field(description="A model alias from `models:`.")
    instructions: str = Field(description="The system prompt.")
    description: str | None = None
    input: Any = _schema_or_name("The input contract: a schema name or an inline JSON Schema.")
    output: Any = _schema_or_name("The output contract: a schema name or an inline JSON Schema.")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=100_000_000)
    retry: RetrySpec | None = None


class StepSpec(_Strict):
    """A workflow step: one assistant call, or one per element of ``scatter``."""

    id: Name
    assistant: Name
    input: Any = Field(json_schema_extra=TEMPLATE)
    scatter: str | None = Field(
        None,
        pattern=r"^\s*\$\{.*\}\s*$",
        description="An expression of array type; the step runs once per element (${item}, ${index}).",
    )
    concurrency: int | None = Field(
        None, ge=1, le=10000, description="Scatter calls in flight at once (default 8)."
    )
    needs: list[Name] = Field(
        default=[], description="Steps that must finish first, beyond those referenced."
    )
    on_error: Literal["fail", "skip"] = Field(
        "fail",
        description="For a scattered step: skip turns a failed item into null instead of failing the run.",
    )


class WorkflowSpec(_Strict):
    """A workflow: an input contract, a list of steps and an output template."""

    description: str | None = None
    input: Any = _schema_or_name("The workflow's input contract.")
    steps: list[StepSpec] = Field(min_length=1)
    output: Any = Field(
        json_schema_extra={
            **TEMPLATE,
            "description": "The workflow's result: " + TEMPLATE["description"],
        }
    )


class SpecFile(BaseModel):
    """One spec file. A spec is one file, or a directory of ``*.aiwf.yaml`` files whose
    sections are merged (names unique across files)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)

    aiwf: Literal[1] = Field(description="Format version.")
    name: Name | None = Field(
        None, description="The spec's name; becomes the SDK package name. Required in one file."
    )
    description: str | None = None
    models: dict[str, Any] | None = Field(None, description="Model aliases -> provider routes.")
    schemas: dict[str, Any] | None = Field(None, description="Named contracts (JSON Schemas).")
    assistants: dict[str, Any] | None = None
    workflows: dict[str, Any] | None = None

    #: Entry model of each section, for the format's JSON Schema.
    SECTIONS: ClassVar[dict[str, str]] = {
        "models": "ModelRoute",
        "schemas": "Contract",
        "assistants": "AssistantSpec",
        "workflows": "WorkflowSpec",
    }
