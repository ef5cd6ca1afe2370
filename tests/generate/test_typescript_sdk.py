"""The TypeScript SDK: every preset installs (npm ci), type-checks under strict, builds and
passes its own node tests; the runtime's request bytes and headers are the Python runtime's;
validators report the problems of docs/wire.md §6; goldens, determinism, drift checks, and
hostile strings carried exactly. node and npm are required: these tests fail without them.
The runtime's own tests run in place (tests/runtimes), the conformance vectors through
tests/conformance/runner_typescript.py."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sdkgen_support import (
    BUILT_SPECS,
    PRESETS,
    ROOT,
    SPECS,
    commit_all,
    compile_path,
    git,
    read_tree,
    readme_example,
    run_cli,
)
from tssdk_support import (
    SCAFFOLD,
    TS_GOLDEN,
    fill_npm_cache,
    node_eval,
    node_test,
    npm_ci,
    ts_files,
    tsc,
    write_sdk,
)

from aiwf._generate.render import HEADER
from aiwf._generate.targets import get_target
from aiwf._generate.templates import locate
from aiwf._ir.validate import Validator

HOSTILE = SPECS / "hostile.aiwf.yaml"
TRIAGE = next(p for p in PRESETS if p.name == "ticket-triage.aiwf.yaml")
RUNTIME_SRC = ROOT / "runtimes" / "typescript" / "src"
RUNTIME_DEST = "src/runtime"


@pytest.fixture(scope="session")
def npm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One npm cache for the session, filled once from the registry by the scaffold's own
    lock file; every SDK then installs from it with ``npm ci --offline``."""
    return fill_npm_cache(tmp_path_factory.mktemp("npm-cache"), tmp_path_factory.mktemp("npm-warm"))


