"""The Go SDK: every preset builds, vets and tests with the real `go` toolchain; the runtime is
a copy of runtimes/go (its own tests run in tests/runtimes, the conformance vectors in
tests/conformance); goldens, determinism, hostile strings, run-time routes and `aiwf check`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gosdk_support import go_env, go_files, run_go, write_module
from sdkgen_support import (
    BUILT_SPECS,
    EDGE_SPECS,
    GOLDEN,
    PRESETS,
    ROOT,
    SPECS,
    commit_all,
    compile_path,
    git,
    read_tree,
    readme_example,
    require,
    run_cli,
)

from aiwf._generate.manifest import sha256
from aiwf._generate.render import HEADER
from aiwf._generate.targets.go_code import go_package_name
from aiwf._generate.templates import locate

HOSTILE = SPECS / "hostile.aiwf.yaml"
GO_GOLDEN = GOLDEN / "go"


def stem(spec: Path) -> str:
    return spec.name.split(".")[0]


def module_of(spec: Path) -> str:
    return f"example.com/{stem(spec)}"


def test_go_toolchain_is_present() -> None:
    """The Go tests need the real toolchain: a missing `go` is a failure, not a skip."""
    require("go")
    require("gofmt")
    proc = run_go(["version"], ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("go version go1."), proc.stdout


@pytest.fixture(scope="session", params=[p.name for p in BUILT_SPECS])
def go_preset_sdk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go SDK of one preset, created with `aiwf sdk --lang go --module ...` (copier
    scaffold included)."""
    spec = next(p for p in BUILT_SPECS if p.name == request.param)
    project = tmp_path_factory.mktemp("goproject")
    git(project, "init", "-q", "-b", "main")
    args = ["sdk", str(spec), "--lang", "go", "--out", "sdk", "--module", module_of(spec)]
    result = run_cli(args, project)
    assert result.exit_code == 0, result.output
    return project / "sdk"


def test_preset_sdk_is_gofmt_vet_build_and_test_clean(go_preset_sdk: Path) -> None:
    sdk = go_preset_sdk
    assert (sdk / "go.mod").read_text().startswith("module example.com/")
    fmt = run_go(["-l", "."], sdk, tool="gofmt")
    assert fmt.returncode == 0, fmt.stderr
    assert fmt.stdout == "", f"not gofmt-clean: {fmt.stdout}"
    for args in (["vet", "./..."], ["build", "./..."], ["test", "-count=1", "./..."]):
        proc = run_go(args, sdk)
        assert proc.returncode == 0, f"go {' '.join(args)}:\n{proc.stdout}{proc.stderr}"
    # no module outside the standard library
    listed = run_go(
        ["list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./..."], sdk
    )
    assert listed.returncode == 0, listed.stderr
    module = (sdk / "go.mod").read_text().split()[1]
    assert all(line.startswith(module) for line in listed.stdout.split()), listed.stdout


