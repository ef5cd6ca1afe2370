"""The Go target: a module with structs and validators for the contracts, a method per
assistant and per workflow on a ``Client``, and a standard-library-only runtime in
``internal/aiwfrt``.

The "package" of a Go SDK is its module path (``github.com/acme/support-ai``); the Go
package name is its last element, lower-cased, letters and digits only (``supportai``).
The templates (``copier-templates/go/generated``) see only what :meth:`GoTarget.context`
builds: identifiers made safe and every spec string already a Go literal.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiwf.errors import AiwfError
from aiwf.generate.targets.base import Environments
from aiwf.generate.targets.go_code import (
    GoNamespace,
    check_module,
    exported,
    go_comment,
    go_package_name,
    go_str,
    json_text,
    unexported,
)
from aiwf.generate.targets.go_types import TypeBuilder
from aiwf.generate.targets.go_workflows import workflow_body
from aiwf.ir.model import Program
from aiwf.ir.names import snake_case

#: The Go version the generated go.mod names (loop variables per iteration: 1.22).
GO_VERSION = "1.22"


@dataclass
class GoAssistant:
    name: str
    name_literal: str
    method: str
    var: str
    input_type: str
    output_type: str
    doc: list[str]
    spec: list[str]
    sample_input: str
    sample_output: str


@dataclass
class GoWorkflow:
    name: str
    name_literal: str
    method: str
    input_type: str
    output_type: str
    doc: list[str]
    body: list[str]
    sample_input: str
    #: (assistant name literal, sample output literal) for every assistant it calls.
    answers: list[tuple[str, str]]


def _route(fields: dict[str, Any]) -> str:
    parts: list[str] = []
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
            parts.append(f"{go}: {go_str(str(fields[key]))}")
    if fields.get("max_tokens"):
        parts.append(f"MaxTokens: {int(fields['max_tokens'])}")
    if fields.get("temperature") is not None:
        parts.append(f"Temperature: aiwfrt.Ptr({float(fields['temperature'])!r})")
    for key, go in (("timeout", "Timeout"), ("first_token_timeout", "FirstTokenTimeout")):
        if fields.get(key):
            parts.append(f"{go}: {float(fields[key])!r}")
    if fields.get("retry"):
        parts.append(f"Retry: &{_retry(fields['retry'])}")
    if fields.get("fallback"):
        parts.append(f"Fallback: []string{{{', '.join(go_str(f) for f in fields['fallback'])}}}")
    if fields.get("headers"):
        items = ", ".join(
            f"{go_str(k)}: {go_str(str(v))}" for k, v in sorted(fields["headers"].items())
        )
        parts.append(f"Headers: map[string]string{{{items}}}")
    return "{" + ", ".join(parts) + "}"


def _retry(retry: dict[str, Any]) -> str:
    return (
        "aiwfrt.RetrySpec{"
        f"MaxAttempts: {int(retry.get('max_attempts') or 3)}, "
        f"InitialDelay: {float(retry.get('initial_delay') or 0.5)!r}, "
        f"MaxDelay: {float(retry.get('max_delay') or 8.0)!r}, "
        f"Deadline: {float(retry.get('deadline') or 0)!r}, "
        f"RepairAttempts: {int(retry.get('repair_attempts', 1))}}}"
    )


class GoTarget:
    """Renders the Go SDK."""

    name = "go"
    language = "Go"
    extensions = "extensions.go"
    runtime = None

    def check_package(self, package: str) -> str | None:
        """Why ``package`` (a module path) cannot name the SDK, or None when it can."""
        return check_module(package)

    def default_package(self, program: Program) -> str:
        return snake_case(program.name).replace("_", "-") or "sdk"

    def context(
        self, program: Program, package: str, environments: Environments | None = None
    ) -> dict[str, Any]:
        """What the templates see."""
        from aiwf.engine.dryrun import sample_contract

        def sample(contract: str, seed: int) -> str:
            return go_str(json_text(sample_contract(program, contract, seed=seed)))

        builder = TypeBuilder(program)
        decls = builder.build()
        ctype = builder.contract_type
        methods = GoNamespace({"RunWorkflow"})
        variables = GoNamespace()
        assistants: list[GoAssistant] = []
        var_of: dict[str, str] = {}
        for name in sorted(program.assistants):
            a = program.assistants[name]
            method = methods.claim(exported(name, "Assistant"))
            var = variables.claim(unexported(name) + "Assistant")
            var_of[name] = var
            spec = [
                f"Name: {go_str(a.name)},",
                f"Model: {go_str(a.model)},",
                f"Instructions: {go_str(a.instructions)},",
                f"InputContract: {go_str(a.input)},",
                f"OutputContract: {go_str(a.output)},",
                f"OutputSchema: aiwfrt.MustParse(schemas[{go_str(a.output)}]),",
                f"Retry: {_retry(a.retry)},",
            ]
            if a.temperature is not None:
                spec.append(f"Temperature: aiwfrt.Ptr({float(a.temperature)!r}),")
            if a.max_tokens is not None:
                spec.append(f"MaxTokens: {int(a.max_tokens)},")
            spec += [
                f"CheckInput: aiwfrt.Checker[{ctype[a.input]}](),",
                f"CheckOutput: aiwfrt.Checker[{ctype[a.output]}](),",
            ]
            doc = [f"// {method} calls the {snake_case(name) or 'assistant'} assistant."]
            if a.description or a.instructions:
                doc += ["//", *go_comment(a.description or a.instructions)]
            assistants.append(
                GoAssistant(
                    name=a.name,
                    name_literal=go_str(a.name),
                    method=method,
                    var=var,
                    input_type=ctype[a.input],
                    output_type=ctype[a.output],
                    doc=doc,
                    spec=spec,
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
            doc += [
                "//",
                "// Its steps run in order; a scattered step runs its items on goroutines (at most",
                "// its concurrency at a time) and keeps their outputs in input order. The trace",
                "// holds every model call, in step and item order, also when the run fails.",
            ]
            workflows.append(
                GoWorkflow(
                    name=wf.name,
                    name_literal=go_str(wf.name),
                    method=method,
                    input_type=ctype[wf.input],
                    output_type=ctype[wf.output_contract],
                    doc=doc,
                    body=workflow_body(wf, var_of, ctype[wf.output_contract]),
                    sample_input=sample(wf.input, 1),
                    answers=[(go_str(a), sample(program.assistants[a].output, 2)) for a in used],
                )
            )
        contract_lines: list[str] = []
        for decl in decls:
            contract_lines += ["", *decl.lines]
        contract_text = "\n".join(contract_lines)
        schemas = [
            (go_str(name), go_str(json_text(program.json_schema(name), sort_keys=True)))
            for name in sorted(program.contracts)
        ]
        body_text = "\n".join(line for w in workflows for line in w.body)
        return {
            "module": package,
            "package": package,
            "go_package": go_package_name(package),
            "go_version": GO_VERSION,
            "name": program.name,
            "name_literal": go_str(program.name),
            "digest_literal": go_str(program.digest()),
            "doc": go_comment(program.description or f"The {program.name} SDK, generated by aiwf."),
            "contracts": contract_text,
            "contracts_use_json": "json." in contract_text,
            "assistants": assistants,
            "workflows": workflows,
            "workflows_use_sync": "sync." in body_text,
            "routes": [
                (go_str(alias), _route(fields)) for alias, fields in sorted(program.models.items())
            ],
            "schemas": schemas,
        }

    def format(self, files: dict[str, str]) -> dict[str, str]:
        """Files as ``gofmt`` leaves them (Go files only)."""
        return gofmt(files)


def gofmt(files: dict[str, str]) -> dict[str, str]:
    """``files`` (relative path -> text) with every ``.go`` file formatted by gofmt."""
    import shutil

    gofiles = {path: text for path, text in files.items() if path.endswith(".go")}
    if not gofiles:
        return dict(files)
    binary = shutil.which("gofmt")
    if binary is None:
        raise AiwfError(
            "gofmt is needed to format the generated Go code and was not found",
            code="G010",
            hint="install Go (https://go.dev/dl/) and put its bin directory on PATH",
        )
    with tempfile.TemporaryDirectory(prefix="aiwf-gofmt-") as tmp:
        root = Path(tmp)
        for path, text in gofiles.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        proc = subprocess.run(
            [binary, "-w", "."], cwd=root, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise AiwfError(
                f"gofmt could not format the generated code: {proc.stderr.strip()}",
                code="G011",
                hint="this is a bug in aiwf's templates; please report it with the spec",
            )
        out = dict(files)
        for path in gofiles:
            out[path] = (root / path).read_bytes().decode("utf-8")
        return out


TARGET = GoTarget()

__all__ = ["TARGET", "GoTarget", "gofmt"]
