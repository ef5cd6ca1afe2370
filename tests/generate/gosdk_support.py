"""Helpers for the Go SDK tests: the real `go` toolchain, offline, with a shared build cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sdkgen_support import ROOT, compile_path, require

from aiwf.generate.jobs import SdkJob
from aiwf.generate.templates import TemplateTree
from aiwf.generate.writer import expected_files


def go_env() -> dict[str, str]:
    """The environment for `go`: no downloads, no toolchain switch, the user's build cache."""
    return {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


def run_go(args: list[str], cwd: Path, tool: str = "go") -> subprocess.CompletedProcess[str]:
    """``go ARGS`` (or ``gofmt ARGS``) in ``cwd``; fails loudly when the tool is missing."""
    binary = require(tool)
    return subprocess.run(
        [binary, *args], cwd=cwd, env=go_env(), capture_output=True, text=True, check=False
    )


def go_files(spec: Path, module: str, tree: TemplateTree, scratch: Path) -> dict[str, str]:
    """The generated layer of ``spec`` as a Go SDK (spec at ``specs/NAME``, SDK at
    ``sdk/go``, so the manifest's spec path is stable)."""
    (scratch / "specs").mkdir(parents=True, exist_ok=True)
    local = scratch / "specs" / spec.name
    shutil.copy2(spec, local)
    job = SdkJob("go", scratch / "sdk" / "go", module, local)
    return expected_files(job, compile_path(local), tree)


def go_mod(module: str) -> str:
    """go.mod as the scaffold template renders it."""
    import jinja2

    template = (ROOT / "copier-templates" / "go" / "scaffold" / "go.mod.jinja").read_text()
    text: str = jinja2.Template(template, keep_trailing_newline=True).render(
        package=module, go_version="1.22"
    )
    return text


def write_module(files: dict[str, str], dest: Path, module: str) -> Path:
    """The generated files plus go.mod written to ``dest``."""
    for rel, text in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")
    (dest / "go.mod").write_text(go_mod(module), encoding="utf-8")
    return dest


#: A Go test dropped into a generated module: plays the calls of an in-process conformance
#: vector back (a ModelClient that answers the first unused call whose step and input equal
#: the request's) through RunWorkflow and writes the result, the error and the trace
#: outline as JSON.
CONFORMANCE_HARNESS = """package {package}_test

import (
\t"context"
\t"encoding/json"
\t"errors"
\t"os"
\t"sync"
\t"testing"

\tsdk "{module}"
\t"{module}/internal/aiwfrt"
)

type call struct {
\tStep   string          `json:"step"`
\tInput  json.RawMessage `json:"input"`
\tOutput json.RawMessage `json:"output"`
\tError  *string         `json:"error"`
}

type playback struct {
\tmu    sync.Mutex
\tcalls []call
\tused  []bool
}

func (p *playback) Complete(ctx context.Context, req *sdk.Request) (*sdk.Response, error) {
\tp.mu.Lock()
\tdefer p.mu.Unlock()
\tfor i, c := range p.calls {
\t\tif p.used[i] || c.Step != req.Metadata.Step || !aiwfrt.Equal(aiwfrt.MustParse(string(c.Input)), req.Input) {
\t\t\tcontinue
\t\t}
\t\tp.used[i] = true
\t\tif c.Error != nil {
\t\t\treturn nil, errors.New(*c.Error)
\t\t}
\t\treturn &sdk.Response{Output: aiwfrt.MustParse(string(c.Output)), Provider: "playback", Model: "playback"}, nil
\t}
\treturn nil, errors.New("no call recorded for " + req.Metadata.Step + ": " + aiwfrt.CanonicalString(req.Input))
}

func TestConformanceVector(t *testing.T) {
\tdata, err := os.ReadFile(os.Getenv("AIWF_VECTOR"))
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tvar vector struct {
\t\tWorkflow string          `json:"workflow"`
\t\tInput    json.RawMessage `json:"input"`
\t\tCalls    []call          `json:"calls"`
\t}
\tif err := json.Unmarshal(data, &vector); err != nil {
\t\tt.Fatal(err)
\t}
\tp := &playback{calls: vector.Calls, used: make([]bool, len(vector.Calls))}
\tresult, trace, err := sdk.New(sdk.WithModelClient(p)).RunWorkflow(context.Background(), vector.Workflow, vector.Input)
\tunused := []int{}
\tfor i, u := range p.used {
\t\tif !u {
\t\t\tunused = append(unused, i)
\t\t}
\t}
\treport := map[string]any{"result": result, "unused": unused}
\tif err != nil {
\t\treport["error"] = err.Error()
\t}
\toutline := []map[string]any{}
\tfor _, e := range trace.Entries {
\t\tvar index any
\t\tif e.Index >= 0 {
\t\t\tindex = e.Index
\t\t}
\t\toutline = append(outline, map[string]any{"step": e.Step, "index": index, "assistant": e.Assistant, "status": e.Status})
\t}
\treport["trace"] = outline
\tout, err := json.Marshal(report)
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tif err := os.WriteFile(os.Getenv("AIWF_VECTOR_OUT"), out, 0o644); err != nil {
\t\tt.Fatal(err)
\t}
}
"""