def test_generated_go_files_carry_the_header(go_preset_sdk: Path) -> None:
    sdk = go_preset_sdk
    manifest = json.loads((sdk / ".aiwf" / "manifest.json").read_text(encoding="utf-8"))
    generated = [rel for rel in manifest["files"] if rel.endswith(".go")]
    assert "workflows.go" in generated
    assert "internal/aiwfrt/runtime.go" in generated
    for rel in generated:
        assert (sdk / rel).read_text(encoding="utf-8").startswith(f"// {HEADER}\n"), rel
    for scaffold in ("extensions.go", "go.mod", "README.md"):
        assert scaffold not in manifest["files"]
        assert not (sdk / scaffold).read_text(encoding="utf-8").startswith(f"// {HEADER}")
    answers = (sdk / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "lang: go" in answers
    assert f"go_package: {go_package_name(manifest['package'])}" in answers


def test_runtime_is_a_copy_of_runtimes_go(go_preset_sdk: Path) -> None:
    """internal/aiwfrt holds every source file of runtimes/go (its tests stay there), each
    byte for byte behind the generated-code header."""
    source = ROOT / "runtimes" / "go"
    expected = {p.name for p in source.glob("*.go") if not p.name.endswith("_test.go")}
    copied = {p.name for p in (go_preset_sdk / "internal" / "aiwfrt").iterdir()}
    assert copied == expected
    for name in expected:
        text = (go_preset_sdk / "internal" / "aiwfrt" / name).read_text(encoding="utf-8")
        assert text == f"// {HEADER}\n\n" + (source / name).read_text(encoding="utf-8"), name


# -- goldens and determinism -------------------------------------------------------------


@pytest.mark.parametrize("spec", PRESETS, ids=[p.name for p in PRESETS])
def test_go_golden_snapshot(spec: Path, tmp_path: Path) -> None:
    """Refresh with: AIWF_UPDATE_GOLDEN=1 pytest tests/generate -k golden

    The runtime (internal/aiwfrt) is a copy of runtimes/go, checked by
    test_runtime_is_a_copy_of_runtimes_go; the goldens hold what the templates render."""
    rendered = go_files(spec, module_of(spec), locate(), tmp_path)
    files = {
        f"{rel}.golden": text for rel, text in rendered.items() if not rel.startswith("internal/")
    }
    golden = GO_GOLDEN / stem(spec)
    if os.environ.get("AIWF_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in files.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
    assert golden.is_dir(), f"no golden for {stem(spec)}: run AIWF_UPDATE_GOLDEN=1 pytest"
    assert read_tree(golden) == files


@pytest.mark.parametrize("spec", [PRESETS[-1], HOSTILE], ids=lambda p: p.name)
def test_two_go_renders_are_identical(spec: Path, tmp_path: Path) -> None:
    a = go_files(spec, "example.com/x", locate(), tmp_path / "one")
    b = go_files(spec, "example.com/x", locate(), tmp_path / "elsewhere" / "two")
    assert a == b
    assert all(str(tmp_path) not in text for text in a.values())


def test_go_renders_in_separate_processes_are_identical(tmp_path: Path) -> None:
    script = (
        "import sys, json; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from gosdk_support import go_files; from aiwf._generate.templates import locate;"
        "print(json.dumps(go_files(Path(sys.argv[2]), 'example.com/x', locate(), Path(sys.argv[3]))))"
    )
    outs = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", script, str(Path(__file__).parent), str(HOSTILE),
             str(tmp_path / f"run{seed}")],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]


# -- hostile strings ---------------------------------------------------------------------

HOSTILE_PROBE = """package hostile

import (
\t"encoding/json"
\t"os"
\t"testing"
)

func TestProbe(t *testing.T) {
\tvar in Class
\tif err := json.Unmarshal([]byte(os.Getenv("AIWF_CLASS")), &in); err != nil {
\t\tt.Fatal(err)
\t}
\tif err := in.Validate(); err != nil {
\t\tt.Fatal(err)
\t}
\tround, err := json.Marshal(in)
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tvar values []string
\tif err := json.Unmarshal([]byte(os.Getenv("AIWF_ENUM")), &values); err != nil {
\t\tt.Fatal(err)
\t}
\tvalid := []bool{ClassEmoji("nope").Valid()}
\tfor _, v := range values {
\t\tvalid = append(valid, ClassEmoji(v).Valid())
\t}
\tout, _ := json.Marshal(map[string]any{
\t\t"instructions": importAssistant.Instructions, "model": Routes()["m"].Model,
\t\t"spec": SpecName, "round": json.RawMessage(round), "valid": valid,
\t})
\tif err := os.WriteFile(os.Getenv("AIWF_OUT"), out, 0o644); err != nil {
\t\tt.Fatal(err)
\t}
}
"""


