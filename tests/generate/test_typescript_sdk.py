"""The TypeScript SDK: every preset installs (npm ci), type-checks under strict, builds and
passes its own node tests; the runtime's wire format matches the Python runtime's; the
conformance vectors give the engine's results; goldens, determinism, drift checks, and
hostile strings carried exactly. node and npm are required: these tests fail without them."""

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

from aiwf.generate.render import HEADER
from aiwf.generate.targets import get_target
from aiwf.generate.templates import locate

HOSTILE = SPECS / "hostile.aiwf.yaml"
VECTORS = sorted((ROOT / "tests" / "conformance").glob("*.json"))
TRIAGE = next(p for p in PRESETS if p.name == "ticket-triage.aiwf.yaml")


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
    assert passed >= 18, proc.stdout  # the runtime's loopback tests and the smoke tests


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


def test_validators_name_the_failing_path(tmp_path: Path, shared_modules: Path) -> None:
    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    triaged = [{"ticket_id": f"T-{i}", "category": "bug", "urgency": 3} for i in range(3)]
    triaged[2]["urgency"] = 9
    cases = {
        "maximum": {"digest": {"headline": "h", "urgent_count": 0}, "triaged": triaged},
        "enum": {"id": "1", "subject": "s", "body": "b", "customer_tier": "gold"},
        "required": {"id": "1", "subject": "s"},
        "type": {"id": 1, "subject": "s", "body": "b"},
    }
    script = (
        "import * as sdk from './dist/src/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const cases = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const out = {};\n"
        "for (const [name, value] of Object.entries(cases)) {\n"
        "  const parse = name === 'maximum' ? sdk.parseTriageOutput : sdk.parseTicket;\n"
        "  try { parse(value); out[name] = null; } catch (e) { out[name] = [e.name, e.message, e.path]; }\n"
        "}\n"
        "console.log(JSON.stringify(out));\n"
    )
    got = node_eval(sdk, script, cases)
    assert got["maximum"] == [
        "ValidationError",
        "$.triaged[2].urgency: 9 is more than the maximum 5",
        "$.triaged[2].urgency",
    ]
    assert got["enum"][1] == ('$.customer_tier: "gold" is not one of ["free", "pro", "enterprise"]')
    assert got["required"][1] == '$: missing required property "body"'
    assert got["type"][1] == "$.id: 1 is not of type string (it is integer)"


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
    from aiwf.runtime.providers import PROVIDERS
    from aiwf.runtime.providers.base import Exchange, user_text
    from aiwf.runtime.types import ModelRequest
    from aiwf.spec.models import ModelRoute

    route = ModelRoute.model_validate(route_data)
    provider = PROVIDERS[route.provider]()
    mode = provider.resolve_mode(route)
    request = ModelRequest(
        route=route,
        instructions="Do it.",
        input=value,
        output_schema=WIRE_SCHEMA,
        schema_name="Items out",
    )
    exchange = Exchange(
        request=request, route=route, turns=(("user", user_text(value)),), instructions="Do it.",
        mode=mode, wire=provider.prepare_schema(mode, WIRE_SCHEMA), api_key="sk-1",
        max_tokens=route.max_tokens, temperature=route.temperature,
    )  # fmt: skip
    call = provider.build(exchange, stream=stream)
    body = json.dumps(call.json, ensure_ascii=False)
    return {"url": call.url, "headers": call.headers, "body": body}


