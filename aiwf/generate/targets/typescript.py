"""The TypeScript target: an ESM package with interfaces and validators for the contracts,
one async function per assistant and per workflow, and a runtime over Node's own fetch.

The templates (``copier-templates/typescript/generated``) see only what
:meth:`TypeScriptTarget.context` builds from the IR: identifiers already made safe and every
spec string already a literal. The templates emit finished code (2-space indent, double
quotes, semicolons), so :meth:`TypeScriptTarget.format` leaves the files as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiwf import __version__
from aiwf.generate.targets.base import Environments
from aiwf.generate.targets.bindings import BindingSyntax, binding_code, comment_text, ref_code
from aiwf.generate.targets.pycode import Namespace
from aiwf.generate.targets.ts_code import (
    TS_RESERVED,
    camel_identifier,
    ts_doc,
    ts_line_comment,
    ts_literal,
    ts_str,
    upper_identifier,
)
from aiwf.generate.targets.ts_types import TsDecl, TypeBuilder
from aiwf.generate.targets.ts_validators import ValidatorBuilder
from aiwf.ir.model import (
    Binding,
    Program,
    Step,
    Workflow,
)

#: npm package names: an optional ``@scope/``, lower case, URL-safe, at most 214 characters.
PACKAGE_PATTERN = re.compile(r"^(?:@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*$")
#: Route fields the runtime's ``ModelRoute`` declares (others are left out of the SDK).
ROUTE_FIELDS = (
    "provider", "model", "base_url", "api_key_env", "max_tokens", "temperature", "timeout",
    "first_token_timeout", "structured_output", "retry", "fallback", "headers", "api_version",
)  # fmt: skip
RETRY_FIELDS = ("max_attempts", "initial_delay", "max_delay", "deadline", "repair_attempts")


@dataclass
class TsContract:
    name: str
    type_name: str
    parse: str
    is_: str
    check: str
    name_literal: str
    doc: str


@dataclass
class TsAssistant:
    name: str
    name_literal: str
    func: str
    const: str
    input_type: str
    output_type: str
    input_parse: str
    output_parse: str
    doc: list[str]
    spec: list[str]
    input_contract: str
    output_contract: str
    input_literal: str
    output_literal: str


@dataclass
class TsWorkflow:
    name: str
    name_literal: str
    func: str
    input_type: str
    output_type: str
    input_contract: str
    input_literal: str
    input_parse: str
    doc: list[str]
    body: list[str]


def _retry(retry: dict[str, Any] | None) -> str:
    if retry is None:
        return "null"
    return ts_literal({k: retry.get(k) for k in RETRY_FIELDS})


class TypeScriptTarget:
    """Renders the TypeScript SDK."""

    name = "typescript"
    language = "TypeScript"
    extensions = "src/extensions.ts"
    runtime = None

    def check_package(self, package: str) -> str | None:
        """Why ``package`` cannot be the npm package name, or None when it can."""
        if len(package) > 214 or not PACKAGE_PATTERN.match(package):
            return "must be an npm package name such as support-ai or @acme/support-ai"
        return None

    def default_package(self, program: Program) -> str:
        return program.name.lower().replace("_", "-")

    def context(
        self, program: Program, package: str, environments: Environments | None = None
    ) -> dict[str, Any]:
        """What the templates see."""
        types = TypeBuilder(program)
        decls: list[TsDecl] = types.build()
        values = Namespace(TS_RESERVED)
        contracts: list[TsContract] = []
        for name in sorted(program.contracts):
            type_name = types.contract_type[name]
            contracts.append(
                TsContract(
                    name=name,
                    type_name=type_name,
                    parse=values.claim("parse" + type_name),
                    is_=values.claim("is" + type_name),
                    check=values.claim("check" + type_name),
                    name_literal=ts_str(name),
                    doc=ts_line_comment(name),
                )
            )
        by_name = {c.name: c for c in contracts}
        validators = ValidatorBuilder(program, {c.name: c.check for c in contracts}).build()
        assistants = [
            self._assistant(program, n, values, by_name) for n in sorted(program.assistants)
        ]
        const_of = {a.name: a.const for a in assistants}
        taken = set(values.taken)
        workflows = [
            self._workflow(program.workflows[n], values, taken, by_name, const_of)
            for n in sorted(program.workflows)
        ]
        schemas = {name: program.json_schema(name) for name in sorted(program.contracts)}
        routes = {
            alias: {k: route.get(k) for k in ROUTE_FIELDS if k in route}
            for alias, route in sorted(program.models.items())
        }
        for route in routes.values():
            retry = route.get("retry")
            if isinstance(retry, dict):
                route["retry"] = {k: retry.get(k) for k in RETRY_FIELDS}
        return {
            "package": package,
            "package_literal": ts_str(package),
            "name": program.name,
            "name_comment": ts_line_comment(program.name),
            "name_literal": ts_str(program.name),
            "doc": ts_doc(program.description or f"The {program.name} SDK, generated by aiwf."),
            "decls": decls,
            "contracts": contracts,
            "validators": validators,
            "assistants": assistants,
            "workflows": workflows,
            "routes": ts_literal(routes, indent=2),
            "schemas": [(ts_str(n), ts_literal(s, indent=2, level=1)) for n, s in schemas.items()],
            "digest": ts_str(program.digest()),
            "user_agent": ts_str(f"aiwf/{__version__}"),
            "samples": self._samples(program),
        }

    def format(self, files: dict[str, str]) -> dict[str, str]:
        """The templates emit finished code (no formatter at generation time); the imports
        they write generously are pruned to the names each file uses, so the SDK also
        compiles under ``noUnusedLocals`` whatever the spec holds."""
        return {
            rel: prune_imports(text) if rel.endswith(".ts") else text for rel, text in files.items()
        }

    # -- assistants ----------------------------------------------------------------------

    def _assistant(
        self, program: Program, name: str, values: Namespace, by_name: dict[str, TsContract]
    ) -> TsAssistant:
        a = program.assistants[name]
        func = values.claim(camel_identifier(name))
        const = values.claim(upper_identifier(name) + "_SPEC")
        i, o = by_name[a.input], by_name[a.output]
        spec = [
            f"export const {const}: rt.AssistantSpec = {{",
            f"  name: {ts_str(a.name)},",
            f"  model: {ts_str(a.model)},",
            f"  instructions: {ts_str(a.instructions)},",
            f"  inputContract: {i.name_literal},",
            f"  outputContract: {o.name_literal},",
            f"  checkInput: {i.check},",
            f"  checkOutput: {o.check},",
            f"  outputSchema: SCHEMAS[{o.name_literal}] as Record<string, rt.JsonValue>,",
            f"  retry: {_retry(a.retry)},",
            f"  temperature: {ts_literal(a.temperature)},",
            f"  maxTokens: {ts_literal(a.max_tokens)},",
            "  routes: MODELS,",
            "};",
        ]
        return TsAssistant(
            name=a.name,
            name_literal=ts_str(a.name),
            func=func,
            const=const,
            input_type=i.type_name,
            output_type=o.type_name,
            input_parse=i.parse,
            output_parse=o.parse,
            doc=ts_doc(a.description or a.instructions),
            spec=spec,
            input_contract=a.input,
            output_contract=a.output,
            input_literal=i.name_literal,
            output_literal=o.name_literal,
        )

    # -- workflows -----------------------------------------------------------------------

    def _workflow(
        self,
        wf: Workflow,
        values: Namespace,
        assistant_funcs: set[str],
        by_name: dict[str, TsContract],
        const_of: dict[str, str],
    ) -> TsWorkflow:
        base = camel_identifier(wf.name)
        func = values.claim(base if base not in assistant_funcs else base + "Workflow")
        names = Namespace(TS_RESERVED | {"run", "input", "data", "options", "item", "index"})
        locals_ = {step.id: names.claim(camel_identifier(step.id) + "Output") for step in wf.steps}
        steps = ", ".join(ts_str(s.id) for s in wf.steps)
        inp, out = by_name[wf.input], by_name[wf.output_contract]
        body = [
            f"const run = new rt.Run({ts_str(wf.name)}, [{steps}], options);",
            f"const input: unknown = {inp.parse}(data);",
        ]
        for step in wf.steps:
            body.append("")
            body.extend(self._step(step, locals_, const_of))
        body.append("")
        body.append("run.finish();")
        body.append(f"return {out.parse}({_expr(wf.output, locals_, top=True)});")
        return TsWorkflow(
            name=wf.name,
            name_literal=ts_str(wf.name),
            func=func,
            input_type=inp.type_name,
            output_type=out.type_name,
            input_contract=wf.input,
            input_literal=inp.name_literal,
            input_parse=inp.parse,
            doc=ts_doc(wf.description or f"Runs the {wf.name} workflow."),
            body=body,
        )

    def _step(self, step: Step, locals_: dict[str, str], const_of: dict[str, str]) -> list[str]:
        var = locals_[step.id]
        spec = f"assistants.{const_of[step.assistant]}"
        sid = ts_str(step.id)
        comment = f"// step {ts_line_comment(step.id)}: assistant {ts_line_comment(step.assistant)}"
        if step.scatter is None:
            value = _expr(step.input, locals_, top=True)
            return [
                f"{comment}, input {_comment(step.input)}",
                f"const {var} = await run.call({spec}, {value}, {sid});",
            ]
        scatter = step.scatter
        over = ref_code(scatter.over, locals_, SYNTAX)
        value = _expr(step.input, locals_, top=True)
        return [
            f"{comment}, scatter over {_comment(scatter.over)}, input {_comment(step.input)}",
            f"const {var} = await run.scatter(",
            f"  {spec},",
            f"  {sid},",
            f"  rt.items({over}, {sid}, {ts_str(scatter.over.text)}),",
            f"  {scatter.concurrency},",
            f'  "{scatter.on_error}",',
            f"  {_item_params(value)} => {value},",
            ");",
        ]

    # -- smoke-test samples --------------------------------------------------------------

    def _samples(self, program: Program) -> list[tuple[str, str, bool]]:
        """A sample value per contract (aiwf's dry-run value, as a TypeScript literal) and
        whether it is valid for the contract's schema (best effort for unusual schemas)."""
        from aiwf.engine.dryrun import make_value
        from aiwf.runtime.structured import validate

        out: list[tuple[str, str, bool]] = []
        for contract in sorted(program.contracts):
            schema = program.json_schema(contract)
            value = make_value(schema, seed=1)
            valid = validate(value, schema) is None
            out.append((ts_str(contract), ts_literal(value, indent=2, level=1), valid))
        return out


def _comment(binding: Binding) -> str:
    return ts_line_comment(comment_text(binding))


#: How TypeScript writes the engine's bindings (the SDK runtime is imported as ``rt``).
SYNTAX = BindingSyntax(
    roots={"input": "input", "item": "item", "index": "index"},
    step_output=lambda local: local,
    path_part=ts_literal,
    at=lambda base, parts: f"rt.at({base}, {parts})",
    whole=lambda code: f"rt.value({code})",
    literal=ts_literal,
    string=ts_str,
    template=lambda parts: f"rt.template({parts})",
    field=lambda key, value: f"[{key}, {value}]",
    obj=lambda fields: f"rt.obj([{fields}])",
    arr=lambda items: f"rt.arr([{items}])",
)


def _expr(binding: Binding, locals_: dict[str, str], *, top: bool = False) -> str:
    return binding_code(binding, locals_, SYNTAX, top=top)


TARGET = TypeScriptTarget()

__all__ = ["TARGET", "TypeScriptTarget"]


def _item_params(value: str) -> str:
    """The parameters of a scatter's per-item function: an unused one gets a leading ``_``
    (so ``noUnusedParameters`` accepts it)."""
    item, index = (
        name if re.search(rf"\b{name}\b", value) else "_" + name for name in ("item", "index")
    )
    return f"({item}, {index})"


_NAMED_IMPORT = re.compile(r'^import (type )?\{([^}]*)\} from ("[^"\n]*");\n', re.MULTILINE)
_NAMESPACE_IMPORT = re.compile(r'^import \* as ([\w$]+) from ("[^"\n]*");\n', re.MULTILINE)


def _used(name: str, body: str) -> bool:
    return re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", body) is not None


def prune_imports(text: str) -> str:
    """``text`` without the imported names it never uses (an import left empty goes)."""
    body = _NAMESPACE_IMPORT.sub("", _NAMED_IMPORT.sub("", text))

    def named(match: re.Match[str]) -> str:
        specs = [part.strip() for part in match.group(2).split(",") if part.strip()]
        kept = [spec for spec in specs if _used(spec.split()[-1], body)]
        if kept == specs:
            return match.group(0)
        if not kept:
            return ""
        if "\n" not in match.group(2):
            return f"import {match.group(1) or ''}{{ {', '.join(kept)} }} from {match.group(3)};\n"
        lines = "".join(f"  {spec},\n" for spec in kept)
        return f"import {match.group(1) or ''}{{\n{lines}}} from {match.group(3)};\n"

    def namespace(match: re.Match[str]) -> str:
        return match.group(0) if _used(match.group(1), body) else ""

    return _NAMESPACE_IMPORT.sub(namespace, _NAMED_IMPORT.sub(named, text))
