"""The TypeScript conformance runner: the SDK generated from ``tests/conformance/spec/``, built
once (``npm ci`` from the npm cache, ``tsc``) with the harness program
``harness/typescript/harness.ts``, then run on each batch (tests/conformance/README.md, "How a
runner meets the server"). node and npm are required: it fails loudly without them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import TemplateTree
from aiwf._generate.writer import expected_files
from aiwf._ir.compiler import compile_files
from aiwf._spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "conformance" / "spec"
HARNESS = Path(__file__).resolve().parent / "harness" / "typescript" / "harness.ts"
SCAFFOLD = ROOT / "copier-templates" / "typescript" / "scaffold"
PACKAGE = "aiwf-conformance"
#: The npm cache the installs share (filled from the registry the first time).
CACHE_ENV = "AIWF_NPM_CACHE"


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required by the TypeScript conformance runner and was not found"
    return found


def _run(args: list[str], cwd: Path, cache: Path | None = None) -> None:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    if cache is not None:
        env["npm_config_cache"] = str(cache)
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


def _scaffold(name: str) -> str:
    text = (SCAFFOLD / name).read_text(encoding="utf-8")
    return text.replace("{{ package }}", PACKAGE).replace(
        "{{ description | tojson }}", '"conformance"'
    )


def build(work: Path, spec: Path = SPEC) -> Path:
    """The SDK of ``spec`` with the harness, built in ``work/typescript``; its directory."""
    sdk = work / "typescript"
    if (sdk / "dist" / "harness" / "harness.js").is_file():
        return sdk
    loaded = load_spec(spec)
    assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
    result = compile_files(loaded.files)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    job = SdkJob("typescript", sdk, PACKAGE, spec)
    for rel, text in expected_files(job, result.program, TemplateTree(ROOT)).items():
        (sdk / rel).parent.mkdir(parents=True, exist_ok=True)
        (sdk / rel).write_text(text, encoding="utf-8")
    (sdk / "src" / "extensions.ts").write_text("export {};\n", encoding="utf-8")
    (sdk / "package.json").write_text(_scaffold("package.json.jinja"), encoding="utf-8")
    (sdk / "package-lock.json").write_text(_scaffold("package-lock.json.jinja"), encoding="utf-8")
    config = json.loads((SCAFFOLD / "tsconfig.json").read_text(encoding="utf-8"))
    config["include"] = ["src/**/*.ts", "harness/*.ts"]
    (sdk / "tsconfig.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (sdk / "harness").mkdir(exist_ok=True)
    shutil.copy2(HARNESS, sdk / "harness" / "harness.ts")
    cache = Path(os.environ.get(CACHE_ENV) or work / "npm-cache")
    npm, node = _tool("npm"), _tool("node")
    _run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"], sdk, cache)
    _run(
        [node, str(sdk / "node_modules" / "typescript" / "bin" / "tsc"), "-p", "tsconfig.json"], sdk
    )
    return sdk


def run_batch(batch: Path, out: Path, work: Path) -> None:
    """Runs the vectors of ``batch`` on the TypeScript SDK (built in ``work`` the first time)
    and writes their results to ``out``."""
    sdk = build(work)
    _run([_tool("node"), str(sdk / "dist" / "harness" / "harness.js"), str(batch), str(out)], sdk)
