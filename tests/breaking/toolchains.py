"""Building callers written against an old SDK, against the old and the new one, with the
real toolchains: ``mypy --strict`` (Python), ``go build`` (Go), ``tsc --noEmit`` with the
TypeScript the SDK scaffold pins (TypeScript). One caller file per case; a build reports
the cases whose file has an error."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from cases import Case
from sdkgen_support import require
from tssdk_support import require_node

PACKAGES = {"python": "breaksdk", "go": "example.com/breaksdk", "typescript": "breaksdk"}


def _indent(code: str, prefix: str) -> str:
    return textwrap.indent(code.strip("\n"), prefix)


def python_caller(case: Case) -> str:
    return (
        "from __future__ import annotations\n\n"
        "from breaksdk import *  # noqa: F403\n\n\n"
        f"async def use_{case.id}() -> None:\n{_indent(case.python, '    ')}\n"
    )


def go_caller(case: Case) -> str:
    return (
        "package callers\n\n"
        'import (\n\t"context"\n\t"encoding/json"\n\n\tsdk "example.com/breaksdk"\n)\n\n'
        "var _ = json.RawMessage(nil)\n\n"
        f"func use_{case.id}(ctx context.Context, c *sdk.Client) {{\n"
        f"{_indent(case.go or '_ = ctx', chr(9))}\n\t_ = c\n}}\n"
    )


def typescript_caller(case: Case) -> str:
    return (
        'import * as sdk from "../src/index.js";\n\n'
        f"export async function use_{case.id}(): Promise<void> {{\n"
        f"{_indent(case.typescript or 'void sdk;', '  ')}\n}}\n"
    )


_CASE_FILE = re.compile(r"case_(\w+)\.(?:py|go|ts)\b")
#: Lines of a build's output that report a problem (the others are notes and headers).
_PROBLEM = re.compile(r"(error|Error)\b|: undefined|cannot|not enough|too many|unknown field")


def _failing(output: str, code: int) -> set[str]:
    """The cases with an error; an error in no case's file (or a tool that failed without
    naming one) fails the test: the SDK itself must build."""
    failing: set[str] = set()
    for line in output.splitlines():
        found = _CASE_FILE.findall(line)
        if found:
            failing.update(found)
        elif _PROBLEM.search(line) and not line.startswith(("#", "note:", "\t")):
            raise AssertionError(f"a build error outside the callers:\n{output}")
    assert code == 0 or failing, f"the build failed without naming a caller:\n{output}"
    return failing


def write_callers(lang: str, cases: list[Case], where: Path) -> None:
    where.mkdir(parents=True, exist_ok=True)
    make = {"python": python_caller, "go": go_caller, "typescript": typescript_caller}[lang]
    ext = {"python": "py", "go": "go", "typescript": "ts"}[lang]
    for case in cases:
        (where / f"case_{case.id}.{ext}").write_text(make(case), encoding="utf-8")


def build_python(sdk: Path, callers: Path, cache: Path) -> tuple[set[str], str]:
    """``mypy --strict`` on the callers, with the SDK's ``src`` on the path."""
    env = {**os.environ, "MYPYPATH": str(sdk / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
         "--no-error-summary", "--hide-error-context", "--follow-imports", "silent",
         str(callers)],
        cwd=callers, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    return _failing(output, proc.returncode), output


def build_go(sdk: Path, callers: Path) -> tuple[set[str], str]:
    """``go build`` of a caller package in a module that replaces the SDK with ``sdk``."""
    go = require("go")
    (callers / "go.mod").write_text(
        "module example.com/callers\n\ngo 1.22\n\nrequire example.com/breaksdk v0.0.0\n\n"
        f"replace example.com/breaksdk => {sdk}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOWORK": "off"}
    proc = subprocess.run(
        [go, "build", "-gcflags=-e", "-o", os.devnull, "."],
        cwd=callers, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return _failing(proc.stdout + proc.stderr, proc.returncode), proc.stdout + proc.stderr


def build_typescript(sdk: Path) -> tuple[set[str], str]:
    """``tsc --noEmit`` over the SDK's sources and ``callers/``, with the SDK's settings."""
    node, _ = require_node()
    config = sdk / "callers" / "tsconfig.json"
    config.write_text(
        '{"extends": "../tsconfig.json", "compilerOptions": {"noEmit": true, "rootDir": ".."},'
        ' "include": ["../src/**/*.ts", "./*.ts"]}\n',
        encoding="utf-8",
    )
    tsc = sdk / "node_modules" / "typescript" / "bin" / "tsc"
    proc = subprocess.run(
        [node, str(tsc), "-p", str(config), "--pretty", "false"],
        cwd=sdk, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return _failing(proc.stdout + proc.stderr, proc.returncode), proc.stdout + proc.stderr


def copy_sdk(old: Path, new: Path) -> None:
    """A copy of an SDK (node_modules linked, not copied)."""
    shutil.copytree(old, new, symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
    modules = old / "node_modules"
    if modules.exists():
        (new / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)
