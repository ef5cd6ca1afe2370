"""Helpers for the Go SDK tests: the real `go` toolchain, offline, with a shared build cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sdkgen_support import ROOT, compile_path, require

from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import TemplateTree
from aiwf._generate.writer import expected_files


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