@pytest.fixture(scope="session")
def shared_modules(npm_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed node_modules for SDKs written without copier (hostile, conformance)."""
    base = tmp_path_factory.mktemp("ts-modules")
    write_sdk({}, base, "modules")
    lock = (SCAFFOLD / "package-lock.json.jinja").read_text(encoding="utf-8")
    (base / "package-lock.json").write_text(lock.replace("{{ package }}", "modules"), "utf-8")
    npm_ci(base, npm_cache, offline=True)
    return base / "node_modules"


@pytest.fixture(scope="session", params=[p.name for p in BUILT_SPECS])
def ts_preset_sdk(
    request: pytest.FixtureRequest,
    npm_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The TypeScript SDK of one preset, made by `aiwf sdk` (scaffold through copier),
    installed with npm ci from the committed lock file and built."""
    spec = next(p for p in BUILT_SPECS if p.name == request.param)
    project = tmp_path_factory.mktemp("ts-project")
    git(project, "init", "-q", "-b", "main")
    result = run_cli(
        ["sdk", str(spec), "--lang", "typescript", "--out", "sdk", "--package", "@acme/preset-sdk"],
        project,
    )
    assert result.exit_code == 0, result.output
    sdk = project / "sdk"
    npm_ci(sdk, npm_cache, offline=True)
    return sdk


def built(files: dict[str, str], sdk: Path, modules: Path, package: str = "pkg") -> Path:
    write_sdk(files, sdk, package)
    (sdk / "node_modules").symlink_to(modules, target_is_directory=True)
    proc = tsc(sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return sdk


# -- every preset: install, strict type check, build, its own tests --------------------------


def test_preset_sdk_typechecks_builds_and_passes_its_tests(ts_preset_sdk: Path) -> None:
    sdk = ts_preset_sdk
    package = json.loads((sdk / "package.json").read_text(encoding="utf-8"))
    assert package["name"] == "@acme/preset-sdk"
    assert package["type"] == "module"
    assert not package.get("dependencies"), "the SDK must have no runtime dependencies"
    assert json.loads((sdk / "tsconfig.json").read_text())["compilerOptions"]["strict"] is True
    check = tsc(sdk, "--noEmit")
    assert check.returncode == 0, check.stdout + check.stderr
    # a consumer's stricter settings: the generated imports are exactly what each file uses
    unused = tsc(sdk, "--noEmit", "--noUnusedLocals", "--noUnusedParameters")
    assert unused.returncode == 0, unused.stdout + unused.stderr
    build = tsc(sdk)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (sdk / "dist" / "src" / "index.js").is_file()
    assert (sdk / "dist" / "src" / "index.d.ts").is_file()
    proc = node_test(sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout
    passed = int(proc.stdout.split("# pass ")[1].split()[0])
    smoke = (sdk / "test" / "aiwf-smoke.test.ts").read_text(encoding="utf-8")
    assert passed == smoke.count("\ntest("), proc.stdout
    assert not (sdk / "test" / "runtime.test.ts").exists()  # the runtime's tests stay in runtimes/


@pytest.mark.parametrize("ts_preset_sdk", ["contracts-only.aiwf.yaml"], indirect=True)
def test_readme_example_typechecks_for_a_spec_without_workflows(ts_preset_sdk: Path) -> None:
    """The README's example names nothing a spec may lack: it type-checks (strict) in a
    consumer's package that depends on the built SDK, for a spec with no workflow."""
    sdk = ts_preset_sdk
    build = tsc(sdk)
    assert build.returncode == 0, build.stdout + build.stderr
    consumer = sdk.parent / "consumer"
    modules = consumer / "node_modules"
    (modules / "@acme").mkdir(parents=True, exist_ok=True)
    for link, target in (
        (modules / "@acme" / "preset-sdk", sdk),
        (modules / "typescript", sdk / "node_modules" / "typescript"),
        (modules / "@types", sdk / "node_modules" / "@types"),
    ):
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
    (consumer / "package.json").write_text('{"name": "consumer", "type": "module"}', "utf-8")
    shutil.copy2(sdk / "tsconfig.json", consumer / "tsconfig.json")
    example = readme_example(sdk, "ts").splitlines()
    imports = [line for line in example if line.startswith("import ")]
    body = [line for line in example if not line.startswith("import ")]
    (consumer / "src").mkdir(exist_ok=True)
    (consumer / "src" / "example.ts").write_text(
        "\n".join([*imports, "export async function example(): Promise<void> {", *body, "}"]),
        encoding="utf-8",
    )
    check = tsc(consumer, "--noEmit")
    assert check.returncode == 0, check.stdout + check.stderr


def test_generated_files_carry_the_header(ts_preset_sdk: Path) -> None:
    sdk = ts_preset_sdk
    manifest = json.loads((sdk / ".aiwf" / "manifest.json").read_text(encoding="utf-8"))
    generated = [rel for rel in manifest["files"] if rel.endswith(".ts")]
    assert "src/contracts.ts" in generated
    assert "src/runtime/client.ts" in generated
    for rel in generated:
        assert (sdk / rel).read_text(encoding="utf-8").startswith(f"// {HEADER}\n"), rel
    for scaffold in ("src/extensions.ts", "package.json", "tsconfig.json", "README.md"):
        assert scaffold not in manifest["files"]
        assert not (sdk / scaffold).read_text(encoding="utf-8").startswith(f"// {HEADER}")


def test_package_names_follow_npm_rules() -> None:
    target = get_target("typescript")
    for good in ("@acme/support-ai", "support-ai", "ticket_triage", "a.b"):
        assert target.check_package(good) is None, good
    for bad in ("Support", "@acme", "-x/", "a b", "@/x", ""):
        assert target.check_package(bad) is not None, bad


# -- validators ---------------------------------------------------------------------------------


def test_validators_report_the_problems_of_the_wire_rules(
    tmp_path: Path, shared_modules: Path
) -> None:
    program = compile_path(TRIAGE)
    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    triaged = [{"ticket_id": f"T-{i}", "category": "bug", "urgency": 3} for i in range(3)]
    triaged[2]["urgency"] = 9
    cases = {
        "maximum": {"digest": {"headline": "h", "urgent_count": 0}, "triaged": triaged},
        "enum": {"id": "1", "subject": "s", "body": "b", "customer_tier": "gold"},
        "required": {"id": "1", "subject": "s"},
        "type": {"id": 1, "subject": "s", "body": "b"},
    }
    cases["many"] = {"id": 1, "subject": 2, "body": 3, "customer_tier": 4}
    script = (
        "import * as sdk from './dist/src/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const cases = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const out = {};\n"
        "for (const [name, value] of Object.entries(cases)) {\n"
        "  const parse = name === 'maximum' ? sdk.parseTriageOutput : sdk.parseTicket;\n"
        "  try { parse(value); out[name] = null; }\n"
        "  catch (e) { out[name] = [e.name, e.message, e.path, e.problems]; }\n"
        "}\n"
        "console.log(JSON.stringify(out));\n"
    )
    got = node_eval(sdk, script, cases)
    assert got["maximum"] == [
        "ValidationError",
        "/triaged/2/urgency: maximum: expected at most 5, got 9",
        "/triaged/2/urgency",
        ["/triaged/2/urgency: maximum: expected at most 5, got 9"],
    ]
    assert got["enum"][1] == (
        '/customer_tier: enum: expected one of ["free","pro","enterprise"], got "gold"'
    )
    assert got["required"][1] == '(root): required: expected property "body", got nothing'
    assert got["type"][1] == "/id: type: expected string, got integer"
    assert got["many"][1].endswith(" (and 1 more)")
    # the same problems, in the same order, as the IR's own validator
    validator = Validator(program.contract_type)
    for name, value in cases.items():
        contract = "TriageOutput" if name == "maximum" else "Ticket"
        want = [p.render() for p in validator.problems(value, program.contract_type(contract))]
        assert got[name][3] == want, name


# -- the runtime's wire format is the Python runtime's ------------------------------------------


WIRE_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"$ref": "#/$defs/Item"},
    "$defs": {
        "Item": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "tag": {"enum": ["a", "b"]}},
        }
    },
}
WIRE_ROUTES: list[dict[str, Any]] = [
    {"provider": "openai", "model": "gpt-5.4-mini", "base_url": "http://h/v1", "temperature": 0.3},
    {"provider": "openai", "model": "gpt-5.4", "base_url": "http://h/v1", "structured_output": "prompt"},
    {"provider": "anthropic", "model": "claude-sonnet-5-5", "base_url": "http://h", "max_tokens": 99},
    {"provider": "anthropic", "model": "claude-opus-5-5", "base_url": "http://h", "structured_output": "native",
     "api_version": "2023-06-01", "temperature": 0.7},
    {"provider": "openai-compatible", "model": "llama3.1", "base_url": "http://h/v1/", "max_tokens": 5},
    {"provider": "openai-compatible", "model": "qwen", "base_url": "http://h/v1", "structured_output": "json_object"},
]  # fmt: skip


