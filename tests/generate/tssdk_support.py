"""Helpers for the TypeScript SDK tests: rendering, npm/tsc/node runs, shared npm cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sdkgen_support import ROOT, compile_path

from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import TemplateTree
from aiwf._generate.writer import expected_files

SCAFFOLD = ROOT / "copier-templates" / "typescript" / "scaffold"
TS_GOLDEN = Path(__file__).resolve().parent / "golden" / "typescript"


def require_node() -> tuple[str, str]:
    """The node and npm binaries; fails (never skips) when either is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, "node is required by the TypeScript SDK tests and was not found on PATH"
    assert npm, "npm is required by the TypeScript SDK tests and was not found on PATH"
    return node, npm


def run(
    args: list[str], cwd: Path, cache: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    if cache is not None:
        env["npm_config_cache"] = str(cache)
    return subprocess.run(
        args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )


def npm_ci(sdk: Path, cache: Path, *, offline: bool) -> None:
    _, npm = require_node()
    args = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    args.append("--offline" if offline else "--prefer-offline")
    proc = run(args, sdk, cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def fill_npm_cache(cache: Path, scratch: Path) -> Path:
    """``cache`` filled from the registry by the scaffold's own lock file (installed once in
    ``scratch``), so SDKs then install from it with ``npm ci --offline``."""
    require_node()
    write_sdk({}, scratch, "warm-up")
    lock = (SCAFFOLD / "package-lock.json.jinja").read_text(encoding="utf-8")
    (scratch / "package-lock.json").write_text(lock.replace("{{ package }}", "warm-up"), "utf-8")
    npm_ci(scratch, cache, offline=False)
    return cache


def tsc(sdk: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    node, _ = require_node()
    return run(
        [
            node,
            str(sdk / "node_modules" / "typescript" / "bin" / "tsc"),
            "-p",
            "tsconfig.json",
            *extra,
        ],
        sdk,
    )


def node_test(sdk: Path) -> subprocess.CompletedProcess[str]:
    node, _ = require_node()
    return run([node, "--test", "dist/test/"], sdk)


def node_eval(sdk: Path, script: str, data: Any = None) -> Any:
    """Runs an ES module ``script`` in ``sdk`` (input JSON on stdin), returns its JSON stdout."""
    node, _ = require_node()
    path = sdk / "_aiwf_probe.mjs"
    path.write_text(script, encoding="utf-8")
    proc = run([node, str(path)], sdk, stdin=json.dumps(data))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def ts_files(
    spec: Path, package: str, tree: TemplateTree, scratch: Path, stem: str | None = None
) -> dict[str, str]:
    """The generated layer of ``spec``, laid out as the goldens are (spec at
    ``specs/NAME``, SDK at ``sdk/typescript``)."""
    (scratch / "specs").mkdir(parents=True, exist_ok=True)
    local = scratch / "specs" / spec.name
    shutil.copy2(spec, local)
    job = SdkJob("typescript", scratch / "sdk" / "typescript", package, local)
    return expected_files(job, compile_path(local), tree)


def write_sdk(files: dict[str, str], sdk: Path, package: str) -> Path:
    """A buildable SDK from generated ``files`` plus the scaffold rendered by hand (for specs
    that need no copier run); ``node_modules`` is linked by the caller."""
    for rel, text in files.items():
        (sdk / rel).parent.mkdir(parents=True, exist_ok=True)
        (sdk / rel).write_text(text, encoding="utf-8")
    for name in ("tsconfig.json",):
        shutil.copy2(SCAFFOLD / name, sdk / name)
    pkg = (SCAFFOLD / "package.json.jinja").read_text(encoding="utf-8")
    pkg = pkg.replace("{{ package }}", package).replace("{{ description | tojson }}", '"test"')
    (sdk / "package.json").write_text(pkg, encoding="utf-8")
    (sdk / "src").mkdir(parents=True, exist_ok=True)
    (sdk / "src" / "extensions.ts").write_text("export {};\n", encoding="utf-8")
    return sdk
