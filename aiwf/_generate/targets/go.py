"""The Go target: a module with a type per contract, a method per assistant and per
workflow on a ``Client``, and a copy of the standard-library-only runtime (``runtimes/go``,
package ``aiwfrt``) in ``internal/aiwfrt``.

The "package" of a Go SDK is its module path (``github.com/acme/support-ai``); the Go
package name is its last element, lower-cased, letters and digits only (``supportai``).
The templates (``copier-templates/go/generated``) see only what :meth:`GoTarget.context`
builds: a view model of names, Go types and literals (every spec string already a Go
literal); the templates hold the shape of the code.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf._generate.targets.base import Environments, RuntimeCopy
from aiwf._generate.targets.go_code import (
    GoNamespace,
    check_module,
    exported,
    go_comment,
    go_package_name,
    go_str,
    json_text,
    unexported,
)
from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from aiwf._generate.targets.go_types import GoDecl
    from aiwf._generate.targets.go_workflows import GoBinding, GoStep
    from aiwf._ir.model import Program
from aiwf._ir.names import snake_case

#: The Go version the generated go.mod names (loop variables per iteration: 1.22).
GO_VERSION = "1.22"


@dataclass
class GoRetry:
    """A retry: block as Go literals."""

    max_attempts: str
    initial_delay: str
    max_delay: str
    deadline: str
    repair_attempts: str


@dataclass
class GoRoute:
    """A route as ``aiwfrt.Route`` fields: (field, Go literal) in a fixed order for strings
    and numbers; the optional temperature, the fallbacks, the headers and the retry block
    apart."""

    fields: list[tuple[str, str]]
    temperature: str | None = None
    fallback: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    retry: GoRetry | None = None


@dataclass
class GoOutput:
    """An output contract in its three wire forms (canonical JSON text, as Go literals)."""

    var: str
    contract: str
    plain: str
    wrapped: str
    strict: str
    is_wrapped: bool


@dataclass
class GoAssistant:
    name: str  # as in the spec
    name_literal: str
    method: str
    var: str
    model: str  # Go literal of the route alias
    instructions: str
    input_contract: str
    output_var: str
    input_type: str
    output_type: str
    doc: list[str]
    retry: GoRetry | None
    temperature: str | None
    max_tokens: int | None
    sample_input: str
    sample_output: str


@dataclass
class GoWorkflow:
    name: str  # as in the spec
    name_literal: str
    method: str
    var: str
    input_contract: str
    output_contract: str
    input_type: str
    output_type: str
    doc: list[str]
    steps: list[GoStep]
    result: GoBinding
    sample_input: str
    #: (assistant name literal, sample output literal) for every assistant it calls.
    answers: list[tuple[str, str]] = field(default_factory=list)


def _float(value: Any) -> str:
    return repr(float(value))


def _retry(retry: dict[str, Any] | None) -> GoRetry | None:
    if not retry:
        return None
    return GoRetry(
        max_attempts=str(int(retry.get("max_attempts") or 3)),
        initial_delay=_float(retry.get("initial_delay") or 0.5),
        max_delay=_float(retry.get("max_delay") or 8.0),
        deadline=_float(retry.get("deadline") or 0),
        repair_attempts=str(int(retry.get("repair_attempts", 1))),
    )


def _route(fields: dict[str, Any]) -> GoRoute:
    out: list[tuple[str, str]] = []
    strings = {
        "provider": "Provider",
        "model": "Model",
        "base_url": "BaseURL",
        "api_key_env": "APIKeyEnv",
        "structured_output": "StructuredOutput",
        "api_version": "APIVersion",
    }
    for key, go in strings.items():
        if fields.get(key):
            out.append((go, go_str(str(fields[key]))))
    if fields.get("max_tokens"):
        out.append(("MaxTokens", str(int(fields["max_tokens"]))))
    for key, go in (("timeout", "Timeout"), ("first_token_timeout", "FirstTokenTimeout")):
        if fields.get(key):
            out.append((go, _float(fields[key])))
    temperature = fields.get("temperature")
    headers = sorted((fields.get("headers") or {}).items())
    return GoRoute(
        out,
        temperature=None if temperature is None else _float(temperature),
        fallback=[go_str(f) for f in fields.get("fallback") or ()],
        headers=[(go_str(k), go_str(str(v))) for k, v in headers],
        retry=_retry(fields.get("retry")),
    )


def _canonical(value: Any) -> str:
    from aiwf.runtime._canonical import dumps

    return dumps(value)


def _uses_json(decls: list[GoDecl]) -> bool:
    """Whether the contract declarations name ``encoding/json`` (``json.RawMessage``)."""
    types = [d.base for d in decls] + [d.extra for d in decls]
    types += [f.go_type for d in decls for f in d.fields]
    return any("json." in t for t in types)


class GoTarget:
    """Renders the Go SDK."""

    name = "go"
    language = "Go"
    extensions = "extensions.go"
    runtime = RuntimeCopy(
        source="go",
        dest="internal/aiwfrt",
        include=("*.go",),
        exclude=("*_test.go",),
        # render.HEADER as a Go comment (not imported: aiwf check's fast path loads targets
        # without the renderer; test_runtime_is_a_copy_of_runtimes_go keeps them equal).
        header="// Code generated by aiwf. DO NOT EDIT.\n\n",
    )

    def check_package(self, package: str) -> str | None:
        """Why ``package`` (a module path) cannot name the SDK, or None when it can."""
        return check_module(package)

    def default_package(self, program: Program) -> str:
        return snake_case(program.name).replace("_", "-") or "sdk"

    def context(
        self, program: Program, package: str, environments: Environments | None = None
    ) -> dict[str, Any]:
        """What the templates see."""
        from aiwf import __version__
        from aiwf.engine._dryrun import sample_contract
        from aiwf.runtime._structured import schema_forms

        def sample(contract: str, seed: int) -> str:
            return go_str(json_text(sample_contract(program, contract, seed=seed)))

        from aiwf._generate.targets.go_types import TypeBuilder, type_descriptor
        from aiwf._generate.targets.go_workflows import binding, steps

        builder = TypeBuilder(program)
        decls: list[GoDecl] = builder.build()
        ctype = builder.contract_type
        methods = GoNamespace({"RunWorkflow", "ValidateJSON"})
        variables = GoNamespace({"contractTypes", "schemas", "workflows", "environments"})

        outputs: dict[str, GoOutput] = {}
        for contract in sorted({a.output for a in program.assistants.values()}):
            forms = schema_forms(program.json_schema(contract))
            outputs[contract] = GoOutput(
                var=variables.claim(unexported(contract) + "Output"),
                contract=go_str(contract),
                plain=go_str(_canonical(forms.plain)),
                wrapped=go_str(_canonical(forms.wrapped)),
                strict=go_str(_canonical(forms.strict)),
                is_wrapped=forms.is_wrapped,
            )

        assistants: list[GoAssistant] = []
        var_of: dict[str, str] = {}
        for name in sorted(program.assistants):
            a = program.assistants[name]
            method = methods.claim(exported(name, "Assistant"))
            var = variables.claim(unexported(name) + "Assistant")
            var_of[name] = var
            doc = [f"// {method} calls the {snake_case(name) or 'assistant'} assistant."]
            if a.description or a.instructions:
                doc += ["//", *go_comment(a.description or a.instructions)]
            assistants.append(
                GoAssistant(
                    name=a.name,
                    name_literal=go_str(a.name),
                    method=method,
                    var=var,
                    model=go_str(a.model),
                    instructions=go_str(a.instructions),
                    input_contract=go_str(a.input),
                    output_var=outputs[a.output].var,
                    input_type=ctype[a.input],
                    output_type=ctype[a.output],
                    doc=doc,
                    retry=_retry(a.retry.to_dict()),
                    temperature=None if a.temperature is None else _float(a.temperature),
                    max_tokens=a.max_tokens,
                    sample_input=sample(a.input, 1),
                    sample_output=sample(a.output, 2),
                )
            )

        workflows: list[GoWorkflow] = []
        for name in sorted(program.workflows):
            wf = program.workflows[name]
            base = exported(name, "Workflow")
            method = methods.claim(base if base not in methods.taken else base + "Workflow")
            used = sorted({step.assistant for step in wf.steps})
            doc = [f"// {method} runs the {snake_case(name) or 'unnamed'} workflow."]
            if wf.description:
                doc += ["//", *go_comment(wf.description)]
            workflows.append(
                GoWorkflow(
                    name=wf.name,
                    name_literal=go_str(wf.name),
                    method=method,
                    var=variables.claim(unexported(name, "unnamed") + "Workflow"),
                    input_contract=go_str(wf.input),
                    output_contract=go_str(wf.output_contract),
                    input_type=ctype[wf.input],
                    output_type=ctype[wf.output_contract],
                    doc=doc,
                    steps=steps(wf, var_of),
                    result=binding(wf.output),
                    sample_input=sample(wf.input, 1),
                    answers=[(go_str(a), sample(program.assistants[a].output, 2)) for a in used],
                )
            )

        envs = [
            (
                go_str(env),
                [(go_str(alias), _route(fields)) for alias, fields in sorted(routes.items())],
            )
            for env, routes in sorted((environments or {}).items())
        ]
        return {
            "module": package,
            "package": package,
            "go_package": go_package_name(package),
            "go_version": GO_VERSION,
            "name": program.name,
            "name_literal": go_str(program.name),
            "digest_literal": go_str(program.digest()),
            "version_literal": go_str(__version__),
            "doc": go_comment(program.description or f"The {program.name} SDK, generated by aiwf."),
            "decls": decls,
            "contracts_use_json": _uses_json(decls),
            "assistants": assistants,
            "outputs": [outputs[c] for c in sorted(outputs)],
            "workflows": workflows,
            "routes": [
                (go_str(alias), _route(f.to_dict())) for alias, f in sorted(program.models.items())
            ],
            "environments": envs,
            "schemas": [
                (go_str(name), go_str(_canonical(program.json_schema(name))))
                for name in sorted(program.contracts)
            ],
            "types": [
                (go_str(name), go_str(type_descriptor(program.contracts[name].type)))
                for name in sorted(program.contracts)
            ],
        }

    def format(self, files: dict[str, str]) -> dict[str, str]:
        """Files as ``gofmt`` leaves them (Go files only)."""
        return gofmt(files)


def gofmt(files: dict[str, str]) -> dict[str, str]:
    """``files`` (relative path -> text) with every ``.go`` file formatted by gofmt."""
    from aiwf._generate.formatting import format_files

    return format_files(files, ".go", "gofmt", _gofmt_commands)


def _gofmt_commands() -> list[list[str]]:
    import shutil

    binary = shutil.which("gofmt")
    if binary is None:
        raise AiwfError(
            "gofmt is needed to format the generated Go code and was not found",
            code="G010",
            hint="install Go (https://go.dev/dl/) and put its bin directory on PATH",
        )
    return [[binary, "-w", "."]]


TARGET = GoTarget()

__all__ = ["TARGET", "GoTarget", "gofmt"]
