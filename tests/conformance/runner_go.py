"""The Go runner of the conformance vectors (README.md, "How a runner meets the server"): the
Go SDK generated from ``spec/`` with the harness program of ``harness/go`` built into it,
once per work directory, then run on each batch."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import locate
from aiwf._generate.writer import expected_files
from aiwf._ir.compiler import compile_files
from aiwf._spec import load_spec

HERE = Path(__file__).resolve().parent
SPEC = HERE / "spec"
HARNESS = HERE / "harness" / "go" / "main.go"
#: The SDK's module path, as the harness imports it.
MODULE = "aiwf.test/conformance"
#: Seconds a batch may take (every vector's waits included) before the runner gives up.
BATCH_TIMEOUT = 600


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required by the Go conformance runner and was not found on PATH"
    return found


def _go_env() -> dict[str, str]:
    """No downloads, no toolchain switch: the SDK needs the standard library only."""
    return {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


def build(work: Path, spec: Path = SPEC) -> Path:
    """The harness binary for ``spec`` (a spec file or directory), built in ``work`` the
    first time and reused after."""
    binary = work / "go-harness"
    if binary.exists():
        return binary
    loaded = load_spec(spec)
    assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
    program = compile_files(loaded.files).program
    assert program is not None, f"{spec} does not compile"
    sdk = work / "go-sdk"
    shutil.rmtree(sdk, ignore_errors=True)
    files = expected_files(SdkJob("go", sdk, MODULE, spec), program, locate())
    for rel, text in files.items():
        (sdk / rel).parent.mkdir(parents=True, exist_ok=True)
        (sdk / rel).write_text(text, encoding="utf-8")
    (sdk / "go.mod").write_text(f"module {MODULE}\n\ngo 1.22\n", encoding="utf-8")
    (sdk / "cmd" / "harness").mkdir(parents=True)
    shutil.copy2(HARNESS, sdk / "cmd" / "harness" / "main.go")
    proc = subprocess.run(
        [_tool("go"), "build", "-o", str(binary), "./cmd/harness"],
        cwd=sdk, env=_go_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"the Go harness does not build:\n{proc.stdout}{proc.stderr}"
    return binary


def run_batch(batch: Path, out: Path, work: Path, spec: Path = SPEC) -> None:
    """Run the vectors of ``batch`` on the Go SDK; their results go to ``out``."""
    binary = build(work, spec)
    env = {k: v for k, v in os.environ.items() if k != "AIWF_ENV"}
    proc = subprocess.run(
        [str(binary), str(batch), str(out)],
        env=env, capture_output=True, text=True, check=False, timeout=BATCH_TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 0, f"the Go harness failed:\n{proc.stdout}{proc.stderr}"


__all__ = ["build", "run_batch"]