def python_wire(route_data: dict[str, Any], stream: bool, value: Any) -> dict[str, Any]:
    from aiwf._ir.routes import route_from
    from aiwf.runtime._canonical import dumps
    from aiwf.runtime._providers import PROVIDERS
    from aiwf.runtime._providers.base import Exchange, user_text
    from aiwf.runtime._types import ModelRequest

    route = route_from(route_data)
    provider = PROVIDERS[route.provider]()
    mode = provider.resolve_mode(route)
    request = ModelRequest(
        route=route,
        instructions="Do it.",
        input=value,
        input_schema=INPUT_SCHEMA,
        output_schema=WIRE_SCHEMA,
        schema_name="Items out",
    )
    exchange = Exchange(
        request=request, route=route, turns=(("user", user_text(value, INPUT_SCHEMA)),),
        instructions="Do it.", mode=mode, wire=provider.prepare_schema(mode, WIRE_SCHEMA),
        api_key="sk-1", max_tokens=route.max_tokens, temperature=route.temperature,
    )  # fmt: skip
    call = provider.build(exchange, stream=stream)
    return {"url": call.url, "headers": call.headers, "body": dumps(call.json)}


INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "n": {"type": "array"}, "nested": {}},
}


def test_request_bodies_and_headers_match_the_python_runtime(
    tmp_path: Path, shared_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwf import __version__
    from aiwf.runtime._canonical import dumps
    from aiwf.runtime._structured import schema_forms

    for var in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    value = {
        "nested": {"k": {}, "a": 1},
        "n": [1, 2.5, 1e-07, None, True],
        "text": "Grüße 😀 \u2028",
    }
    forms = schema_forms(WIRE_SCHEMA)
    texts = {
        "plain": dumps(forms.plain), "wrapped": dumps(forms.wrapped), "strict": dumps(forms.strict),
        "isWrapped": forms.is_wrapped,
    }  # fmt: skip
    cases = [(route, stream) for route in WIRE_ROUTES for stream in (False, True)]
    script = (
        "import * as rt from './dist/src/runtime/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const { cases, forms, value, input, ua } = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const schema = rt.parse(input);\n"
        "const out = cases.map(([route, stream]) => {\n"
        "  const p = rt.PROVIDERS[route.provider]();\n"
        "  const mode = p.resolveMode(route);\n"
        "  const outputForms = new rt.SchemaForms(forms);\n"
        "  const request = { route, instructions: 'Do it.', input: value, outputForms, schemaName: 'Items out' };\n"
        "  const ex = { request, route, turns: [['user', rt.dumps(rt.inContractOrder(value, schema))]],\n"
        "    instructions: 'Do it.', mode, wire: p.prepareSchema(mode, outputForms), forms: outputForms,\n"
        "    apiKey: 'sk-1', maxTokens: route.max_tokens ?? null, temperature: route.temperature ?? null };\n"
        "  const call = p.build(ex, stream, {}, ua);\n"
        "  return { url: call.url, headers: call.headers, body: rt.dumps(call.body) };\n"
        "});\n"
        "console.log(JSON.stringify(out));\n"
    )
    ua = f"aiwf/{__version__} (typescript)"
    data = {"cases": cases, "forms": texts, "value": value, "input": dumps(INPUT_SCHEMA), "ua": ua}
    got = node_eval(sdk, script, data)
    for (route, stream), ts in zip(cases, got, strict=True):
        want = python_wire(route, stream, value)
        assert ts["headers"].pop("User-Agent") == ua
        assert want["headers"].pop("User-Agent") == f"aiwf/{__version__} (python)"
        assert ts == want, (route, stream)


def test_template_json_and_fingerprints_match_python(tmp_path: Path, shared_modules: Path) -> None:
    from aiwf._ir.routes import Route
    from aiwf.engine._bindings import interpolate
    from aiwf.engine._replay import fingerprint
    from aiwf.runtime._canonical import dumps
    from aiwf.runtime._types import ModelRequest

    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    values = [{"b": [1, 2.5, 0.1, 1e-05, 123456.789], "a": 'é\u2028"\\/\t'}, "x", 7, None, [True]]
    schema = {"type": "object", "title": "ü", "properties": {"z": {}, "a": {}}}
    script = (
        "import * as rt from './dist/src/runtime/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const { values, schema } = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const outputForms = new rt.SchemaForms({ plain: schema, wrapped: schema, strict: schema, isWrapped: false });\n"
        "console.log(JSON.stringify(values.map((v) => [rt.interpolate(v),\n"
        "  rt.fingerprint({ route: { provider: 'openai', model: 'm' }, instructions: 'I', input: v,\n"
        "    outputForms, schemaName: 'S' })])));\n"
    )
    got = node_eval(sdk, script, {"values": values, "schema": dumps(schema)})
    route = Route(provider="openai", model="m")
    want = [
        [
            interpolate(v),
            fingerprint(
                ModelRequest(
                    route=route, instructions="I", input=v, output_schema=schema, schema_name="S"
                )
            ),
        ]
        for v in values
    ]
    assert got == want


# -- hostile strings ------------------------------------------------------------------------------


def test_hostile_spec_typechecks_and_carries_its_strings(
    tmp_path: Path, shared_modules: Path
) -> None:
    program = compile_path(HOSTILE)
    sdk = built(ts_files(HOSTILE, "hostile", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    proc = node_test(sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = (
        "import * as sdk from './dist/src/index.js';\n"
        "console.log(JSON.stringify({\n"
        "  instructions: sdk.IMPORT_SPEC.instructions, name: sdk.SPEC_NAME,\n"
        "  schema: sdk.SCHEMAS['class'], model: sdk.MODELS.m.model,\n"
        "  assistants: Object.keys(sdk.ASSISTANTS), workflows: Object.keys(sdk.WORKFLOWS),\n"
        "}));\n"
    )
    got = node_eval(sdk, script)
    assert got["instructions"] == program.assistants["import"].instructions
    assert "\u2028" in got["instructions"]
    assert "😀" in got["instructions"]
    assert got["name"] == "hostile"
    assert got["schema"] == program.json_schema("class")
    assert got["model"] == 'gpt-"quoted"'
    assert sorted(got["assistants"]) == ["import", "list"]
    assert got["workflows"] == ["async"]
    contracts = (sdk / "src" / "contracts.ts").read_text(encoding="utf-8")
    assert '"emoji 😀"?:' in contracts
    assert '"\\"quoted\\\\key\\""?:' in contracts
    assert "export interface Class {" in contracts
    assert "export interface None {" in contracts
    assert "export async function async_(" in (sdk / "src" / "workflows.ts").read_text()
    assert "export async function import_(" in (sdk / "src" / "assistants.ts").read_text()


# -- goldens, determinism, drift ----------------------------------------------------------------


@pytest.mark.parametrize("spec", PRESETS, ids=[p.name for p in PRESETS])
def test_golden_snapshot(spec: Path, tmp_path: Path) -> None:
    """Refresh with: AIWF_UPDATE_GOLDEN=1 pytest tests/generate -k golden"""
    stem = spec.name.split(".")[0]
    rendered = ts_files(spec, f"@acme/{stem}", locate(), tmp_path)
    # the runtime's copies are runtimes/typescript itself (test_runtime_is_copied_byte_for_byte)
    files = {
        f"{rel}.golden": text
        for rel, text in rendered.items()
        if not rel.startswith(f"{RUNTIME_DEST}/")
    }
    golden = TS_GOLDEN / stem
    if os.environ.get("AIWF_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in files.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
    assert golden.is_dir(), f"no golden for {stem}: run AIWF_UPDATE_GOLDEN=1 pytest tests/generate"
    assert read_tree(golden) == files


def test_runtime_is_copied_byte_for_byte(tmp_path: Path) -> None:
    """Every file of runtimes/typescript/src, and nothing else of it, is in the SDK behind the
    generated-code header; the source tree has no header of its own."""
    rendered = ts_files(TRIAGE, "pkg", locate(), tmp_path)
    copies = {rel: text for rel, text in rendered.items() if rel.startswith(f"{RUNTIME_DEST}/")}
    sources = sorted((RUNTIME_SRC).glob("*.ts"))
    assert sorted(copies) == [f"{RUNTIME_DEST}/{p.name}" for p in sources]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert copies[f"{RUNTIME_DEST}/{path.name}"] == f"// {HEADER}\n" + text
    assert not any(rel.startswith("test/runtime") for rel in rendered)


@pytest.mark.parametrize("spec", [*PRESETS, HOSTILE], ids=lambda p: p.name)
def test_two_renders_are_byte_identical(spec: Path, tmp_path: Path) -> None:
    a = ts_files(spec, "pkg", locate(), tmp_path / "one")
    b = ts_files(spec, "pkg", locate(), tmp_path / "elsewhere" / "two")
    assert a == b
    assert all(str(tmp_path) not in text for text in a.values())


@pytest.fixture(scope="module")
def ts_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("ts-check") / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    shutil.copy2(TRIAGE, project / "support.aiwf.yaml")
    (project / "aiwf.toml").write_text(
        'spec = "support.aiwf.yaml"\n\n[[sdk]]\nlang = "typescript"\nout = "sdk/ts"\n'
        'package = "@acme/support-ai"\n',
        encoding="utf-8",
    )
    result = run_cli(["sdk"], project)
    assert result.exit_code == 0, result.output
    commit_all(project, "sdk")
    return project


@pytest.fixture
def project(ts_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ts_project, copy, symlinks=True)
    return copy


def check(project: Path) -> tuple[int, str]:
    result = run_cli(["check"], project)
    return result.exit_code, result.output


def test_check_in_step(project: Path) -> None:
    code, out = check(project)
    assert code == 0, out
    assert "is in step" in out


def test_check_stale_after_a_spec_change(project: Path) -> None:
    spec = project / "support.aiwf.yaml"
    spec.write_text(spec.read_text().replace("from 1 to 5", "from 1 to 4"), encoding="utf-8")
    code, out = check(project)
    assert code == 1, out
    assert "src/assistants.ts" in out
    assert "stale" in out
    assert run_cli(["sdk"], project).exit_code == 0
    assert check(project)[0] == 0


def test_check_edited_file(project: Path) -> None:
    path = project / "sdk" / "ts" / "src" / "contracts.ts"
    path.write_text(path.read_text() + "// mine\n", encoding="utf-8")
    code, out = check(project)
    assert code == 1, out
    assert "src/contracts.ts" in out
    assert "edited" in out
    assert "--- a/sdk/ts/src/contracts.ts" in out
    assert "the spec, src/extensions.ts or the templates" in out
    assert "extensions.py" not in out


def test_check_extra_file(project: Path) -> None:
    manifest_path = project / "sdk" / "ts" / ".aiwf" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"]["src/old.ts"] = "sha256:0"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (project / "sdk" / "ts" / "src" / "old.ts").write_text("// old\n", encoding="utf-8")
    code, out = check(project)
    assert code == 1, out
    assert "src/old.ts" in out
    assert "no longer generated" in out