def test_hostile_spec_compiles_and_carries_its_strings(tmp_path: Path) -> None:
    files = go_files(HOSTILE, "example.com/hostile", locate(), tmp_path)
    sdk = write_module(files, tmp_path / "sdk" / "go", "example.com/hostile")
    (sdk / "probe_test.go").write_text(HOSTILE_PROBE, encoding="utf-8")
    program = compile_path(HOSTILE)
    contract = program.contracts["class"].type
    required = [p.name for p in contract.properties if p.required]  # type: ignore[union-attr]
    data: dict[str, object] = dict.fromkeys(required)
    data.update({"def": "d", "2fa": 2, "first-name": "a", "First_Name": "b", "model_config": True})
    data.update({'"quoted\\key"': "q", "emoji 😀": "\u2028", "either": 5, "map": {"k": 1}})
    emoji = contract.property("emoji 😀").type.values  # type: ignore[union-attr]
    env = {
        **go_env(),
        "AIWF_CLASS": json.dumps(data, ensure_ascii=False),
        "AIWF_ENUM": json.dumps(list(emoji), ensure_ascii=False),
        "AIWF_OUT": str(tmp_path / "probe.json"),
    }
    vet = run_go(["vet", "./..."], sdk)
    assert vet.returncode == 0, vet.stdout + vet.stderr
    proc = subprocess.run(
        [require("go"), "test", "-count=1", "./..."], cwd=sdk, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    probe = json.loads((tmp_path / "probe.json").read_text(encoding="utf-8"))
    assert probe["instructions"] == program.assistants["import"].instructions
    assert "\u2028" in probe["instructions"]
    assert "😀" in probe["instructions"]
    assert probe["model"] == 'gpt-"quoted"'
    assert probe["spec"] == "hostile"
    assert probe["round"] == data
    assert probe["valid"] == [False] + [True] * len(emoji)


# -- optional raw and nullable properties -------------------------------------------------

EDGES_PROBE = """package edges_test

import (
\t"encoding/json"
\t"testing"

\tsdk "example.com/edges"
)

// Absent optional raw properties are not validated; an explicit null of an optional
// nullable property survives the round trip, absent stays absent; wrong values are refused.
func TestOptionalRawAndNullable(t *testing.T) {
\tfor _, c := range []struct {
\t\tin string
\t\tok bool
\t}{
\t\t{`{"name":"n","note":null}`, true},
\t\t{`{"name":"n","note":"x","url":null,"kind":null,"owner":null}`, true},
\t\t{`{"name":"n","note":null,"url":"https://example.org/a","kind":"small","owner":{"id":"o"}}`, true},
\t\t{`{"name":"n","note":null,"tax":0.07,"type":-3}`, true},
\t\t{`{"name":"n","note":null,"tax":0}`, true},
\t\t{`{"name":"n","note":null,"tax":0.5}`, false},
\t\t{`{"name":"n","note":null,"tax":null}`, false},
\t\t{`{"name":"n","note":null,"type":2}`, false},
\t\t{`{"name":"n","note":null,"url":"not a uri"}`, false},
\t\t{`{"name":"n","note":null,"kind":"medium"}`, false},
\t\t{`{"name":"n","note":null,"owner":{}}`, false},
\t} {
\t\tvar in sdk.Item
\t\terr := json.Unmarshal([]byte(c.in), &in)
\t\tif err == nil {
\t\t\terr = in.Validate()
\t\t}
\t\tif (err == nil) != c.ok {
\t\t\tt.Fatalf("%s: error %v, want ok=%v", c.in, err, c.ok)
\t\t}
\t\tif !c.ok {
\t\t\tcontinue
\t\t}
\t\tout, err := json.Marshal(in)
\t\tif err != nil {
\t\t\tt.Fatal(err)
\t\t}
\t\tif string(out) != c.in {
\t\t\tt.Fatalf("round trip changed %s into %s", c.in, out)
\t\t}
\t}
\tset := sdk.Item{Name: "n", Url: sdk.Some("https://example.org/"), Kind: sdk.Null[sdk.ItemKind]()}
\tout, err := json.Marshal(set)
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tif want := `{"name":"n","note":null,"url":"https://example.org/","kind":null}`; string(out) != want {
\t\tt.Fatalf("got %s, want %s", out, want)
\t}
\tif v, ok := set.Url.Get(); !ok || v != "https://example.org/" {
\t\tt.Fatalf("Get: %q %v", v, ok)
\t}
\tif _, ok := set.Kind.Get(); ok {
\t\tt.Fatal("Get of a null gave a value")
\t}
}
"""


def test_optional_raw_and_nullable_properties(tmp_path: Path) -> None:
    """Optional json.RawMessage properties are checked only when present; optional nullable
    properties keep an explicit null through a JSON round trip (Nullable[T])."""
    spec = EDGE_SPECS[0]
    sdk = write_module(
        go_files(spec, "example.com/edges", locate(), tmp_path), tmp_path / "sdk" / "go",
        "example.com/edges",
    )  # fmt: skip
    contracts = (sdk / "contracts.go").read_text(encoding="utf-8")
    assert "Url   Nullable[string]" in contracts
    assert "Note  *string" in contracts  # required and nullable: a pointer is enough
    (sdk / "probe_test.go").write_text(EDGES_PROBE, encoding="utf-8")
    for args in (["vet", "./..."], ["test", "-count=1", "./..."]):
        proc = run_go(args, sdk)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- aiwf check --------------------------------------------------------------------------

SPEC = next(p for p in PRESETS if p.name == "ticket-triage.aiwf.yaml")


@pytest.fixture(scope="module")
def go_check_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("gocheck") / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    shutil.copy2(SPEC, project / "support.aiwf.yaml")
    (project / "aiwf.toml").write_text(
        'spec = "support.aiwf.yaml"\n\n[[sdk]]\nlang = "go"\nout = "sdk/go"\n'
        'package = "github.com/acme/support-ai"\n',
        encoding="utf-8",
    )
    result = run_cli(["sdk"], project)
    assert result.exit_code == 0, result.output
    commit_all(project, "sdk")
    return project


@pytest.fixture
def go_project(go_check_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(go_check_project, copy, symlinks=True)
    return copy


def test_check_go_sdk_in_step(go_project: Path) -> None:
    result = run_cli(["check"], go_project)
    assert result.exit_code == 0, result.output
    assert "is in step" in result.output


def test_check_go_sdk_stale_after_a_spec_change(go_project: Path) -> None:
    spec = go_project / "support.aiwf.yaml"
    spec.write_text(
        spec.read_text().replace("most urgent first.", "most urgent first, in French."),
        encoding="utf-8",
    )
    result = run_cli(["check"], go_project)
    assert result.exit_code == 1
    assert "sdk/go/assistants.go: stale:" in result.output
    assert "most urgent first, in French." in result.output
    assert run_cli(["sdk"], go_project).exit_code == 0
    assert run_cli(["check"], go_project).exit_code == 0


def test_check_go_sdk_edited_file(go_project: Path) -> None:
    path = go_project / "sdk/go/internal/aiwfrt/runtime.go"
    path.write_text(path.read_text() + "\n// hack\n", encoding="utf-8")
    result = run_cli(["check"], go_project)
    assert result.exit_code == 1
    assert "internal/aiwfrt/runtime.go: edited: was edited by hand" in result.output
    assert "--- a/sdk/go/internal/aiwfrt/runtime.go" in result.output
    assert "the spec, extensions.go or the templates" in result.output
    assert "extensions.py" not in result.output


def test_check_go_sdk_extra_file(go_project: Path) -> None:
    sdk = go_project / "sdk/go"
    old = sdk / "legacy.go"
    old.write_text(f"// {HEADER}\n\npackage supportai\n", encoding="utf-8")
    manifest_path = sdk / ".aiwf/manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["legacy.go"] = sha256(old.read_bytes())
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    result = run_cli(["check"], go_project)
    assert result.exit_code == 1
    assert "legacy.go: extra: is no longer generated" in result.output
    assert run_cli(["sdk"], go_project).exit_code == 0
    assert not old.exists()


# -- the command line ----------------------------------------------------------------------


def test_bad_module_path_is_a_clear_error(tmp_path: Path) -> None:
    for module, message in (
        ("Not A Path", "must be a Go module path"),
        ("example.com/acme/v2", "major-version suffix"),
        ("example.com/acme/2fast", "must give a Go package name"),
    ):
        result = run_cli(
            ["sdk", str(SPEC), "--lang", "go", "--module", module, "--out", "sdk"], tmp_path
        )
        assert result.exit_code != 0, module
        assert message in result.output, result.output


def test_module_and_package_must_agree(tmp_path: Path) -> None:
    args = ["sdk", str(SPEC), "--lang", "go", "--out", "sdk", "--module", "example.com/a"]
    result = run_cli([*args, "--package", "example.com/b"], tmp_path)
    assert result.exit_code != 0
    assert "--module and --package" in result.output


# -- run-time routes, environments and streaming ---------------------------------------------

ROUTING_PROBE = """package triage_test

import (
\t"context"
\t"io"
\t"net/http"
\t"net/http/httptest"
\t"strings"
\t"sync"
\t"testing"

\tsdk "example.com/triage"
)

const answer = `{"status": "completed", "output": [{"type": "message", "content": [{"type": "output_text", "text": "{\\"ticket_id\\": \\"T-1\\", \\"category\\": \\"bug\\", \\"urgency\\": 2}"}]}]}`

const stream = `data: {"type": "response.output_text.delta", "delta": "{\\"ticket_id\\": "}` + "\\n\\n" +
\t`data: {"type": "response.completed", "response": ` + answer + "}\\n\\n"

// Every request is logged as "PATH MODEL KEY"; the routes point here at run time.
func server(t *testing.T) (*httptest.Server, func() []string) {
\tvar mu sync.Mutex
\tvar log []string
\ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
\t\tbody, _ := io.ReadAll(r.Body)
\t\tmodel := strings.SplitN(strings.SplitN(string(body), `"model":"`, 2)[1], `"`, 2)[0]
\t\tmu.Lock()
\t\tlog = append(log, r.URL.Path+" "+model+" "+r.Header.Get("Authorization"))
\t\tmu.Unlock()
\t\tif strings.Contains(string(body), `"stream":true`) {
\t\t\tw.Header().Set("Content-Type", "text/event-stream")
\t\t\tio.WriteString(w, stream)
\t\t\treturn
\t\t}
\t\tio.WriteString(w, answer)
\t}))
\tt.Cleanup(s.Close)
\treturn s, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), log...) }
}

func TestRoutesAreChosenAtRunTime(t *testing.T) {
\ts, log := server(t)
\tt.Setenv("OPENAI_API_KEY", "sk-spec")
\tt.Setenv("STAGING_KEY", "sk-staging")
\tt.Setenv("OTHER_KEY", "sk-other")
\tin := sdk.Ticket{Id: "T-1", Subject: "s", Body: "b"}
\tctx := context.Background()
\t// the staging environment of the project config, then an override on top of it
\tt.Setenv("AIWF_ENV", "")
\tstaging := sdk.New(sdk.WithEnvironment("staging"), sdk.WithRoute("fast", sdk.RouteOverride{BaseURL: s.URL + "/staging/"}))
\tif _, err := staging.Classify(ctx, in); err != nil {
\t\tt.Fatal(err)
\t}
\t// $AIWF_ENV picks it when the code does not; WithRoute overrides combine
\tt.Setenv("AIWF_ENV", "staging")
\tc := sdk.New(sdk.WithRoute("fast", sdk.RouteOverride{BaseURL: s.URL + "/env"}), sdk.WithRoute("fast", sdk.RouteOverride{Model: "gpt-x", APIKeyEnv: "OTHER_KEY"}))
\tif _, err := c.Classify(ctx, in); err != nil {
\t\tt.Fatal(err)
\t}
\t// no environment: the spec's route with an override
\tvar events []string
\tplain := sdk.New(sdk.WithEnvironment(""), sdk.WithRoute("fast", sdk.RouteOverride{BaseURL: s.URL + "/spec"}),
\t\tsdk.WithStream(func(ev sdk.StreamEvent) { events = append(events, ev.Type+":"+ev.Metadata.Assistant+":"+ev.Text) }))
\tout, err := plain.Classify(ctx, in)
\tif err != nil || out.Urgency != 2 {
\t\tt.Fatal(out, err)
\t}
\twant := []string{
\t\t"/staging/responses gpt-staging Bearer sk-staging",
\t\t"/env/responses gpt-x Bearer sk-other",
\t\t"/spec/responses gpt-5.4-mini Bearer sk-spec",
\t}
\tif strings.Join(log(), "\\n") != strings.Join(want, "\\n") {
\t\tt.Fatalf("requests:\\n%s", strings.Join(log(), "\\n"))
\t}
\tif strings.Join(events, "|") != `text:classify:{"ticket_id": ` {
\t\tt.Fatalf("events %q", events)
\t}
\t_, err = sdk.New(sdk.WithEnvironment("prod")).Classify(ctx, in)
\tif sdk.ErrorCode(err) != "R008" || err.Error() != `unknown environment "prod" (known: staging)` {
\t\tt.Fatalf("%v", err)
\t}
}
"""


def test_routes_environments_and_streaming_at_run_time(tmp_path: Path) -> None:
    """WithEnvironment (default $AIWF_ENV), WithRoute and WithStream change where and how a
    generated Client calls, without regenerating."""
    from aiwf._generate.jobs import SdkJob
    from aiwf._generate.writer import expected_files

    staging = {
        "fast": {
            **compile_path(SPEC).models["fast"].to_dict(),
            "model": "gpt-staging",
            "api_key_env": "STAGING_KEY",
            "base_url": "http://127.0.0.1:9/unused",
        }
    }
    module = "example.com/triage"
    job = SdkJob("go", tmp_path / "sdk" / "go", module, SPEC)
    files = expected_files(job, compile_path(SPEC), locate(), {"staging": staging})
    sdk = write_module(files, tmp_path / "sdk" / "go", module)
    assert '"staging": {' in (sdk / "client.go").read_text(encoding="utf-8")
    (sdk / "routing_test.go").write_text(ROUTING_PROBE, encoding="utf-8")
    proc = run_go(["test", "-count=1", "-run", "TestRoutesAreChosenAtRunTime", "."], sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("go_preset_sdk", ["contracts-only.aiwf.yaml"], indirect=True)
def test_readme_example_builds_for_a_spec_without_workflows(go_preset_sdk: Path) -> None:
    """The README's example names nothing a spec may lack: a consumer's module that uses the
    SDK as its README shows builds and vets, for a spec with no workflow."""
    sdk = go_preset_sdk
    module = module_of(SPECS / "contracts-only.aiwf.yaml")
    consumer = sdk.parent / "consumer"
    consumer.mkdir(exist_ok=True)
    (consumer / "go.mod").write_text(
        f"module example.com/consumer\n\ngo 1.22\n\nrequire {module} v0.0.0\n\n"
        f"replace {module} => ../sdk\n",
        encoding="utf-8",
    )
    example = readme_example(sdk, "go").splitlines()
    imports = [line.removeprefix("import ") for line in example if line.startswith("import ")]
    body = [line for line in example if not line.startswith("import ")]
    main = [
        "package main",
        "",
        "import (",
        '\t"context"',
        '\t"encoding/json"',
        *(f"\t{line}" for line in imports),
        ")",
        "",
        "func main() {",
        "\tctx := context.Background()",
        *(f"\t{line}" for line in body),
        "\t_, _, _ = result, trace, err",
        "}",
        "",
    ]
    (consumer / "main.go").write_text("\n".join(main), encoding="utf-8")
    proc = run_go(["vet", "."], consumer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