def test_request_bodies_and_headers_match_the_python_runtime(
    tmp_path: Path, shared_modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    value = {"text": "Grüße 😀 \u2028", "n": [1, 2.5, 1e-07, None, True], "nested": {"k": {}}}
    cases = [(route, stream) for route in WIRE_ROUTES for stream in (False, True)]
    script = (
        "import * as rt from './dist/src/runtime/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const { cases, schema, value } = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const out = cases.map(([route, stream]) => {\n"
        "  const p = rt.PROVIDERS[route.provider]();\n"
        "  const mode = p.resolveMode(route);\n"
        "  const request = { route, instructions: 'Do it.', input: value, outputSchema: schema, schemaName: 'Items out' };\n"
        "  const ex = { request, route, turns: [['user', rt.userText(value)]], instructions: 'Do it.', mode,\n"
        "    wire: p.prepareSchema(mode, schema), apiKey: 'sk-1', maxTokens: route.max_tokens ?? null,\n"
        "    temperature: route.temperature ?? null };\n"
        "  const call = p.build(ex, stream, {});\n"
        "  return { url: call.url, headers: call.headers, body: rt.pyDumps(call.json, { ensureAscii: false }) };\n"
        "});\n"
        "console.log(JSON.stringify(out));\n"
    )
    got = node_eval(sdk, script, {"cases": cases, "schema": WIRE_SCHEMA, "value": value})
    for (route, stream), ts in zip(cases, got, strict=True):
        assert ts == python_wire(route, stream, value), (route, stream)


def test_fingerprints_and_json_text_match_python(tmp_path: Path, shared_modules: Path) -> None:
    from aiwf.engine.bindings import interpolate
    from aiwf.engine.replay import fingerprint
    from aiwf.runtime.types import ModelRequest
    from aiwf.spec.models import ModelRoute

    sdk = built(ts_files(TRIAGE, "triage", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    values = [{"b": [1, 2.5, 0.1, 1e-05, 123456.789], "a": 'é\u2028"\\/\t'}, "x", 7, None, [True]]
    script = (
        "import * as rt from './dist/src/runtime/index.js';\n"
        "import { readFileSync } from 'node:fs';\n"
        "const values = JSON.parse(readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(values.map((v) => [rt.template(v),\n"
        "  rt.fingerprint({ route: { provider: 'openai', model: 'm' }, instructions: 'I', input: v,\n"
        "    outputSchema: { type: 'object', title: 'ü' }, schemaName: 'S' })])));\n"
    )
    got = node_eval(sdk, script, values)
    route = ModelRoute(provider="openai", model="m")
    want = [
        [
            interpolate(v),
            fingerprint(
                ModelRequest(
                    route=route,
                    instructions="I",
                    input=v,
                    output_schema={"type": "object", "title": "ü"},
                    schema_name="S",
                )
            ),
        ]
        for v in values
    ]
    assert got == want


# -- conformance vectors -------------------------------------------------------------------------

HARNESS = """\
import * as sdk from './dist/src/index.js';
import { readFileSync } from 'node:fs';
const vector = JSON.parse(readFileSync(0, 'utf8'));
const client = new sdk.FakeClient(vector.calls);
const trace = new sdk.Trace();
let result = null;
let error = null;
try {
  result = await sdk.WORKFLOWS[vector.workflow](vector.input, { client, trace });
} catch (e) {
  error = String(e && e.message);
}
console.log(JSON.stringify({ result, error, trace: trace.outline(), used: [...client.used].sort((a, b) => a - b) }));
"""


@pytest.mark.parametrize("vector_path", VECTORS, ids=[v.stem for v in VECTORS])
def test_conformance_vector_on_the_typescript_sdk(
    vector_path: Path, tmp_path: Path, shared_modules: Path
) -> None:
    vector = json.loads(vector_path.read_text(encoding="utf-8"))
    spec = (vector_path.parent / vector["spec"]).resolve()
    sdk = built(ts_files(spec, "conformance", locate(), tmp_path), tmp_path / "sdk", shared_modules)
    got = node_eval(sdk, HARNESS, vector)
    assert got["error"] is None, got
    assert got["result"] == vector["expected"]["result"]
    assert got["trace"] == vector["expected"]["trace"]
    assert got["used"] == list(range(len(vector["calls"])))


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
    files = {f"{rel}.golden": text for rel, text in rendered.items()}
    golden = TS_GOLDEN / stem
    if os.environ.get("AIWF_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in files.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
    assert golden.is_dir(), f"no golden for {stem}: run AIWF_UPDATE_GOLDEN=1 pytest tests/generate"
    assert read_tree(golden) == files


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
